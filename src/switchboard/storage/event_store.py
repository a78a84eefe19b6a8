"""Event Streams in the SQL store: Sinks, Subscriptions, and the fan-out of each event.

:func:`fan_out` is the hook the store runs wherever it records a message's status (creation,
a carrier step, a cancel): in that same transaction it writes one ``event`` job per active Sink
subscribed to the event's type, so an event is never lost between a state change and its
delivery. The Sinks that receive it are chosen by the database (``fan_out_event``); a status
change nobody subscribed to costs one indexed look-up (``event_subscribed``), which a new
message's insert answers itself (``insert_message_with_event`` and ``_and_job``, both
including the ``account_subscribes`` fragment that ``event_subscribed`` reads alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from switchboard.domain.events import (
    BATCH_WINDOW_SECONDS,
    EVENT_TYPES,
    Sink,
    SubscribedEvent,
    Subscription,
    WebhookSinkConfig,
    event_type_of,
    message_event,
)
from switchboard.domain.jobs import EventDelivery
from switchboard.domain.models import Job, Message, NewJob
from switchboard.ports import Page, PageRequest
from switchboard.storage import records
from switchboard.storage.connector import Params, Row, Statements
from switchboard.storage.paging import keyset_page
from switchboard.storage.rows import dump_json, from_micros, to_micros
from switchboard.storage.store_part import StorePart

_BATCH_WINDOW_US = round(BATCH_WINDOW_SECONDS * 1_000_000)


async def fan_out(
    tx: Statements, message: Message, at: datetime, *, subscribed: bool = False
) -> None:
    """Queue ``message``'s event (if its status emits one) for every subscribed Sink;
    ``subscribed``: the caller already knows the account subscribes to its type."""
    type_ = event_type_of(message)
    if type_ is None:
        return
    # Most status changes have no subscriber: one indexed look-up spares building the event
    # (~25 us of Python) and binding it to the fan-out.
    params = {"account_sid": message.account_sid, "type": type_}
    if not subscribed and await tx.fetch_one("event_subscribed", params) is None:
        return
    built = message_event(message, at)
    if built is None:
        return
    _, event = built
    schema = EVENT_TYPES[type_].schema
    payload = EventDelivery(sink_sid="", events=(event,)).to_payload()
    await tx.execute(
        "fan_out_event",
        {
            "account_sid": message.account_sid,
            "message_sid": message.sid,
            "type": type_,
            "due_at": to_micros(at),
            "batch_window": _BATCH_WINDOW_US,
            "payload": dump_json(payload),
            "schema_base": f"{schema.url(0)[:-1]}",
        },
    )


def _sink(row: Row) -> Sink:
    return Sink(
        sid=row["sid"],
        account_sid=row["account_sid"],
        description=row["description"],
        sink_type=row["sink_type"],
        config=WebhookSinkConfig(row["destination"], row["method"], bool(row["batch_events"])),
        status=row["status"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
        test_id=row["test_id"],
    )


def _sink_params(sink: Sink) -> Params:
    return {
        "sid": sink.sid,
        "account_sid": sink.account_sid,
        "description": sink.description,
        "sink_type": sink.sink_type,
        "destination": sink.config.destination,
        "method": sink.config.method,
        "batch_events": sink.config.batch_events,
        "status": sink.status,
        "test_id": sink.test_id,
        "date_created": to_micros(sink.date_created),
        "date_updated": to_micros(sink.date_updated),
    }


def _subscription(row: Row) -> Subscription:
    return Subscription(
        sid=row["sid"],
        account_sid=row["account_sid"],
        sink_sid=row["sink_sid"],
        description=row["description"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def _subscription_params(subscription: Subscription) -> Params:
    return {
        "sid": subscription.sid,
        "account_sid": subscription.account_sid,
        "sink_sid": subscription.sink_sid,
        "description": subscription.description,
        "date_created": to_micros(subscription.date_created),
        "date_updated": to_micros(subscription.date_updated),
    }


def _subscribed(row: Row) -> SubscribedEvent:
    return SubscribedEvent(
        row["account_sid"], row["subscription_sid"], row["type"], int(row["schema_version"])
    )


def _subscribed_params(event: SubscribedEvent) -> Params:
    return {
        "subscription_sid": event.subscription_sid,
        "account_sid": event.account_sid,
        "type": event.type,
        "schema_version": event.schema_version,
    }


class EventStoreMethods(StorePart):
    """The Event Streams part of :class:`~switchboard.storage.sql_store.SqlStore`."""

    # Sinks

    async def insert_sink(self, sink: Sink) -> None:
        await self._db.execute("insert_sink", _sink_params(sink))

    async def get_sink(self, account_sid: str, sid: str) -> Sink | None:
        return await self._get("get_sink", _sink, account_sid=account_sid, sid=sid)

    async def find_sink(self, sid: str) -> Sink | None:
        return await self._get("find_sink", _sink, sid=sid)

    async def update_sink(self, sink: Sink, jobs: Sequence[EventDelivery] = ()) -> None:
        """Write ``sink`` and, in the same transaction, its test event's job(s)."""

        async def work(tx: Statements) -> None:
            await tx.execute("update_sink", _sink_params(sink))
            for spec in jobs:
                job = records.new_job_params(_event_job(spec, sink))
                await tx.execute("insert_job", job)

        await self._db.transaction(work)

    async def delete_sink(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_sink", params) > 0

    async def list_sinks(
        self, account_sid: str, status: str | None, in_use: bool | None, page: PageRequest
    ) -> Page[Sink]:
        keys = {"account_sid": account_sid}
        filters = {"status": status, "in_use": in_use}
        return await self._db.snapshot(
            keyset_page("sink_seq", "list_sinks", keys, filters, page, _sink)
        )

    # Subscriptions and their types

    async def insert_subscription(self, subscription: Subscription) -> None:
        async def work(tx: Statements) -> None:
            await tx.execute("insert_subscription", _subscription_params(subscription))
            await tx.execute_many(
                "save_subscribed_event", [_subscribed_params(t) for t in subscription.types]
            )

        await self._db.transaction(work)

    async def get_subscription(self, account_sid: str, sid: str) -> Subscription | None:
        return await self._get("get_subscription", _subscription, account_sid=account_sid, sid=sid)

    async def update_subscription(self, subscription: Subscription) -> None:
        await self._db.execute("update_subscription", _subscription_params(subscription))

    async def delete_subscription(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_subscription", params) > 0

    async def list_subscriptions(
        self, account_sid: str, sink_sid: str | None, page: PageRequest
    ) -> Page[Subscription]:
        keys, filters = {"account_sid": account_sid}, {"sink_sid": sink_sid}
        return await self._db.snapshot(
            keyset_page(
                "subscription_seq", "list_subscriptions", keys, filters, page, _subscription
            )
        )

    async def save_subscribed_event(self, event: SubscribedEvent) -> None:
        await self._db.execute("save_subscribed_event", _subscribed_params(event))

    async def get_subscribed_event(
        self, subscription_sid: str, type_: str
    ) -> SubscribedEvent | None:
        return await self._get(
            "get_subscribed_event", _subscribed, subscription_sid=subscription_sid, type=type_
        )

    async def delete_subscribed_event(self, subscription_sid: str, type_: str) -> bool:
        params = {"subscription_sid": subscription_sid, "type": type_}
        return await self._db.execute("delete_subscribed_event", params) > 0

    async def list_subscribed_events(
        self, subscription_sid: str, page: PageRequest
    ) -> Page[SubscribedEvent]:
        keys = {"subscription_sid": subscription_sid}
        return await self._db.snapshot(
            keyset_page(
                "subscribed_event_seq", "list_subscribed_events", keys, {}, page, _subscribed
            )
        )

    # Batching

    async def claim_event_batch(
        self,
        job: Job,
        sink_sid: str,
        now: datetime,
        until: datetime,
        limit: int,
        lease_seconds: float,
    ) -> list[Job]:
        """Lease the Sink's other waiting event jobs due by ``until`` to ``job``'s runner."""
        now_us = to_micros(now)
        params = {
            "id": job.id,
            "sink_sid": sink_sid,
            "until": to_micros(until),
            "now": now_us,
            "limit": limit,
            "leased_until": now_us + round(lease_seconds * 1_000_000),
        }

        async def work(tx: Statements) -> list[Row]:
            return await tx.fetch_all("claim_event_batch", params)

        claimed = [records.job(r) for r in await self._db.transaction(work)]
        return sorted(claimed, key=lambda j: (j.due_at, j.id))


def _event_job(spec: EventDelivery, sink: Sink) -> NewJob:
    return NewJob(spec.kind, sink.date_updated, spec.to_payload(), sink.account_sid, None)
