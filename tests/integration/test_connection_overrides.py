"""Connection overrides in the URL fragment (SPEC §2) and the default retry policy (§1.8),
observed from a real receiver and from the attempt log.
"""

from __future__ import annotations

import dataclasses

OURS = "+14155550100"
HANDSET = "+14155550199"


def test_retry_on_5xx_three_attempts_with_one_token(sim, receiver, reply):
    receiver.route("/flaky", reply(status=500, body="down", content_type="text/plain"))
    configured = receiver.url("/flaky", "rc=2&rp=5xx")
    sim.number(OURS, sms_url=configured)

    inbound = sim.inbound("try hard")
    state = sim.settled(inbound["sid"], attempts=3)
    requests = receiver.wait("/flaky", 3)
    assert len(requests) == 3
    tokens = {r.header("I-Twilio-Idempotency-Token") for r in requests}
    assert len(tokens) == 1
    assert None not in tokens
    for request in requests:
        assert "#" not in request.url
        assert request.url == receiver.url("/flaky")
        assert request.signature_valid
    # Identical requests: the same body and signature on every attempt.
    assert len({r.body for r in requests}) == 1
    assert len({r.header("X-Twilio-Signature") for r in requests}) == 1

    attempts = state["webhooks"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert {a["error_code"] for a in attempts} == {11200}
    assert {a["response"]["status"] for a in attempts} == {500}
    assert {a["idempotency_token"] for a in attempts} == tokens
    assert {a["url"] for a in attempts} == {receiver.url("/flaky")}
    assert state["replies"] == []


def test_retry_until_success(sim, receiver, reply, twiml):
    receiver.route(
        "/flaky",
        [reply(status=503, content_type="text/plain", body="busy"), twiml.message("made it")],
    )
    sim.number(OURS, sms_url=receiver.url("/flaky", "rc=3&rp=5xx"))
    inbound = sim.inbound("persist")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert [a["error_code"] for a in state["webhooks"]] == [11200, None]
    assert [r["body"] for r in state["replies"]] == ["made it"]
    assert len(receiver.at("/flaky")) == 2


def test_default_policy_does_not_retry_a_500(sim, receiver, reply):
    receiver.route("/down", reply(status=500, body="", content_type="text/plain"))
    sim.number(OURS, sms_url=receiver.url("/down"))
    inbound = sim.inbound("once only")
    state = sim.settled(inbound["sid"])
    assert len(state["webhooks"]) == 1
    assert state["webhooks"][0]["error_code"] == 11200
    assert len(receiver.at("/down")) == 1


def test_default_policy_retries_a_refused_connection_once(sim, receiver, closed_url):
    sim.number(OURS, sms_url=closed_url("/nobody-home"))
    inbound = sim.inbound("knock knock")
    state = sim.settled(inbound["sid"], attempts=2)
    attempts = state["webhooks"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert {a["error_code"] for a in attempts} == {11205}
    assert {a["response"]["status"] for a in attempts} == {None}
    assert len({a["idempotency_token"] for a in attempts}) == 1
    assert state["replies"] == []
    sim.healthy(receiver, sim.client.incoming_phone_numbers.list()[0])


def test_retry_on_read_timeout(sim, receiver, reply, twiml):
    receiver.route("/slow-once", [reply(delay=1.0, body=""), twiml.message("second time")])
    sim.number(OURS, sms_url=receiver.url("/slow-once", "rt=300&rc=1&rp=rt"))
    inbound = sim.inbound("wake up")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert [a["error_code"] for a in state["webhooks"]] == [11205, None]
    assert [r["body"] for r in state["replies"]] == ["second time"]
    first, second = receiver.wait("/slow-once", 2)
    assert first.header("I-Twilio-Idempotency-Token") == second.header("I-Twilio-Idempotency-Token")


def test_4xx_retried_only_when_asked(sim, receiver, reply, twiml):
    receiver.route("/gone", [reply(status=404, body=""), twiml.message("found it")])
    sim.number(OURS, sms_url=receiver.url("/gone", "rp=4xx"))
    inbound = sim.inbound("where?")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert [a["response"]["status"] for a in state["webhooks"]] == [404, 200]
    assert [a["error_code"] for a in state["webhooks"]] == [11200, None]


def test_total_time_budget_caps_all_attempts(sim, receiver, reply):
    receiver.route("/slow", reply(delay=2.0, body=""))
    sim.number(OURS, sms_url=receiver.url("/slow", "rt=300&tt=500&rc=5&rp=rt"))
    inbound = sim.inbound("budget")
    state = sim.settled(inbound["sid"], attempts=2)
    attempts = state["webhooks"]
    # 300 ms per attempt within a 500 ms budget: the second attempt runs out of total time.
    assert len(attempts) == 2
    assert attempts[0]["error_code"] == 11205
    assert attempts[-1]["error_code"] == 11203
    assert sum(a["duration_ms"] for a in attempts) < 1500


def test_fragment_applies_to_status_callbacks(sim, receiver, reply):
    sim.number(OURS)
    receiver.route(
        "/status",
        [reply(status=502, body="", content_type="text/plain"), reply(status=204, body="")],
    )
    message = sim.client.messages.create(
        to=HANDSET,
        from_=OURS,
        body="callback retries",
        status_callback=receiver.url("/status", "rc=1&rp=5xx"),
    )
    sim.status(message.sid, "delivered")
    callbacks = receiver.quiet("/status", 3)
    assert [r.params["MessageStatus"] for r in callbacks] == ["sent", "sent", "delivered"]
    assert all(r.signature_valid and "#" not in r.url for r in callbacks)
    sent_tokens = {r.header("I-Twilio-Idempotency-Token") for r in callbacks[:2]}
    assert len(sent_tokens) == 1


def test_invalid_retry_policy_is_logged_and_falls_back(sim, receiver, twiml):
    receiver.route("/fallback", twiml.message("fallback answer"))
    primary = receiver.url("/never", "rp=sometimes")
    sim.number(OURS, sms_url=primary, sms_fallback_url=receiver.url("/fallback"))
    inbound = sim.inbound("bad fragment")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert receiver.at("/never") == []
    assert state["webhooks"][0]["error_code"] == 11243
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "11243"
    assert fallback.params["ErrorUrl"] == receiver.url("/never")


def test_partial_response_is_not_retried(sim, receiver, twiml):
    """``rp=rt`` retries "no response within rt"; a response that started and then stalled
    is a partial response, which Twilio does not retry (SPEC §2)."""
    stalled = dataclasses.replace(twiml.message("x" * 200), stall=1.0)
    receiver.route("/drip", stalled)
    sim.number(OURS, sms_url=receiver.url("/drip", "rt=300&rc=2&rp=rt"))
    inbound = sim.inbound("drip")
    state = sim.settled(inbound["sid"])
    assert len(receiver.at("/drip")) == 1
    assert len(state["webhooks"]) == 1
    assert state["webhooks"][0]["error_code"] == 11205
    assert state["replies"] == []
