"""The Event Streams rules (domain/events.py): which statuses emit which events, the envelope and
data, stable ids, Sink configurations and subscribed types."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.domain.events import (
    EVENT_TYPES,
    SinkConfigError,
    SubscriptionError,
    event_type_of,
    iso_millis,
    message_event,
    parse_types,
    parse_webhook_config,
    sink_test_event,
    with_schema_version,
)
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Message
from switchboard.webhooks.events import MAX_RETRY_SECONDS, retry_delay

T0 = datetime(2026, 6, 10, 6, 2, 54, 377123, tzinfo=UTC)
AC = "AC" + "1" * 32


def _message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "sid": "SM" + "2" * 32,
        "account_sid": AC,
        "direction": Direction.OUTBOUND_API,
        "from_": "+14155550100",
        "to": "+14155550199",
        "body": "Ahoy!",
        "status": MessageStatus.QUEUED,
        "num_segments": 1,
        "num_media": 0,
        "date_created": T0,
        "date_updated": T0,
    }
    return Message(**(fields | changes))  # type: ignore[arg-type]


EMITTING = {
    MessageStatus.QUEUED: "com.twilio.messaging.message.queued",
    MessageStatus.SENT: "com.twilio.messaging.message.sent",
    MessageStatus.DELIVERED: "com.twilio.messaging.message.delivered",
    MessageStatus.UNDELIVERED: "com.twilio.messaging.message.undelivered",
    MessageStatus.FAILED: "com.twilio.messaging.message.failed",
    MessageStatus.READ: "com.twilio.messaging.message.read",
}


@pytest.mark.parametrize("status", list(MessageStatus))
def test_which_outbound_statuses_emit_an_event(status: MessageStatus) -> None:
    assert event_type_of(_message(status=status)) == EMITTING.get(status)


def test_only_a_received_inbound_message_emits() -> None:
    inbound = _message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED)
    assert event_type_of(inbound) == "com.twilio.messaging.inbound-message.received"
    assert event_type_of(dataclasses.replace(inbound, status=MessageStatus.RECEIVING)) is None


def test_the_catalogue_is_the_emitted_types() -> None:
    assert set(EVENT_TYPES) == {*EMITTING.values(), "com.twilio.messaging.inbound-message.received"}


def test_an_outbound_event_has_twilios_envelope_and_typed_data() -> None:
    message = _message(
        status=MessageStatus.UNDELIVERED,
        error_code=30003,
        messaging_service_sid="MG" + "3" * 32,
        status_callback="https://app.example/status",
    )
    built = message_event(message, T0)
    assert built is not None
    type_, event = built
    assert type_ == "com.twilio.messaging.message.undelivered"
    assert event == {
        "specversion": "1.0",
        "type": type_,
        "source": f"/2010-04-01/Accounts/{AC}/Messages/{message.sid}.json",
        "id": event["id"],
        "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/8",
        "datacontenttype": "application/json",
        "time": "2026-06-10T06:02:54.377Z",
        "data": {
            "messageSid": message.sid,
            "timestamp": "2026-06-10T06:02:54.377Z",
            "accountSid": AC,
            "eventName": type_,
            "apiVersion": "2010-04-01",
            "from": "+14155550100",
            "to": "+14155550199",
            "messageStatus": "UNDELIVERED",
            "body": "Ahoy!",
            "numberOfSegments": 1,
            "dateUpdated": "2026-06-10T06:02:54.377Z",
            "messagingServiceSid": "MG" + "3" * 32,
            "errorCode": 30003,
            "statusCallBackUrl": "https://app.example/status",
        },
    }


def test_an_inbound_event_carries_the_geographic_fields_it_has() -> None:
    inbound = _message(
        direction=Direction.INBOUND,
        status=MessageStatus.RECEIVED,
        num_media=2,
        extra={"FromCity": "SAN FRANCISCO", "ToCountry": "US", "ProfileName": "x"},
    )
    built = message_event(inbound, T0)
    assert built is not None
    data = built[1]["data"]
    assert built[1]["dataschema"].endswith("/Messaging.InboundMessageV1/6")
    assert (data["numMedia"], data["fromCity"], data["toCountry"]) == (2, "SAN FRANCISCO", "US")
    assert "ProfileName" not in data
    assert "profileName" not in data


def test_ids_are_stable_per_message_type_and_time() -> None:
    first = message_event(_message(), T0)
    again = message_event(_message(body="changed later"), T0)
    later = message_event(_message(), T0 + timedelta(milliseconds=1))
    assert first
    assert again
    assert later
    assert first[1]["id"] == again[1]["id"] != later[1]["id"]
    assert len(first[1]["id"]) == 34
    assert first[1]["id"].startswith("NO")


def test_times_are_utc_with_milliseconds() -> None:
    assert iso_millis(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "2026-01-02T03:04:05.006Z"


def test_a_subscriptions_schema_version_names_the_dataschema() -> None:
    built = message_event(_message(), T0)
    assert built is not None
    assert with_schema_version(built[1], 3)["dataschema"].endswith("Messaging.MessageStatus/3")
    test = sink_test_event("DG" + "4" * 32, AC, "8a6e-…", T0)
    assert with_schema_version(test, 3) == test  # not a catalogue type: unchanged


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"destination": "https://a.example/e"}', ("https://a.example/e", "POST", False)),
        ('{"destination": "http://a.example/e", "method": "get", "batch_events": true}',
         ("http://a.example/e", "GET", True)),
        ('{"destination": "https://a.example/e", "batch_events": "false"}',
         ("https://a.example/e", "POST", False)),
    ],
)  # fmt: skip
def test_webhook_sink_configurations(raw: str, expected: tuple[str, str, bool]) -> None:
    config = parse_webhook_config(raw)
    assert (config.destination, config.method, config.batch_events) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "[]", "{not json", '{"destination": 3}', '{"destination": "mailto:x@example.com"}',
     '{"destination": "https://"}', '{"destination": "https://a.example", "method": "PUT"}',
     '{"destination": "https://a.example", "batch_events": 1}'],
)  # fmt: skip
def test_bad_sink_configurations(raw: str) -> None:
    with pytest.raises(SinkConfigError):
        parse_webhook_config(raw)


def test_types_as_sdk_objects_or_bare_names_keep_the_last_per_type() -> None:
    types = parse_types(
        [
            '{"type": "com.twilio.messaging.message.sent", "schema_version": 2}',
            "com.twilio.messaging.message.delivered",
            '{"type": "com.twilio.messaging.message.sent", "schema_version": "4"}',
        ],
        AC,
        "DF" + "5" * 32,
    )
    assert [(t.type, t.schema_version) for t in types] == [
        ("com.twilio.messaging.message.sent", 4),
        ("com.twilio.messaging.message.delivered", 8),
    ]


@pytest.mark.parametrize(
    "raw",
    [[], ['{"type": "com.twilio.voice.call.ringing"}'], ['{"schema_version": 1}'],
     ['{"type": "com.twilio.messaging.message.sent", "schema_version": 0}'],
     ['{"type": "com.twilio.messaging.message.sent", "schema_version": "x"}'], ["[1]"]],
)  # fmt: skip
def test_bad_types_are_refused(raw: list[str]) -> None:
    with pytest.raises(SubscriptionError):
        parse_types(raw, AC, "DF" + "5" * 32)


def test_retries_back_off_with_jitter_up_to_a_ceiling() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, rng).total_seconds() for n in range(1, 12)]
    assert 2.5 <= delays[0] <= 5
    assert 5 <= delays[1] <= 10
    assert all(d <= MAX_RETRY_SECONDS for d in delays)
    assert delays[-1] >= MAX_RETRY_SECONDS / 2
