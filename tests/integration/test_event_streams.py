"""Event Streams end to end: a real HTTP receiver as the Sink, events for a whole outbound
lifecycle and for an inbound message, Twilio's JSON-webhook signature checked by the official
``RequestValidator`` (the ``receiver`` fixture fails the test on any bad signature), batching,
retries after a 500, and the attempt log. Every event is also read back by the CloudEvents
reference SDK, an independent check of the envelope."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat

from switchboard.receiver import Reply
from switchboard.testing import TEST_ACCOUNT_SID, Switchboard, TestReceiver

OURS = "+14155550100"
HANDSET = "+14155550199"
PREFIX = "com.twilio.messaging.message."
LIFECYCLE = [f"{PREFIX}{s}" for s in ("queued", "sent", "delivered")]
RECEIVED = "com.twilio.messaging.inbound-message.received"
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _sink(
    client: Any,
    receiver: TestReceiver,
    path: str,
    types: list[dict[str, Any]],
    *,
    batch: bool = False,
    answers: list[Reply] | None = None,
) -> Any:
    """An active Sink at ``path`` subscribed to ``types``, validated the way a user would."""
    receiver.route(path, [Reply(200), *(answers or [Reply(200)])])
    sink = client.events.v1.sinks.create(
        description="e2e",
        sink_configuration={"destination": receiver.url(path), "batch_events": batch},
        sink_type="webhook",
    )
    client.events.v1.sinks(sink.sid).sink_test.create()
    [test] = receiver.wait_for_events(path, lambda events: len(events) >= 1)
    client.events.v1.sinks(sink.sid).sink_validate.create(test_id=test["data"]["test_id"])
    client.events.v1.subscriptions.create(description="e2e", sink_sid=sink.sid, types=types)
    return sink


def _of(events: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("data", {}).get("messageSid") == sid]


def _check_envelope(event: dict[str, Any]) -> None:
    parsed = JSONFormat().read(None, json.dumps(event))  # the reference reader's validation
    assert parsed.get_specversion() == "1.0"
    assert re.fullmatch(r"NO[0-9a-f]{32}", event["id"])
    assert event["datacontenttype"] == "application/json"
    assert ISO_MILLIS.match(event["time"])
    assert event["data"]["eventName"] == event["type"]
    assert event["data"]["accountSid"] == TEST_ACCOUNT_SID
    assert event["data"]["timestamp"] == event["time"]


def test_an_outbound_message_emits_its_whole_lifecycle(client: Any, receiver: TestReceiver) -> None:
    _sink(client, receiver, "/events", [{"type": t} for t in LIFECYCLE])
    client.incoming_phone_numbers.create(phone_number=OURS)
    message = client.messages.create(to=HANDSET, from_=OURS, body="Track me")

    events = receiver.wait_for_events(
        "/events", lambda found: len(_of(found, message.sid)) >= 3, what="three events"
    )
    mine = _of(events, message.sid)
    assert sorted(e["type"] for e in mine) == sorted(LIFECYCLE)
    for event in mine:
        _check_envelope(event)
        data = event["data"]
        assert data["messageStatus"] == event["type"].rsplit(".", 1)[1].upper()
        assert (data["from"], data["to"], data["body"]) == (OURS, HANDSET, "Track me")
        assert data["apiVersion"] == "2010-04-01"
        assert data["numberOfSegments"] == 1
        assert event["dataschema"] == "https://events-schemas.twilio.com/Messaging.MessageStatus/8"
        assert event["source"] == (
            f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{message.sid}.json"
        )
    assert len({e["id"] for e in mine}) == 3
    requests = receiver.at("/events")
    assert all(r.signature_valid for r in requests)
    assert all("bodySHA256=" in r.url for r in requests)


def test_an_inbound_message_emits_received(client: Any, receiver: TestReceiver, sim: Any) -> None:
    _sink(client, receiver, "/inbound-events", [{"type": RECEIVED, "schema_version": 2}])
    sim.number(OURS)
    inbound = sim.inbound("Hi there")

    events = receiver.wait_for_events(
        "/inbound-events", lambda found: bool(_of(found, inbound["sid"])), what="the event"
    )
    [event] = _of(events, inbound["sid"])
    _check_envelope(event)
    assert event["type"] == RECEIVED
    assert event["dataschema"] == "https://events-schemas.twilio.com/Messaging.InboundMessageV1/2"
    data = event["data"]
    assert (data["from"], data["to"], data["body"]) == (HANDSET, OURS, "Hi there")
    assert data["numMedia"] == 0


def test_only_subscribed_types_reach_the_sink(client: Any, receiver: TestReceiver) -> None:
    _sink(client, receiver, "/delivered", [{"type": f"{PREFIX}delivered"}])
    client.incoming_phone_numbers.create(phone_number=OURS)
    message = client.messages.create(to=HANDSET, from_=OURS, body="x")
    receiver.wait_for_events("/delivered", lambda found: bool(_of(found, message.sid)))
    # The test event, then the one delivered event: nothing for queued or sent.
    arrived = receiver.quiet("/delivered", 2)
    assert [e["type"] for e in arrived[1].json()] == [f"{PREFIX}delivered"]


def test_a_batching_sink_gets_several_events_per_request(
    client: Any, receiver: TestReceiver
) -> None:
    _sink(client, receiver, "/batch", [{"type": t} for t in LIFECYCLE], batch=True)
    client.incoming_phone_numbers.create(phone_number=OURS)
    sids = [client.messages.create(to=HANDSET, from_=OURS, body=f"m{i}").sid for i in range(3)]

    def all_nine(found: list[dict[str, Any]]) -> bool:
        return all(len(_of(found, sid)) >= 3 for sid in sids)

    events = receiver.wait_for_events("/batch", all_nine, what="nine events")
    requests = receiver.at("/batch")[1:]  # after the test event
    assert len(requests) < 9
    assert max(len(r.json()) for r in requests) > 1
    assert all(r.signature_valid for r in requests)
    assert len({e["id"] for e in events if e["type"] != "com.twilio.eventstreams.test-event"}) == 9


def test_a_failed_delivery_is_retried_with_the_same_events(
    client: Any, receiver: TestReceiver, sim: Any
) -> None:
    _sink(
        client,
        receiver,
        "/flaky",
        [{"type": f"{PREFIX}queued"}],
        answers=[Reply(500, "try later"), Reply(200)],
    )
    client.incoming_phone_numbers.create(phone_number=OURS)
    message = client.messages.create(to=HANDSET, from_=OURS, body="retry me")
    receiver.wait("/flaky", 2)  # the test event, then the failed attempt
    moved = sim.http.post("/_sim/clock", data={"Advance": "10"})  # past the first backoff
    assert moved.status_code == 200, moved.text
    [_, failed, retried] = receiver.wait("/flaky", 3)
    assert failed.body == retried.body
    assert failed.header("I-Twilio-Idempotency-Token") == retried.header(
        "I-Twilio-Idempotency-Token"
    )
    assert [e["data"]["messageSid"] for e in retried.json()] == [message.sid]

    attempts = _event_attempts(sim, message.sid, 2)
    assert [(a["attempt"], a["response"]["status"], a["error_code"]) for a in attempts] == [
        (1, 500, 91300),
        (2, 200, None),
    ]
    assert attempts[0]["url"] == attempts[1]["url"]  # the signed URL, bodySHA256 included


def _event_attempts(sim: Any, sid: str, count: int) -> list[dict[str, Any]]:
    """The attempt log's event attempts for ``sid`` once ``count`` are there (an attempt is
    recorded when its answer has been read, a moment after the receiver saw the request)."""
    deadline = time.monotonic() + 10
    while True:
        found = [a for a in sim.webhooks(sid) if a["kind"] == "event"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_an_event_delivery_can_be_replayed(client: Any, receiver: TestReceiver, sim: Any) -> None:
    _sink(client, receiver, "/replayed", [{"type": f"{PREFIX}queued"}])
    client.incoming_phone_numbers.create(phone_number=OURS)
    message = client.messages.create(to=HANDSET, from_=OURS, body="again")
    [_, original] = receiver.wait("/replayed", 2)
    [attempt] = _event_attempts(sim, message.sid, 1)

    answer = sim.http.post(f"/_sim/webhooks/{attempt['sid']}/replay")
    assert answer.status_code in (200, 201), answer.text
    [_, _, replayed] = receiver.wait("/replayed", 3)
    assert replayed.body == original.body
    assert replayed.signature_valid
    assert replayed.url.count("bodySHA256=") == 1
    assert replayed.header("I-Twilio-Idempotency-Token") != original.header(
        "I-Twilio-Idempotency-Token"
    )
    [entry] = answer.json()["webhooks"]
    assert (entry["kind"], entry["response"]["status"]) == ("replay", 200)


def test_a_sink_that_keeps_failing_is_retried_for_four_hours_then_given_up() -> None:
    def broken(environ: Any, start_response: Any) -> list[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"down"]

    with Switchboard.running() as switchboard:
        sink = switchboard.event_sink(broken, types=[f"{PREFIX}queued"])
        number = switchboard.number()
        sid = switchboard.client.messages.create(to=HANDSET, from_=number, body="x").sid
        for _ in range(60):  # ten hours of the virtual clock, ten minutes at a time
            switchboard.advance(600)
        attempts = [
            a
            for a in switchboard.webhooks(sid)
            if a["kind"] == "event" and sink.sid in a["error_detail"]
        ]
        first, last = attempts[0], attempts[-1]
        assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1))
        assert all(a["error_code"] == 91300 and a["response"]["status"] == 503 for a in attempts)
        span = _parse(last["date_created"]) - _parse(first["date_created"])
        assert 3.5 * 3600 <= span.total_seconds() <= 4 * 3600
        # One attempt per step at most once backed off: ten-minute steps, four hours.
        assert 20 < len(attempts) <= 4 * 6 + 1


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
