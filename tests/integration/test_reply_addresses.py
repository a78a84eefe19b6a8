"""Which handset addresses may text in, and what becomes of a reply to one that cannot receive
(SPEC §1.5 channel address formats, §4.2 ``to`` of ``<Message>``, §6.9 21212 / 21612).

Nothing vanishes: an address that is not valid for its channel is refused at ``/_sim/inbound``;
an alphanumeric sender ID may text in (it can send) but cannot receive, so the app's reply is
stored as ``failed`` with 21612, recorded on the webhook attempt and announced to the reply's
status callback.
"""

from __future__ import annotations

import pytest

OURS = "+14155550100"
HANDSET = "+14155550199"
SENDER_ID = "hello"


def test_reply_to_an_alphanumeric_sender_is_stored_failed_with_21612(sim, receiver, twiml):
    status_url = receiver.url("/status")
    receiver.route("/sms", twiml.message("thanks!", status_callback=status_url))
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("hi from a brand", from_=SENDER_ID)
    assert inbound["from"] == SENDER_ID
    state = sim.settled(inbound["sid"], replies=1)

    (reply,) = state["replies"]
    assert (reply["to"], reply["from"], reply["body"]) == (SENDER_ID, OURS, "thanks!")
    assert reply["status"] == "failed"
    assert reply["error_code"] == 21612
    assert reply["error_message"]
    (attempt,) = state["webhooks"]
    assert attempt["error_code"] == 21612
    assert reply["sid"] in attempt["error_detail"]
    fetched = sim.client.messages(reply["sid"]).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21612)

    (callback,) = receiver.quiet("/status", 1)
    assert callback.params["MessageSid"] == reply["sid"]
    assert callback.params["MessageStatus"] == "failed"
    assert callback.params["ErrorCode"] == "21612"


def test_a_failed_reply_with_action_is_announced_once_by_the_action(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("thanks!", action=receiver.url("/next")))
    receiver.route("/next", twiml.empty())
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("hi", from_=SENDER_ID)
    state = sim.settled(inbound["sid"], replies=1, attempts=2)

    (reply,) = state["replies"]
    (action,) = receiver.quiet("/next", 1)  # the session's request; no callback repeats it
    assert action.params["MessageSid"] == reply["sid"]
    assert action.params["MessageStatus"] == "failed"
    assert action.params["ErrorCode"] == "21612"
    assert [a["error_code"] for a in state["webhooks"]] == [21612, None]


def test_short_codes_text_in_and_get_their_reply(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("got it"))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("hi", from_="12345")
    state = sim.settled(inbound["sid"], replies=1)
    (reply,) = state["replies"]
    assert (reply["to"], reply["status"], reply["error_code"]) == ("12345", "queued", None)
    assert state["webhooks"][0]["error_code"] is None


def test_a_reply_to_an_opted_out_handset_is_announced_failed(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("sorry to see you go", status_callback="/status"))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("STOP")
    state = sim.settled(inbound["sid"], replies=2)  # Twilio's own STOP answer, then the app's
    (reply,) = [r for r in state["replies"] if r["body"] == "sorry to see you go"]
    assert (reply["status"], reply["error_code"]) == ("failed", 21610)
    assert state["webhooks"][0]["error_code"] is None  # the handset's choice, not the app's fault
    (callback,) = receiver.quiet("/status", 1)
    assert (callback.params["MessageStatus"], callback.params["ErrorCode"]) == ("failed", "21610")


@pytest.mark.parametrize(
    ("from_", "to"),
    [
        ("hello world!", OURS),  # '!' is not in [A-Za-z0-9 ]
        ("twelve chars", OURS),  # 12 characters: over the 11 of a sender ID
        ("123", OURS),  # digits only, too short for a short code
        ("4155550199", OURS),  # a national number: no country to route by
        ("+1415555019", OURS),  # a NANP number one digit short
        ("whatsapp:hello", f"whatsapp:{OURS}"),  # WhatsApp addresses are E.164 numbers
        (SENDER_ID, f"whatsapp:{OURS}"),  # an SMS sender on the WhatsApp channel
        (HANDSET, f"whatsapp:{OURS}"),  # the channel prefix missing
        (f"whatsapp:{HANDSET}", OURS),  # a WhatsApp sender on SMS
    ],
)
def test_an_address_invalid_for_its_channel_is_refused(sim, receiver, from_, to):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    response = sim.http.post("/_sim/inbound", data={"From": from_, "To": to, "Body": "hi"})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == 21212
    assert error["status"] == 400
    assert error["more_info"] == "https://www.twilio.com/docs/errors/21212"
    assert repr(from_) in error["message"]
    assert sim.client.messages.list() == []
    assert receiver.at("/sms") == []
