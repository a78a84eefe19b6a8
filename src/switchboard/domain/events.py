"""Event Streams (SPEC §19): the messaging event catalogue, the CloudEvents switchboard emits,
and the Sink/Subscription records.

Theory. Every outbound status change that Twilio announces (queued, sent, delivered,
undelivered, failed, read) and every inbound message received becomes one CloudEvent: the
envelope (``specversion``, ``type``, ``source``, ``id``, ``dataschema``, ``datacontenttype``,
``time``) around Twilio's camel-case ``data``. The event is built when the state change is
recorded, from the message as it is at that moment, so a later redaction or status never
rewrites an event already emitted. Its ``id`` is derived from the message, the type and the
time, so a duplicate (a retry, a replay after a crash, the carrier's chaos) carries the same
id and receivers can de-duplicate on it.

Statuses with no Twilio event type (accepted, scheduled, sending, canceled, receiving,
partially_delivered) emit nothing: Twilio's MessageStatus schema knows only QUEUED, SENT,
DELIVERED, UNDELIVERED, FAILED and READ.

Pure: ``now`` and identifiers come in as arguments.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import API_VERSION, Direction, Message

SCHEMA_BASE: Final = "https://events-schemas.twilio.com/"
TEST_EVENT_TYPE: Final = "com.twilio.eventstreams.test-event"
SINK_STATUSES: Final = ("initialized", "validating", "active", "failed")
SINK_TYPES: Final = ("kinesis", "webhook", "segment", "email")
SINK_METHODS: Final = ("POST", "GET")
# Events of a batching sink wait this long for company before the first of them goes.
BATCH_WINDOW_SECONDS: Final = 1.0
MAX_BATCH: Final = 100  # events in one request (Twilio does not document its figure)


@dataclass(frozen=True, slots=True)
class EventSchema:
    id: str  # e.g. Messaging.MessageStatus
    latest_version: int
    date_created: datetime  # of the latest version (fixed: the catalogue is static)

    def url(self, version: int) -> str:
        return f"{SCHEMA_BASE}{self.id}/{version}"


@dataclass(frozen=True, slots=True)
class EventType:
    type: str
    schema: EventSchema
    description: str


_CATALOGUE_DATE = datetime(2024, 1, 1, tzinfo=UTC)
MESSAGE_STATUS_SCHEMA: Final = EventSchema("Messaging.MessageStatus", 8, _CATALOGUE_DATE)
INBOUND_SCHEMA: Final = EventSchema("Messaging.InboundMessageV1", 6, _CATALOGUE_DATE)

_OUTBOUND_STATUSES: Final = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.READ,
)
INBOUND_RECEIVED: Final = "com.twilio.messaging.inbound-message.received"


def _outbound_type(status: MessageStatus | str) -> str:
    return f"com.twilio.messaging.message.{status}"


EVENT_TYPES: Final[Mapping[str, EventType]] = {
    **{
        _outbound_type(status): EventType(
            _outbound_type(status),
            MESSAGE_STATUS_SCHEMA,
            f"Outbound Message {status.capitalize()}",
        )
        for status in _OUTBOUND_STATUSES
    },
    INBOUND_RECEIVED: EventType(INBOUND_RECEIVED, INBOUND_SCHEMA, "Inbound Message Received"),
}
SCHEMAS: Final[Mapping[str, EventSchema]] = {
    schema.id: schema for schema in (MESSAGE_STATUS_SCHEMA, INBOUND_SCHEMA)
}


def event_type_of(message: Message) -> str | None:
    """The event type ``message``'s current status emits, if any."""
    # Compared as strings: a record built from raw values carries plain str enums.
    if message.direction == Direction.INBOUND:
        return INBOUND_RECEIVED if message.status == MessageStatus.RECEIVED else None
    if message.status in _OUTBOUND_STATUSES:
        return _outbound_type(str(message.status))
    return None


def iso_millis(at: datetime) -> str:
    """``2025-01-01T00:00:00.000Z``: the events' time format (UTC, milliseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "switchboard:event-id")


def event_id(*parts: str) -> str:
    """A 34-character event id (``NO`` + 32 hex, as Twilio's examples show), the same for the
    same parts, so every copy of one event carries one id."""
    return "NO" + uuid.uuid5(_ID_NAMESPACE, ":".join(parts)).hex


def _outbound_data(message: Message, type_: str, timestamp: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messageSid": message.sid,
        "timestamp": timestamp,
        "accountSid": message.account_sid,
        "eventName": type_,
        "apiVersion": API_VERSION,
        "from": message.from_ or "",
        "to": message.to,
        "messageStatus": str(message.status).upper(),
        "body": message.body,
        "numberOfSegments": message.num_segments,
        "dateUpdated": iso_millis(message.date_updated),
    }
    if message.messaging_service_sid:
        data["messagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        data["errorCode"] = message.error_code
    if message.status_callback:
        data["statusCallBackUrl"] = message.status_callback
    return data


_GEO_FIELDS: Final = (
    ("ToCountry", "toCountry"), ("ToState", "toState"), ("ToCity", "toCity"),
    ("ToZip", "toZip"), ("FromCountry", "fromCountry"), ("FromState", "fromState"),
    ("FromCity", "fromCity"), ("FromZip", "fromZip"),
)  # fmt: skip


def _inbound_data(message: Message, type_: str, timestamp: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messageSid": message.sid,
        "timestamp": timestamp,
        "accountSid": message.account_sid,
        "eventName": type_,
        "from": message.from_ or "",
        "to": message.to,
        "numMedia": message.num_media,
        "body": message.body,
    }
    for webhook_name, name in _GEO_FIELDS:
        if message.extra.get(webhook_name):
            data[name] = message.extra[webhook_name]
    if message.messaging_service_sid:
        data["messagingServiceSid"] = message.messaging_service_sid
    return data


def message_event(message: Message, at: datetime) -> tuple[str, dict[str, Any]] | None:
    """(type, CloudEvent) for ``message``'s current status recorded at ``at``; None when the
    status emits no event. ``dataschema`` names the latest schema version; the delivery to a
    Sink subscribed to another version names that one (:func:`with_schema_version`)."""
    type_ = event_type_of(message)
    if type_ is None:
        return None
    event_type = EVENT_TYPES[type_]
    timestamp = iso_millis(at)
    if message.direction == Direction.INBOUND:
        data = _inbound_data(message, type_, timestamp)
    else:
        data = _outbound_data(message, type_, timestamp)
    return type_, {
        "specversion": "1.0",
        "type": type_,
        "source": f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}.json",
        "id": event_id(message.sid, type_, timestamp),
        "dataschema": event_type.schema.url(event_type.schema.latest_version),
        "datacontenttype": "application/json",
        "time": timestamp,
        "data": data,
    }


def with_schema_version(event: Mapping[str, Any], version: int) -> dict[str, Any]:
    """``event`` as delivered to a subscription of ``version`` of its schema."""
    known = EVENT_TYPES.get(str(event.get("type")))
    if known is None:
        return dict(event)
    return {**event, "dataschema": known.schema.url(version)}


def sink_test_event(sink_sid: str, account_sid: str, test_id: str, at: datetime) -> dict[str, Any]:
    """The event a Sink test sends; the receiver proves it got it by posting ``test_id``."""
    timestamp = iso_millis(at)
    return {
        "specversion": "1.0",
        "type": TEST_EVENT_TYPE,
        "source": f"/v1/Sinks/{sink_sid}",
        "id": event_id(sink_sid, TEST_EVENT_TYPE, test_id),
        "dataschema": f"{SCHEMA_BASE}EventStreams.TestEvent/1",
        "datacontenttype": "application/json",
        "time": timestamp,
        "data": {"test_id": test_id, "accountSid": account_sid, "timestamp": timestamp},
    }


# --- Sinks and subscriptions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookSinkConfig:
    destination: str
    method: str = "POST"
    batch_events: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "method": self.method,
            "batch_events": self.batch_events,
        }


class SinkConfigError(ValueError):
    """A SinkConfiguration that cannot work (the message says why)."""


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise SinkConfigError("batch_events must be true or false")


def parse_webhook_config(raw: str) -> WebhookSinkConfig:
    """A webhook Sink's ``SinkConfiguration`` (a JSON object string)."""
    try:
        config = json.loads(raw)
    except ValueError as error:
        raise SinkConfigError("SinkConfiguration must be a JSON object") from error
    if not isinstance(config, dict):
        raise SinkConfigError("SinkConfiguration must be a JSON object")
    destination = config.get("destination")
    if not isinstance(destination, str) or urlsplit(destination).scheme not in ("http", "https"):
        raise SinkConfigError("destination must be an http or https URL")
    if not urlsplit(destination).hostname:
        raise SinkConfigError("destination must be an http or https URL")
    method = str(config.get("method") or "POST").upper()
    if method not in SINK_METHODS:
        raise SinkConfigError("method must be POST or GET")
    return WebhookSinkConfig(destination, method, _flag(config.get("batch_events", False)))


@dataclass(frozen=True, slots=True)
class Sink:
    sid: str  # DG...
    account_sid: str
    description: str
    sink_type: str
    config: WebhookSinkConfig
    status: str  # initialized | validating | active | failed
    date_created: datetime
    date_updated: datetime
    test_id: str | None = None  # the last test event's id, awaiting Validate


@dataclass(frozen=True, slots=True)
class SubscribedEvent:
    account_sid: str
    subscription_sid: str
    type: str
    schema_version: int


@dataclass(frozen=True, slots=True)
class Subscription:
    sid: str  # DF...
    account_sid: str
    sink_sid: str
    description: str
    date_created: datetime
    date_updated: datetime
    types: tuple[SubscribedEvent, ...] = field(default=())


class SubscriptionError(ValueError):
    """A subscribed type or version that does not exist."""


def subscribed_event(
    account_sid: str, subscription_sid: str, type_: str, version: int | None
) -> SubscribedEvent:
    """A type to subscribe to, checked against the catalogue (latest version by default)."""
    known = EVENT_TYPES.get(type_)
    if known is None:
        raise SubscriptionError(f"Unknown event type: {type_}")
    latest = known.schema.latest_version
    chosen = latest if version is None else version
    if not 1 <= chosen <= latest:
        raise SubscriptionError(f"Invalid schema version {chosen} for {type_} (1 to {latest})")
    return SubscribedEvent(account_sid, subscription_sid, type_, chosen)


def parse_types(raw: list[str], account_sid: str, subscription_sid: str) -> list[SubscribedEvent]:
    """``Types`` of a subscription: each a JSON object ``{"type": ..., "schema_version": n}``
    (as the SDKs send them) or a bare type name."""
    chosen: dict[str, SubscribedEvent] = {}
    for item in raw:
        try:
            parsed = json.loads(item)
        except ValueError:
            parsed = {"type": item}
        if isinstance(parsed, str):
            parsed = {"type": parsed}
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            raise SubscriptionError("Each of Types must be an object with a type")
        version = parsed.get("schema_version")
        if version is not None and not isinstance(version, int):
            try:
                version = int(version)
            except (TypeError, ValueError) as error:
                raise SubscriptionError("schema_version must be an integer") from error
        event = subscribed_event(account_sid, subscription_sid, parsed["type"], version)
        chosen[event.type] = event
    if not chosen:
        raise SubscriptionError("Types must name at least one event type")
    return list(chosen.values())
