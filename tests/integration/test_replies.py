"""What switchboard does with the app's answer, and the status callbacks that follow
(SPEC §1.7, §4, §5). TwiML is built with the official ``MessagingResponse``.
"""

from __future__ import annotations

import re
from typing import Any

OURS = "+14155550100"
OTHER = "+14155550101"
HANDSET = "+14155550199"
HANDSET_2 = "+14155550198"

STATUS_PARAMS = {
    "MessageStatus",
    "SmsStatus",
    "MessageSid",
    "SmsSid",
    "AccountSid",
    "From",
    "To",
    "ApiVersion",
}
RAW_DLR_DONE_DATE = re.compile(r"^\d{10}$")  # YYMMDDhhmm


def _statuses(requests: list[Any]) -> list[str]:
    return [r.params["MessageStatus"] for r in requests]


def _check_status_callback(request: Any, message_sid: str, status: str, **expected: str) -> None:
    params = request.params
    assert request.method == "POST"
    assert request.header("Content-Type").startswith("application/x-www-form-urlencoded")
    assert request.header("User-Agent") == "TwilioProxy/1.1"
    assert request.header("I-Twilio-Idempotency-Token")
    assert request.signature_valid
    assert params["MessageStatus"] == params["SmsStatus"] == status
    assert params["MessageSid"] == params["SmsSid"] == message_sid
    assert params["ApiVersion"] == "2010-04-01"
    for name, value in expected.items():
        assert params[name] == value, name
    if status == "delivered":
        assert RAW_DLR_DONE_DATE.match(params["RawDlrDoneDate"])
    else:
        assert "RawDlrDoneDate" not in params
    assert "ErrorCode" not in params


def test_reply_with_media_custom_to_and_from_another_owned_number(sim, receiver, twiml):
    response = twiml.response()
    message = response.message("See attached", to=HANDSET_2, from_=OTHER)
    message.media("https://example.com/receipt.jpg")
    receiver.route("/sms", twiml.reply(response))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sim.number(OTHER)

    inbound = sim.inbound("send me the receipt")
    state = sim.settled(inbound["sid"], replies=1)
    (reply,) = state["replies"]
    assert reply["sid"].startswith("MM")
    assert reply["direction"] == "outbound-reply"
    assert reply["from"] == OTHER
    assert reply["to"] == HANDSET_2
    assert reply["body"] == "See attached"
    assert reply["num_media"] == "1"
    media = sim.client.messages(reply["sid"]).media.list()
    assert [m.content_type for m in media] == ["image/jpeg"]
    sent = sim.client.messages.list(from_=OTHER, to=HANDSET_2)
    assert [m.sid for m in sent] == [reply["sid"]]
    sim.status(reply["sid"], "delivered")


def test_reply_from_a_number_we_do_not_own_is_not_sent(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("spoofed", from_="+14155550142"))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("hi")
    state = sim.settled(inbound["sid"])
    assert state["replies"] == []
    assert "14108" in state["webhooks"][0]["error_detail"]


def test_multiple_message_verbs_send_multiple_replies_in_order(sim, receiver, twiml):
    response = twiml.response()
    for body in ("first", "second", "third"):
        response.message(body)
    receiver.route("/sms", twiml.reply(response))
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("tell me three things")
    state = sim.settled(inbound["sid"], replies=3)
    assert [r["body"] for r in state["replies"]] == ["first", "second", "third"]
    assert {(r["from"], r["to"], r["direction"]) for r in state["replies"]} == {
        (OURS, HANDSET, "outbound-reply")
    }
    for reply in state["replies"]:
        sim.status(reply["sid"], "delivered")


def test_redirect_chain_relative_and_absolute_get_and_post(sim, receiver, twiml):
    start = twiml.response()
    start.message("one")
    start.redirect("step2")  # relative to /flow/start, POST by default
    step2 = twiml.response()
    step2.message("two")
    step2.redirect(receiver.url("/elsewhere/step3?hop=3"), method="GET")  # absolute, GET
    step3 = twiml.response()
    step3.message("three")
    receiver.route("/flow/start", twiml.reply(start))
    receiver.route("/flow/step2", twiml.reply(step2))
    receiver.route("/elsewhere/step3", twiml.reply(step3))
    sim.number(OURS, sms_url=receiver.url("/flow/start"))

    inbound = sim.inbound("follow the white rabbit")
    state = sim.settled(inbound["sid"], replies=3, attempts=3)

    (first,) = receiver.wait("/flow/start")
    (second,) = receiver.wait("/flow/step2")
    (third,) = receiver.wait("/elsewhere/step3")
    # The redirect requests carry the original webhook's parameters (SPEC §4.4).
    assert second.method == "POST"
    assert second.url == receiver.url("/flow/step2")
    assert dict(second.params) == dict(first.params)
    assert third.method == "GET"
    assert third.body == b""
    assert third.url.startswith(receiver.url("/elsewhere/step3?hop=3&"))
    assert third.query["hop"] == "3"
    assert {k: v for k, v in third.query.items() if k != "hop"} == dict(first.params)
    assert all(r.signature_valid for r in (first, second, third))

    assert [a["kind"] for a in state["webhooks"]] == ["incoming", "redirect", "redirect"]
    assert all(a["error_code"] is None for a in state["webhooks"])
    assert [r["body"] for r in state["replies"]] == ["one", "two", "three"]


def test_each_document_request_is_a_delivery_of_its_own(sim, receiver, twiml):
    """Retries of one request share an I-Twilio-Idempotency-Token (SPEC §2); a <Redirect>
    fetch is a different request, so an app that de-duplicates on the token must not see it
    as a replay of the first one."""
    start = twiml.response()
    start.redirect("/next")
    receiver.route("/start", twiml.reply(start))
    receiver.route("/next", twiml.message("after the redirect"))
    sim.number(OURS, sms_url=receiver.url("/start"))
    inbound = sim.inbound("dedupe me")
    sim.settled(inbound["sid"], replies=1, attempts=2)
    (first,) = receiver.wait("/start")
    (second,) = receiver.wait("/next")
    token_1 = first.header("I-Twilio-Idempotency-Token")
    token_2 = second.header("I-Twilio-Idempotency-Token")
    assert token_1
    assert token_2
    assert token_1 != token_2


def test_text_plain_answer_is_a_literal_reply(sim, receiver, twiml):
    receiver.route("/sms", twiml.text("  Plain & simple <not xml>  \n"))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("plain please")
    state = sim.settled(inbound["sid"], replies=1)
    (reply,) = state["replies"]
    assert reply["body"] == "Plain & simple <not xml>"
    assert (reply["from"], reply["to"]) == (OURS, HANDSET)
    assert state["webhooks"][0]["error_code"] is None
    sim.status(reply["sid"], "delivered")


def test_empty_response_sends_nothing(sim, receiver, twiml):
    receiver.route("/sms", twiml.empty())
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("no answer needed")
    state = sim.settled(inbound["sid"])
    assert state["replies"] == []
    (attempt,) = state["webhooks"]
    assert attempt["error_code"] is None
    assert attempt["response"]["status"] == 200
    assert sim.client.messages.list(from_=OURS) == []


def test_message_action_is_requested_when_queued_then_gets_sent_and_delivered(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("tracked reply", action="/status/reply"))
    receiver.route("/status/reply", twiml.empty())
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("track my reply")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    (reply,) = state["replies"]
    sim.status(reply["sid"], "delivered")

    requests = receiver.quiet("/status/reply", 3)
    # First, as part of the reply session, the action request with the reply just queued;
    # then the reply's status callbacks.
    assert _statuses(requests)[0] == "queued"
    assert sorted(_statuses(requests)[1:]) == ["delivered", "sent"]
    for request in requests:
        status = request.params["MessageStatus"]
        _check_status_callback(
            request, reply["sid"], status, AccountSid=inbound["account_sid"], From=OURS, To=HANDSET
        )
        assert request.url == receiver.url("/status/reply")  # resolved against the document
    # The action request belongs to the incoming exchange; the callbacks to the reply.
    assert [a["kind"] for a in state["webhooks"]] == ["incoming", "action"]
    logged = sim.webhooks(reply["sid"])
    assert sorted(a["kind"] for a in logged) == ["status_callback", "status_callback"]
    assert {a["error_code"] for a in logged} == {None}


def test_message_action_twiml_carries_on_the_session(sim, receiver, twiml):
    receiver.route("/sms", twiml.message("first", action="/next-step"))
    receiver.route("/next-step", [twiml.message("second"), twiml.empty()])
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("hello")
    state = sim.settled(inbound["sid"], replies=2, attempts=2)
    assert [r["body"] for r in state["replies"]] == ["first", "second"]
    assert {(r["from"], r["to"]) for r in state["replies"]} == {(OURS, HANDSET)}
    (action,) = [a for a in state["webhooks"] if a["kind"] == "action"]
    assert action["url"] == receiver.url("/next-step")
    # Only the session's own request continues it: the first reply's later status callbacks
    # reach /next-step too, and their answers send nothing more.
    sim.status(state["replies"][0]["sid"], "delivered")
    receiver.quiet("/next-step", 3)
    assert len(sim.exchange(inbound["sid"])["replies"]) == 2


def test_message_action_with_get_method(sim, receiver, twiml):
    receiver.route(
        "/sms", twiml.message("tracked by GET", action=receiver.url("/cb?src=twiml"), method="GET")
    )
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("track by GET")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    reply_sid = state["replies"][0]["sid"]
    sim.status(reply_sid, "delivered")
    requests = receiver.quiet("/cb", 3)
    assert {r.method for r in requests} == {"GET"}
    assert sorted(_statuses(requests)) == ["delivered", "queued", "sent"]
    for request in requests:
        assert request.body == b""
        assert request.query["src"] == "twiml"
        assert request.params["MessageSid"] == reply_sid
        assert request.signature_valid


def test_rest_message_status_callback_gets_sent_and_delivered_only(sim, receiver):
    sim.number(OURS)
    url = receiver.url("/status")
    message = sim.client.messages.create(
        to=HANDSET, from_=OURS, body="REST hello", status_callback=url
    )
    assert message.status == "queued"
    sim.status(message.sid, "delivered")
    callbacks = receiver.quiet("/status", 2)
    assert sorted(_statuses(callbacks)) == ["delivered", "sent"]
    by_status = {r.params["MessageStatus"]: r for r in callbacks}
    for status, request in by_status.items():
        _check_status_callback(
            request, message.sid, status, AccountSid=message.account_sid, From=OURS, To=HANDSET
        )
    assert set(by_status["sent"].params) == STATUS_PARAMS
    assert set(by_status["delivered"].params) == STATUS_PARAMS | {"RawDlrDoneDate"}
    # Distinct deliveries, distinct tokens.
    tokens = {r.header("I-Twilio-Idempotency-Token") for r in callbacks}
    assert len(tokens) == 2


def _service_number(sim: Any, **settings: Any) -> Any:
    number = sim.number(OURS)
    service = sim.service(**settings)
    sim.add_to_service(service, number)
    return service


def test_service_send_gets_queued_first_on_the_service_callback(sim, receiver):
    service = _service_number(sim, status_callback=receiver.url("/service-status"))
    message = sim.client.messages.create(
        to=HANDSET, messaging_service_sid=service.sid, body="service hello"
    )
    assert message.status == "accepted"
    sim.status(message.sid, "delivered")
    callbacks = receiver.quiet("/service-status", 3)
    ordered = sorted(callbacks, key=lambda r: r.at)
    assert _statuses(ordered)[0] == "queued"
    assert sorted(_statuses(ordered)) == ["delivered", "queued", "sent"]
    for request in ordered:
        status = request.params["MessageStatus"]
        _check_status_callback(
            request,
            message.sid,
            status,
            MessagingServiceSid=service.sid,
            From=OURS,
            To=HANDSET,
        )
        assert set(request.params) - {"RawDlrDoneDate"} == STATUS_PARAMS | {"MessagingServiceSid"}


def test_message_status_callback_wins_over_the_service_one(sim, receiver):
    service = _service_number(sim, status_callback=receiver.url("/service-status"))
    message = sim.client.messages.create(
        to=HANDSET,
        messaging_service_sid=service.sid,
        body="mine",
        status_callback=receiver.url("/mine"),
    )
    sim.status(message.sid, "delivered")
    callbacks = receiver.quiet("/mine", 3)
    assert sorted(_statuses(callbacks)) == ["delivered", "queued", "sent"]
    assert receiver.at("/service-status") == []


def test_status_callback_failure_does_not_disturb_the_message(sim, receiver, reply):
    sim.number(OURS)
    receiver.route("/status", reply(status=500, body="boom", content_type="text/plain"))
    message = sim.client.messages.create(
        to=HANDSET, from_=OURS, body="x", status_callback=receiver.url("/status")
    )
    sim.status(message.sid, "delivered")
    callbacks = receiver.quiet("/status", 2)  # no retry on a 500 by default
    assert sorted(_statuses(callbacks)) == ["delivered", "sent"]
    logged = sim.webhooks(message.sid)
    assert sorted(a["error_code"] for a in logged) == [11200, 11200]


def test_redirect_loop_stops_at_fifty_documents(sim, receiver, twiml):
    loop = twiml.response()
    loop.redirect("/loop")
    receiver.route("/loop", twiml.reply(loop))
    sim.number(OURS, sms_url=receiver.url("/loop"))
    inbound = sim.inbound("around we go")
    state = sim.settled(inbound["sid"], attempts=50)
    assert len(state["webhooks"]) == 50
    assert len(receiver.at("/loop")) == 50
    assert "14106" in state["webhooks"][-1]["error_detail"]
    # The 50th attempt is the failed one (the dashboard and the CLI go by the error code).
    assert [a["error_code"] for a in state["webhooks"]] == [None] * 49 + [14106]
    logged = {a["sid"]: a["error_code"] for a in sim.webhooks(inbound["sid"])}
    assert sorted(logged.values(), key=str) == [14106] + [None] * 49
    assert state["replies"] == []
    sim.healthy(receiver, sim.client.incoming_phone_numbers.list()[0])


def test_more_than_ten_messages_sends_ten(sim, receiver, twiml):
    response = twiml.response()
    for index in range(12):
        response.message(f"part {index}")
    receiver.route("/sms", twiml.reply(response))
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("chatty")
    state = sim.settled(inbound["sid"], replies=10)
    assert [r["body"] for r in state["replies"]] == [f"part {i}" for i in range(10)]
    assert "14109" in state["webhooks"][0]["error_detail"]


def test_relative_media_and_redirect_resolve_against_the_document(sim, receiver, twiml):
    response = twiml.response()
    message = response.message("relative media")
    message.media("../static/logo.png")
    receiver.route("/app/hooks/sms", twiml.reply(response))
    sim.number(OURS, sms_url=receiver.url("/app/hooks/sms", "rt=2000"))
    inbound = sim.inbound("logo?")
    state = sim.settled(inbound["sid"], replies=1)
    (answered,) = state["replies"]
    media = sim.client.messages(answered["sid"]).media.list()
    assert len(media) == 1
    assert answered["num_media"] == "1"
    assert media[0].content_type == "image/png"
