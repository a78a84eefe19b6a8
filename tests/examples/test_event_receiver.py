"""The Event Streams receiver (examples/event_streams) against switchboard: signatures, the
test/validate flow, de-duplication by event id and lifecycle order under the carrier's chaos."""

from __future__ import annotations

import json

import pytest
from event_receiver import EventStore, create_app, subscribe

HANDSET = "+15555550199"


@pytest.fixture
def store(tmp_path) -> EventStore:
    return EventStore(str(tmp_path / "events.db"))


@pytest.fixture
def sink_url(switchboard, store) -> str:
    """The receiver's Flask app mounted in-process (no port); its /events URL."""
    return switchboard.mount(create_app(switchboard.auth_token, store)) + "/events"


def walk(switchboard, seconds: float, step: float = 0.5) -> None:
    for _ in range(round(seconds / step)):
        switchboard.advance(step)


def test_a_subscribed_receiver_follows_a_message_to_delivered(switchboard, store, sink_url):
    sink_sid, _ = subscribe(switchboard.client, sink_url, store, wait=switchboard.settle)
    assert switchboard.client.events.v1.sinks(sink_sid).fetch().status == "active"
    number = switchboard.number()
    sid = switchboard.client.messages.create(to=HANDSET, from_=number, body="Shipped").sid
    walk(switchboard, 5)
    assert store.status(sid) == "DELIVERED"
    assert store.timeline(sid) == ["QUEUED", "SENT", "DELIVERED"]


def test_duplicates_and_late_events_change_nothing(switchboard, store, sink_url):
    subscribe(switchboard.client, sink_url, store, wait=switchboard.settle)
    switchboard.scenario(chaos={"duplicate": 1.0, "reorder": 1.0})
    number = switchboard.number()
    sid = switchboard.client.messages.create(to=HANDSET, from_=number, body="Chaos").sid
    walk(switchboard, 10)
    sent = [
        event["id"]
        for attempt in switchboard.webhooks(sid)
        if attempt["kind"] == "event"
        for event in json.loads(attempt["request"]["body"])
    ]
    assert len(sent) > len(set(sent)) == 3  # every event arrived at least twice
    assert store.status(sid) == "DELIVERED"
    assert store.timeline(sid) == ["QUEUED", "SENT", "DELIVERED"]  # each once, in order


def test_an_inbound_message_is_recorded_as_received(switchboard, store, sink_url):
    subscribe(switchboard.client, sink_url, store, wait=switchboard.settle)
    switchboard.number()
    switchboard.text("hello")
    [inbound] = [m for m in switchboard.messages() if m["direction"] == "inbound"]
    assert store.status(inbound["sid"]) == "RECEIVED"


def test_a_batching_sink_delivers_everything(switchboard, store, sink_url):
    subscribe(switchboard.client, sink_url, store, wait=switchboard.settle, batch=True)
    number = switchboard.number()
    sids = [
        switchboard.client.messages.create(to=HANDSET, from_=number, body=f"m{i}").sid
        for i in range(3)
    ]
    walk(switchboard, 5)
    assert [store.status(sid) for sid in sids] == ["DELIVERED"] * 3
    batches = [a for a in switchboard.webhooks() if a["kind"] == "event"]
    assert any(len(json.loads(a["request"]["body"])) > 1 for a in batches)


def test_a_request_without_a_valid_signature_is_refused(switchboard, store):
    app = create_app(switchboard.auth_token, store)
    answer = app.test_client().post(
        "/events?bodySHA256=00", data="[]", headers={"X-Twilio-Signature": "forged"}
    )
    assert answer.status_code == 403
