"""The Store contract, Event Streams: Sinks, Subscriptions, and the fan-out of each recorded
status change into event jobs in the same transaction. Every test runs against every backend."""

from __future__ import annotations

import dataclasses
from typing import Any

from switchboard.domain.events import (
    Sink,
    SubscribedEvent,
    Subscription,
    WebhookSinkConfig,
)
from switchboard.domain.jobs import EventDelivery
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, StatusEvent
from switchboard.ports import JobOutcome, PageRequest, Store

Records = Any  # conftest.Records
SECOND = 1_000_000
DELIVERED = "com.twilio.messaging.message.delivered"
QUEUED = "com.twilio.messaging.message.queued"
RECEIVED = "com.twilio.messaging.inbound-message.received"


def _sink(make: Records, account_sid: str, *, status: str = "active", batch: bool = False) -> Sink:
    return Sink(
        sid=make.sid("DG"),
        account_sid=account_sid,
        description="sink",
        sink_type="webhook",
        config=WebhookSinkConfig("https://app.example/events", "POST", batch),
        status=status,
        date_created=make.at(1),
        date_updated=make.at(2),
    )


async def _subscribe(
    store: Store, make: Records, sink: Sink, *types: tuple[str, int]
) -> Subscription:
    sid = make.sid("DF")
    subscription = Subscription(
        sid,
        sink.account_sid,
        sink.sid,
        "sub",
        make.at(3),
        make.at(4),
        tuple(SubscribedEvent(sink.account_sid, sid, t, v) for t, v in types),
    )
    await store.insert_subscription(subscription)
    return subscription


async def _event_jobs(store: Store, make: Records) -> list[Any]:
    claimed = await store.claim_jobs(make.at(3600 * SECOND), 100, 30)
    return [j for j in claimed if j.kind == "event"]


async def test_sinks_round_trip_filter_and_scope(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    await store.insert_account(acc)
    await store.insert_account(other)
    idle = _sink(make, acc.sid, status="initialized")
    used = _sink(make, acc.sid, batch=True)
    await store.insert_sink(idle)
    await store.insert_sink(used)
    await _subscribe(store, make, used, (DELIVERED, 8))

    assert await store.get_sink(acc.sid, used.sid) == used
    assert await store.get_sink(other.sid, used.sid) is None
    assert await store.find_sink(used.sid) == used
    page = PageRequest()
    assert [s.sid for s in (await store.list_sinks(acc.sid, None, None, page)).items] == [
        idle.sid,
        used.sid,
    ]
    assert [s.sid for s in (await store.list_sinks(acc.sid, "active", None, page)).items] == [
        used.sid
    ]
    assert [s.sid for s in (await store.list_sinks(acc.sid, None, True, page)).items] == [used.sid]
    assert [s.sid for s in (await store.list_sinks(acc.sid, None, False, page)).items] == [idle.sid]
    assert (await store.list_sinks(other.sid, None, None, page)).items == []
    first = await store.list_sinks(acc.sid, None, None, PageRequest(page_size=1))
    assert first.has_more
    rest = await store.list_sinks(acc.sid, None, None, PageRequest(1, first.items[0].sid))
    assert [s.sid for s in rest.items] == [used.sid]
    assert not rest.has_more

    renamed = dataclasses.replace(idle, description="renamed", test_id="t-1", status="validating")
    await store.update_sink(renamed)
    assert await store.get_sink(acc.sid, idle.sid) == renamed
    assert await store.delete_sink(acc.sid, used.sid)
    assert (await store.list_subscriptions(acc.sid, None, page)).items == []  # cascaded


async def test_subscribed_events_are_saved_replaced_and_removed(
    store: Store, make: Records
) -> None:
    acc = make.account()
    sink = _sink(make, acc.sid)
    await store.insert_sink(sink)
    sub = await _subscribe(store, make, sink, (DELIVERED, 3))
    assert await store.get_subscription(acc.sid, sub.sid) == dataclasses.replace(sub, types=())
    await store.save_subscribed_event(SubscribedEvent(acc.sid, sub.sid, DELIVERED, 8))
    await store.save_subscribed_event(SubscribedEvent(acc.sid, sub.sid, QUEUED, 8))
    listed = await store.list_subscribed_events(sub.sid, PageRequest())
    assert [(e.type, e.schema_version) for e in listed.items] == [(DELIVERED, 8), (QUEUED, 8)]
    second = await store.list_subscribed_events(sub.sid, PageRequest(1, DELIVERED))
    assert [e.type for e in second.items] == [QUEUED]
    assert await store.delete_subscribed_event(sub.sid, DELIVERED)
    assert await store.get_subscribed_event(sub.sid, DELIVERED) is None
    assert await store.delete_subscription(acc.sid, sub.sid)
    assert await store.get_subscribed_event(sub.sid, QUEUED) is None  # cascaded


async def test_a_status_change_queues_its_event_for_each_active_subscribed_sink(
    store: Store, make: Records
) -> None:
    acc, other = make.account(), make.account()
    active, inactive, foreign = (
        _sink(make, acc.sid),
        _sink(make, acc.sid, status="validating"),
        _sink(make, other.sid),
    )
    for sink in (active, inactive, foreign):
        await store.insert_sink(sink)
    await _subscribe(store, make, active, (QUEUED, 2), (DELIVERED, 8))
    await _subscribe(store, make, active, (QUEUED, 5))  # twice: one job, the higher version
    await _subscribe(store, make, inactive, (QUEUED, 8))
    await _subscribe(store, make, foreign, (QUEUED, 8))

    message = make.message(acc.sid)
    await store.insert_message(message)
    [job] = await _event_jobs(store, make)
    spec = EventDelivery.from_payload(job.payload)
    assert spec.sink_sid == active.sid
    [event] = spec.events
    assert event["type"] == QUEUED
    assert event["dataschema"] == "https://events-schemas.twilio.com/Messaging.MessageStatus/5"
    assert event["data"]["messageSid"] == message.sid
    assert (job.account_sid, job.message_sid, job.due_at) == (
        acc.sid,
        message.sid,
        message.date_created,
    )

    sent = dataclasses.replace(message, status=MessageStatus.SENT, date_updated=make.at(20))
    await store.update_message(sent, events=[StatusEvent(sent.sid, "sent", make.at(20))])
    assert await _event_jobs(store, make) == []  # nobody subscribed to sent

    delivered = dataclasses.replace(sent, status=MessageStatus.DELIVERED)
    carrier = make.job(make.at(0), kind="carrier", message_sid=message.sid)
    await store.update_message(sent, [carrier])
    [claimed] = await store.claim_jobs(make.at(0), 10, 30)
    outcome = JobOutcome(
        message_updates=[delivered],
        events=[StatusEvent(sent.sid, "delivered", make.at(30))],
    )
    await store.finish_job(claimed, outcome)
    [job] = await _event_jobs(store, make)
    assert EventDelivery.from_payload(job.payload).events[0]["type"] == DELIVERED


async def test_an_inbound_message_queues_received(store: Store, make: Records) -> None:
    acc = make.account()
    sink = _sink(make, acc.sid)
    await store.insert_sink(sink)
    await _subscribe(store, make, sink, (RECEIVED, 6))
    inbound = make.message(acc.sid, direction=Direction.INBOUND, status="received")
    await store.insert_message(inbound)
    [job] = await _event_jobs(store, make)
    assert EventDelivery.from_payload(job.payload).events[0]["data"]["numMedia"] == 0


async def test_a_batch_leases_the_sinks_waiting_jobs_and_removes_them_with_its_job(
    store: Store, make: Records
) -> None:
    acc = make.account()
    batching, alone = _sink(make, acc.sid, batch=True), _sink(make, acc.sid)
    await store.insert_sink(batching)
    await store.insert_sink(alone)
    await _subscribe(store, make, batching, (QUEUED, 8))
    await _subscribe(store, make, alone, (QUEUED, 8))
    messages = [make.message(acc.sid, date_created=make.at(i * SECOND)) for i in range(3)]
    for message in messages:
        await store.insert_message(message)
    # A batching sink's jobs wait a second for company; the other sink's are due at once.
    due_now = await store.claim_jobs(make.at(0), 1, 30)
    assert [EventDelivery.from_payload(j.payload).sink_sid for j in due_now] == [alone.sid]
    [first] = [
        j
        for j in await store.claim_jobs(make.at(SECOND), 10, 30)
        if EventDelivery.from_payload(j.payload).sink_sid == batching.sid
    ]
    batch = await store.claim_event_batch(
        first, batching.sid, make.at(SECOND), make.at(3 * SECOND), 10, 30
    )
    assert [j.message_sid for j in batch] == [m.sid for m in messages[1:]]
    assert (
        await store.claim_event_batch(
            first, batching.sid, make.at(SECOND), make.at(3 * SECOND), 10, 30
        )
        == []
    )  # leased now
    await store.finish_job(first, JobOutcome(absorbed=[(j.id, j.attempts) for j in batch]))
    left = await store.claim_jobs(make.at(3600 * SECOND), 100, 3600)
    assert all(EventDelivery.from_payload(j.payload).sink_sid == alone.sid for j in left)
