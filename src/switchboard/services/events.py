"""Event Streams (Events v1): Sinks, the test/validate flow, Subscriptions and their types.

Every call is scoped to the caller's account: another account's Sink or Subscription is not
found. A Sink is ``initialized`` when created; ``Test`` sends it a test event (through the
outbox, like every delivery) and makes it ``validating``; ``Validate`` with that event's
``test_id`` makes it ``active``. Only an active Sink can be subscribed, and only active Sinks
receive messaging events.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.events import (
    EVENT_TYPES,
    SCHEMAS,
    SINK_STATUSES,
    EventSchema,
    EventType,
    Sink,
    SinkConfigError,
    SubscribedEvent,
    Subscription,
    SubscriptionError,
    parse_types,
    parse_webhook_config,
    sink_test_event,
    subscribed_event,
)
from switchboard.domain.jobs import EventDelivery
from switchboard.domain.models import Account
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest
from switchboard.services.runtime import Runtime


def _invalid(message: str) -> TwilioError:
    return TwilioError(20001, message, http_status=400)


def _required(params: Mapping[str, str], name: str) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        raise _invalid(f"Missing required parameter {name} in the post body")
    return value


class EventStreamService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    # Sinks -----------------------------------------------------------------------------------

    async def create_sink(self, account: Account, params: Mapping[str, str]) -> Sink:
        description = _required(params, "Description")
        sink_type = _required(params, "SinkType")
        raw = _required(params, "SinkConfiguration")
        if sink_type != "webhook":
            raise _invalid(f"SinkType {sink_type!r} is not supported here: only webhook")
        try:
            config = parse_webhook_config(raw)
        except SinkConfigError as error:
            raise _invalid(f"Invalid SinkConfiguration: {error}") from error
        now = self._rt.clock.now()
        sink = Sink(
            sid=self._rt.new_sid(SidPrefix.SINK),
            account_sid=account.sid,
            description=description,
            sink_type=sink_type,
            config=config,
            status="initialized",
            date_created=now,
            date_updated=now,
        )
        await self._rt.store.insert_sink(sink)
        return sink

    async def sink(self, account: Account, sid: str) -> Sink:
        found = None
        if is_sid(sid, SidPrefix.SINK):
            found = await self._rt.store.get_sink(account.sid, sid)
        if found is None:
            raise NotFound()
        return found

    async def list_sinks(
        self, account: Account, params: Mapping[str, str], page: PageRequest
    ) -> Page[Sink]:
        status = params.get("Status") or None
        if status is not None and status not in SINK_STATUSES:
            raise _invalid(f"Status must be one of {', '.join(SINK_STATUSES)}")
        in_use = None
        if params.get("InUse"):
            lowered = params["InUse"].strip().lower()
            if lowered not in ("true", "false"):
                raise _invalid("InUse must be true or false")
            in_use = lowered == "true"
        return await self._rt.store.list_sinks(account.sid, status, in_use, page)

    async def update_sink(self, account: Account, sid: str, params: Mapping[str, str]) -> Sink:
        sink = await self.sink(account, sid)
        description = _required(params, "Description")
        updated = dataclasses.replace(
            sink, description=description, date_updated=self._rt.clock.now()
        )
        await self._rt.store.update_sink(updated)
        return updated

    async def delete_sink(self, account: Account, sid: str) -> None:
        await self.sink(account, sid)
        await self._rt.store.delete_sink(account.sid, sid)

    async def test_sink(self, account: Account, sid: str) -> Sink:
        """Send the Sink a test event; it awaits the event's ``test_id`` in ``validate_sink``."""
        sink = await self.sink(account, sid)
        now = self._rt.clock.now()
        # A UUID, as Twilio's test events carry; drawn from the SID source (seeded runs repeat).
        test_id = str(uuid.UUID(hex=self._rt.new_sid(SidPrefix.SINK)[2:]))
        status = sink.status if sink.status == "active" else "validating"
        updated = dataclasses.replace(sink, status=status, test_id=test_id, date_updated=now)
        event = sink_test_event(sink.sid, account.sid, test_id, now)
        await self._rt.store.update_sink(updated, [EventDelivery(sink.sid, (event,), test=True)])
        self._rt.outbox.wake()
        return updated

    async def validate_sink(self, account: Account, sid: str, params: Mapping[str, str]) -> Sink:
        sink = await self.sink(account, sid)
        test_id = _required(params, "TestId")
        if sink.test_id is None or test_id != sink.test_id:
            raise _invalid("Invalid TestId: it is not the id of this Sink's last test event")
        updated = dataclasses.replace(sink, status="active", date_updated=self._rt.clock.now())
        await self._rt.store.update_sink(updated)
        return updated

    # Subscriptions ---------------------------------------------------------------------------

    async def create_subscription(
        self, account: Account, params: Mapping[str, str], types: list[str]
    ) -> Subscription:
        description = _required(params, "Description")
        sink_sid = _required(params, "SinkSid")
        if not types:
            raise _invalid("Missing required parameter Types in the post body")
        sink = None
        if is_sid(sink_sid, SidPrefix.SINK):
            sink = await self._rt.store.get_sink(account.sid, sink_sid)
        if sink is None:
            raise _invalid(f"Sink {sink_sid} not found")
        if sink.status != "active":
            raise _invalid("Sink must be active for the subscription to be created")
        sid = self._rt.new_sid(SidPrefix.SUBSCRIPTION)
        try:
            subscribed = parse_types(types, account.sid, sid)
        except SubscriptionError as error:
            raise _invalid(str(error)) from error
        now = self._rt.clock.now()
        subscription = Subscription(
            sid, account.sid, sink.sid, description, now, now, tuple(subscribed)
        )
        await self._rt.store.insert_subscription(subscription)
        return subscription

    async def subscription(self, account: Account, sid: str) -> Subscription:
        found = None
        if is_sid(sid, SidPrefix.SUBSCRIPTION):
            found = await self._rt.store.get_subscription(account.sid, sid)
        if found is None:
            raise NotFound()
        return found

    async def list_subscriptions(
        self, account: Account, params: Mapping[str, str], page: PageRequest
    ) -> Page[Subscription]:
        sink_sid = params.get("SinkSid") or None
        return await self._rt.store.list_subscriptions(account.sid, sink_sid, page)

    async def update_subscription(
        self, account: Account, sid: str, params: Mapping[str, str]
    ) -> Subscription:
        subscription = await self.subscription(account, sid)
        description = params.get("Description")
        if description is None or not description.strip():
            return subscription
        updated = dataclasses.replace(
            subscription, description=description.strip(), date_updated=self._rt.clock.now()
        )
        await self._rt.store.update_subscription(updated)
        return updated

    async def delete_subscription(self, account: Account, sid: str) -> None:
        await self.subscription(account, sid)
        await self._rt.store.delete_subscription(account.sid, sid)

    # Subscribed events -----------------------------------------------------------------------

    async def add_subscribed_event(
        self, account: Account, subscription_sid: str, params: Mapping[str, str]
    ) -> SubscribedEvent:
        subscription = await self.subscription(account, subscription_sid)
        type_ = _required(params, "Type")
        event = self._subscribed(account, subscription, type_, params.get("SchemaVersion"))
        await self._rt.store.save_subscribed_event(event)
        return event

    def _subscribed(
        self, account: Account, subscription: Subscription, type_: str, version: str | None
    ) -> SubscribedEvent:
        number = None
        if version:
            try:
                number = int(version)
            except ValueError as error:
                raise _invalid("SchemaVersion must be an integer") from error
        try:
            return subscribed_event(account.sid, subscription.sid, type_, number)
        except SubscriptionError as error:
            raise _invalid(str(error)) from error

    async def subscribed_event(
        self, account: Account, subscription_sid: str, type_: str
    ) -> SubscribedEvent:
        await self.subscription(account, subscription_sid)
        found = await self._rt.store.get_subscribed_event(subscription_sid, type_)
        if found is None:
            raise NotFound()
        return found

    async def update_subscribed_event(
        self, account: Account, subscription_sid: str, type_: str, params: Mapping[str, str]
    ) -> SubscribedEvent:
        subscription = await self.subscription(account, subscription_sid)
        await self.subscribed_event(account, subscription_sid, type_)
        event = self._subscribed(account, subscription, type_, params.get("SchemaVersion"))
        await self._rt.store.save_subscribed_event(event)
        return event

    async def remove_subscribed_event(
        self, account: Account, subscription_sid: str, type_: str
    ) -> None:
        await self.subscribed_event(account, subscription_sid, type_)
        await self._rt.store.delete_subscribed_event(subscription_sid, type_)

    async def list_subscribed_events(
        self, account: Account, subscription_sid: str, page: PageRequest
    ) -> Page[SubscribedEvent]:
        await self.subscription(account, subscription_sid)
        return await self._rt.store.list_subscribed_events(subscription_sid, page)

    # The catalogue (static: the messaging events switchboard emits) ---------------------------

    @staticmethod
    def event_types(schema_id: str | None) -> list[EventType]:
        return [t for t in EVENT_TYPES.values() if schema_id in (None, t.schema.id)]

    @staticmethod
    def event_type(type_: str) -> EventType:
        found = EVENT_TYPES.get(type_)
        if found is None:
            raise NotFound()
        return found

    @staticmethod
    def schema(schema_id: str) -> EventSchema:
        found = SCHEMAS.get(schema_id)
        if found is None:
            raise NotFound()
        return found

    @staticmethod
    def schema_version(schema_id: str, version: str) -> tuple[EventSchema, int]:
        schema = EventStreamService.schema(schema_id)
        if not version.isdigit() or not 1 <= int(version) <= schema.latest_version:
            raise NotFound()
        return schema, int(version)
