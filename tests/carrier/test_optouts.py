"""Opt-out keywords (docs/carrier.md): STOP and synonyms, START, HELP, per number and per
Messaging Service, with Twilio's default replies; the app's webhook still gets every message.
"""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.messaging_response import MessagingResponse

OURS = "+15555550100"
POOL_2 = "+15555550101"
OUTSIDE = "+15555550102"
HANDSET = "+15555550199"

STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."

STOP_WORDS = [
    "STOP",
    "stop",
    "  Stop ",
    "STOPALL",
    "Unsubscribe",
    "cancel",
    "END",
    "quit\n",
    "OPTOUT",
    "revoke",
]


def _code(call) -> int:
    with pytest.raises(TwilioRestException) as caught:
        call()
    assert caught.value.status == 400
    return int(caught.value.code)


def _replies(exchange) -> list[tuple[str, str, str]]:
    return [(r["from"], r["to"], r["body"]) for r in exchange["replies"]]


@pytest.fixture
def app_number(carrier, receiver):
    """Our number, its incoming webhook pointing at the receiver's /sms."""
    return carrier.number(OURS, sms_url=receiver.url("/sms"), sms_method="POST")


def test_stop_and_every_synonym_opt_the_handset_out(carrier, receiver, app_number):
    for index, word in enumerate(STOP_WORDS):
        handset = f"+155555502{index:02d}"
        carrier.send(to=handset, body="before")  # allowed
        exchange = carrier.inbound(word, from_=handset)
        assert _replies(exchange) == [(OURS, handset, STOP_REPLY)], word
        [webhook] = [r for r in receiver.at("/sms") if r.params["From"] == handset]
        assert webhook.params["Body"] == word  # the app still sees the STOP
        assert _code(lambda handset=handset: carrier.send(to=handset, body="after")) == 21610, word
    # The confirmations are ordinary outbound replies the carrier delivers.
    carrier.advance(2)
    confirmations = [m for m in carrier.messages(from_=OURS) if m.body == STOP_REPLY]
    assert len(confirmations) == len(STOP_WORDS)
    for message in confirmations:
        assert (message.direction, message.status) == ("outbound-reply", "delivered")


def test_an_opt_out_is_per_handset_and_per_number(carrier, receiver, app_number):
    carrier.number(OUTSIDE)
    carrier.inbound("STOP")
    assert _code(lambda: carrier.send(to=HANDSET)) == 21610
    other_handset = carrier.send(to="+15555550198")
    other_number = carrier.send(to=HANDSET, from_=OUTSIDE)
    carrier.advance(2)
    assert carrier.status(other_handset.sid) == "delivered"
    assert carrier.status(other_number.sid) == "delivered"


def test_a_twiml_reply_to_stop_fails_with_21610(carrier, receiver, app_number):
    response = MessagingResponse()
    response.message("Sorry to see you go")
    receiver.route("/sms", str(response))
    exchange = carrier.inbound("STOP")
    assert receiver.at("/sms")[0].params["Body"] == "STOP"
    replies = {r["body"]: r for r in exchange["replies"]}
    assert set(replies) == {STOP_REPLY, "Sorry to see you go"}
    blocked = carrier.fetch(replies["Sorry to see you go"]["sid"])
    assert (blocked.status, blocked.error_code) == ("failed", 21610)
    assert blocked.direction == "outbound-reply"
    carrier.advance(5)
    assert carrier.status(blocked.sid) == "failed"
    assert carrier.status(replies[STOP_REPLY]["sid"]) == "delivered"


def test_start_words_opt_back_in(carrier, receiver, app_number):
    for word in ("START", "yes", " Unstop "):
        carrier.inbound("STOP")
        assert _code(lambda: carrier.send()) == 21610
        exchange = carrier.inbound(word)
        assert _replies(exchange) == [(OURS, HANDSET, START_REPLY)], word
        assert receiver.at("/sms")[-1].params["Body"] == word
        message = carrier.send(body="welcome back")
        carrier.walk(1.0)
        assert carrier.status(message.sid) == "delivered"
        assert receiver.statuses("/status", message.sid) == ["sent", "delivered"]


def test_help_gets_the_help_reply_unless_opted_out(carrier, receiver, app_number):
    words = ["HELP", "info", " Help "]
    for index, word in enumerate(words):
        handset = f"+155555502{index:02d}"
        assert _replies(carrier.inbound(word, from_=handset)) == [(OURS, handset, HELP_REPLY)]
        carrier.send(to=handset, body="help does not opt out")  # no 21610
        carrier.inbound("STOP", from_=handset)
        assert _replies(carrier.inbound(word, from_=handset)) == []  # opted out: no reply
        bodies = [r.params["Body"] for r in receiver.at("/sms") if r.params["From"] == handset]
        assert bodies == [word, "STOP", word]


def test_only_a_lone_keyword_counts(carrier, receiver, app_number):
    for body in ("STOP please", "please stop", "STOP!", "S T O P", "stopp", "HELP me", "start?"):
        assert _replies(carrier.inbound(body)) == [], body
    message = carrier.send(body="still subscribed")
    carrier.advance(2)
    assert carrier.status(message.sid) == "delivered"
    assert len(receiver.at("/sms")) == 7


def test_keywords_only_apply_to_sms(carrier, receiver, app_number):
    exchange = carrier.inbound("STOP", to=f"whatsapp:{OURS}", from_=f"whatsapp:{HANDSET}")
    assert exchange["replies"] == []
    message = carrier.send(to=f"whatsapp:{HANDSET}", from_=f"whatsapp:{OURS}")
    carrier.advance(2)
    assert carrier.status(message.sid) == "delivered"


def test_stop_to_a_service_number_opts_out_of_the_whole_service(carrier, receiver):
    first = carrier.number(OURS)
    second = carrier.number(POOL_2)
    carrier.number(OUTSIDE)
    service = carrier.service(first, second, inbound_request_url=receiver.url("/service"))

    exchange = carrier.inbound("STOP", to=OURS)
    assert _replies(exchange) == [(OURS, HANDSET, STOP_REPLY)]
    [webhook] = receiver.at("/service")
    assert (webhook.params["Body"], webhook.params["MessagingServiceSid"]) == ("STOP", service.sid)

    assert _code(lambda: carrier.send(from_=OURS)) == 21610
    assert _code(lambda: carrier.send(from_=POOL_2)) == 21610  # another number of the pool
    via_service = lambda: carrier.send(from_=None, messaging_service_sid=service.sid)  # noqa: E731
    assert _code(via_service) == 21610
    outside = carrier.send(from_=OUTSIDE)  # not in the service: unaffected
    carrier.advance(2)
    assert carrier.status(outside.sid) == "delivered"

    # START to any number of the service opts back in to all of it.
    assert _replies(carrier.inbound("START", to=POOL_2)) == [(POOL_2, HANDSET, START_REPLY)]
    message = carrier.send(from_=None, messaging_service_sid=service.sid, body="hi again")
    assert message.status == "accepted"
    carrier.walk(1.0)
    assert carrier.status(message.sid) == "delivered"
    assert receiver.statuses("/status", message.sid) == ["queued", "sent", "delivered"]


# Advanced Opt-Out (SPEC §1.4): on by default for the numbers of a Messaging Service.


def test_advanced_opt_out_sends_opt_out_type_for_service_numbers(carrier, receiver):
    pooled = carrier.number(OURS)
    carrier.number(OUTSIDE, sms_url=receiver.url("/outside"))
    carrier.service(pooled, inbound_request_url=receiver.url("/service"))
    for body, kind in (("stop", "STOP"), ("Unstop", "START"), ("INFO", "HELP"), ("hello", None)):
        carrier.inbound(body, to=OURS)
        assert receiver.at("/service")[-1].params.get("OptOutType") == kind, body
        carrier.inbound(body, to=OUTSIDE)  # outside any service: Twilio's default filtering
        assert "OptOutType" not in receiver.at("/outside")[-1].params, body


def test_the_handset_cannot_set_opt_out_type(carrier, receiver, app_number):
    response = carrier.http.post(
        "/_sim/inbound", data={"From": HANDSET, "To": OURS, "Body": "hi", "OptOutType": "STOP"}
    )
    assert response.status_code == 201, response.text
    carrier.settle()
    assert "OptOutType" not in receiver.at("/sms")[-1].params


def test_custom_keywords_and_replies_of_a_service(carrier, receiver):
    pooled = carrier.number(OURS)
    service = carrier.service(pooled, inbound_request_url=receiver.url("/service"))
    settings = {
        "stop": {"keywords": ["arret", "Halt"], "reply": "Bye from Acme."},
        "start": {"keywords": ["resume"]},
        "help": {"reply": "Acme support: 555-0100."},
    }
    response = carrier.http.put(f"/_sim/services/{service.sid}/opt-out", json=settings)
    assert response.status_code == 200, response.text
    assert response.json()["stop"] == {"keywords": ["ARRET", "HALT"], "reply": "Bye from Acme."}
    fetched = carrier.http.get(f"/_sim/services/{service.sid}/opt-out").json()
    assert fetched == response.json()

    assert _replies(carrier.inbound("Arret")) == [(OURS, HANDSET, "Bye from Acme.")]
    assert receiver.at("/service")[-1].params["OptOutType"] == "STOP"
    assert _code(lambda: carrier.send(from_=OURS)) == 21610
    assert _replies(carrier.inbound("resume")) == [(OURS, HANDSET, START_REPLY)]
    assert receiver.at("/service")[-1].params["OptOutType"] == "START"
    assert _replies(carrier.inbound("STOP")) == [(OURS, HANDSET, "Bye from Acme.")]  # defaults stay
    carrier.inbound("START")
    assert _replies(carrier.inbound("help")) == [(OURS, HANDSET, "Acme support: 555-0100.")]

    # Advanced Opt-Out turned off: Twilio's default keywords and replies, no OptOutType.
    off = carrier.http.put(f"/_sim/services/{service.sid}/opt-out", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert _replies(carrier.inbound("halt")) == []
    assert "OptOutType" not in receiver.at("/service")[-1].params
    assert _replies(carrier.inbound("STOP")) == [(OURS, HANDSET, STOP_REPLY)]
    assert "OptOutType" not in receiver.at("/service")[-1].params


def test_opt_out_settings_are_checked(carrier):
    service = carrier.service()
    url = f"/_sim/services/{service.sid}/opt-out"
    for bad in (
        {"stop": {"keywords": ["two words"]}},
        {"start": {"keywords": ["stop"]}},  # already a STOP keyword
        {"help": {"reply": ""}},
        {"enabled": "yes"},
        {"unsubscribe": {}},
        ["STOP"],
    ):
        response = carrier.http.put(url, json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["code"] == 21000
    missing = carrier.http.get("/_sim/services/MG00000000000000000000000000000000/opt-out")
    assert missing.status_code == 404
    assert missing.json()["code"] == 20404
