"""Nothing is lost when the server dies: pending webhooks, callbacks and Event Streams events
survive SIGKILL."""

from __future__ import annotations

import json
import time
from typing import Any

from switchboard.receiver import Reply
from switchboard.testing import TEST_ACCOUNT_SID

NUMBER = "+15555550100"
INBOUND = 20
OUTBOUND = 5
EVENT_TYPES = [
    "com.twilio.messaging.message.queued",
    "com.twilio.messaging.message.sent",
    "com.twilio.messaging.message.delivered",
    "com.twilio.messaging.inbound-message.received",
]


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _event_sink(http: Any, receiver: Any) -> None:
    """An active Sink at the receiver's /events, subscribed to every messaging event."""
    sink = http.post(
        "/v1/Sinks",
        data={
            "Description": "restart",
            "SinkType": "webhook",
            "SinkConfiguration": json.dumps({"destination": f"{receiver.base_url}/events"}),
        },
    )
    assert sink.status_code == 201, sink.text
    sid = sink.json()["sid"]
    assert http.post(f"/v1/Sinks/{sid}/Test").status_code == 201
    [test] = receiver.wait_for_events("/events", lambda events: len(events) == 1)
    validated = http.post(f"/v1/Sinks/{sid}/Validate", data={"TestId": test["data"]["test_id"]})
    assert validated.status_code == 201, validated.text
    types = [json.dumps({"type": t}) for t in EVENT_TYPES]
    subscription = http.post(
        "/v1/Subscriptions",
        data={"Description": "restart", "SinkSid": sid, "Types": types},
    )
    assert subscription.status_code == 201, subscription.text


def _events_by_message(receiver: Any) -> dict[str, dict[str, set[str]]]:
    """message SID -> event type -> the ids it arrived with."""
    found: dict[str, dict[str, set[str]]] = {}
    for event in receiver.events("/events"):
        sid = event.get("data", {}).get("messageSid")
        if sid:
            found.setdefault(sid, {}).setdefault(event["type"], set()).add(event["id"])
    return found


def test_pending_webhooks_are_delivered_after_sigkill_and_restart(
    server_process: Any, receiver: Any
) -> None:
    server_process.start()
    base = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
    with server_process.http() as http:
        _event_sink(http, receiver)
        http.post(
            f"{base}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"},
        ).raise_for_status()
        # Every webhook and callback is still in flight when the server dies.
        receiver.default = Reply(body="<Response/>", delay=3.0)
        inbound = []
        for index in range(INBOUND):
            response = http.post(
                "/_sim/inbound", data={"From": "+14155550123", "To": NUMBER, "Body": f"m{index}"}
            )
            assert response.status_code == 201
            inbound.append(response.json()["sid"])
        outbound = []
        for index in range(OUTBOUND):
            response = http.post(
                f"{base}/Messages.json",
                data={
                    "To": "+14155550123",
                    "From": NUMBER,
                    "Body": f"out{index}",
                    "StatusCallback": f"{receiver.base_url}/status",
                },
            )
            assert response.status_code == 201
            outbound.append(response.json()["sid"])

    # Webhooks are now open at the receiver (held for its delay), not yet answered.
    _wait(lambda: receiver.at("/sms"), 60, "the first webhook to reach the receiver")
    # ... and so are event deliveries (the first request at /events was the Sink's test).
    _wait(lambda: len(receiver.at("/events")) > 1, 60, "the first event delivery")
    server_process.kill()
    events_in_flight = [r for r in receiver.at("/events")[1:] if r.end != "answered"]
    assert events_in_flight  # killed mid-delivery
    delivered_before_kill = {r.sid for r in receiver.at("/sms") if r.end == "answered"}
    receiver.default = Reply(body="<Response/>")
    server_process.start()

    _wait(lambda: set(inbound) <= set(receiver.values("/sms", "MessageSid")), 120, "webhooks")
    _wait(
        lambda: all(
            {"sent", "delivered"} <= set(receiver.statuses("/status", sid)) for sid in outbound
        ),
        120,
        "every outbound message's sent and delivered callbacks",
    )
    with server_process.http() as http:
        for sid in outbound:
            assert http.get(f"{base}/Messages/{sid}.json").json()["status"] == "delivered"

    # Every event too: each message's, once or more, always with the same id.
    wanted = {sid: set(EVENT_TYPES[:3]) for sid in outbound}
    wanted.update({sid: {EVENT_TYPES[3]} for sid in inbound})
    _wait(
        lambda: all(
            types <= set(_events_by_message(receiver).get(sid, {})) for sid, types in wanted.items()
        ),
        120,
        "every message's Event Streams events",
    )
    for sid, by_type in _events_by_message(receiver).items():
        assert all(len(ids) == 1 for ids in by_type.values()), (sid, by_type)
    assert all(r.signature_valid for r in receiver.at("/events"))

    # At least once: a repeat is allowed, but it carries the first delivery's token.
    tokens: dict[tuple[str, str, str], set[str]] = {}
    for request in receiver.at("/sms") + receiver.at("/status"):
        key = (
            request.path,
            request.params.get("MessageSid", ""),
            request.params.get("MessageStatus", ""),
        )
        tokens.setdefault(key, set()).add(request.header("I-Twilio-Idempotency-Token") or "")
    assert all(len(seen) == 1 and "" not in seen for seen in tokens.values()), tokens
    seen = receiver.values("/sms", "MessageSid")
    duplicates = len(seen) - len(set(seen))
    print(
        f"repeats after SIGKILL: {duplicates} of {INBOUND} webhooks"
        f" ({len(delivered_before_kill)} answered before the kill)"
    )
