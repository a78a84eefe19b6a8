"""Events v1 (Event Streams) through the official SDK: Sinks, the test/validate flow,
Subscriptions and their SubscribedEvents, the catalogue of types and schemas. Every response is
validated against ``twilio_events_v1.json`` by the recorder when each test ends."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from switchboard.testing import TEST_ACCOUNT_SID, TestReceiver

DELIVERED = "com.twilio.messaging.message.delivered"
SENT = "com.twilio.messaging.message.sent"
RECEIVED = "com.twilio.messaging.inbound-message.received"


def _sink(client: Any, receiver: TestReceiver, **config: Any) -> Any:
    configuration = {"destination": receiver.url("/events"), "method": "POST", **config}
    return client.events.v1.sinks.create(
        description="My sink", sink_configuration=configuration, sink_type="webhook"
    )


def _activate(client: Any, receiver: TestReceiver, sink_sid: str) -> str:
    result = client.events.v1.sinks(sink_sid).sink_test.create()
    assert result.result == "submitted"
    [event] = receiver.wait_for_events("/events", lambda events: len(events) >= 1)
    assert event["type"] == "com.twilio.eventstreams.test-event"
    test_id = str(event["data"]["test_id"])
    assert client.events.v1.sinks(sink_sid).sink_validate.create(test_id=test_id).result == "valid"
    return test_id


def test_a_sink_goes_from_initialized_through_validating_to_active(
    client: Any, receiver: TestReceiver
) -> None:
    sink = _sink(client, receiver, batch_events=True)
    assert sink.sid.startswith("DG")
    assert len(sink.sid) == 34
    assert sink.status == "initialized"
    assert sink.sink_type == "webhook"
    assert sink.sink_configuration == {
        "destination": receiver.url("/events"),
        "method": "POST",
        "batch_events": True,
    }
    assert sink.links["sink_test"].endswith(f"/v1/Sinks/{sink.sid}/Test")

    client.events.v1.sinks(sink.sid).sink_test.create()
    assert client.events.v1.sinks(sink.sid).fetch().status == "validating"
    [request] = receiver.wait("/events")
    assert request.signature_valid  # bodySHA256 + URL, checked by the SDK's RequestValidator
    assert "bodySHA256=" in request.url
    assert request.header("content-type") == "application/json"
    [event] = request.json()
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.twilio.eventstreams.test-event"
    test_id = event["data"]["test_id"]

    with pytest.raises(TwilioRestException) as wrong:
        client.events.v1.sinks(sink.sid).sink_validate.create(test_id="not-the-test-id")
    assert wrong.value.status == 400
    assert client.events.v1.sinks(sink.sid).fetch().status == "validating"

    validated = client.events.v1.sinks(sink.sid).sink_validate.create(test_id=test_id)
    assert validated.result == "valid"
    assert client.events.v1.sinks(sink.sid).fetch().status == "active"


def test_sinks_are_listed_filtered_updated_and_deleted(client: Any, receiver: TestReceiver) -> None:
    first = _sink(client, receiver)
    second = _sink(client, receiver)
    _activate(client, receiver, second.sid)
    client.events.v1.subscriptions.create(
        description="s", sink_sid=second.sid, types=[{"type": DELIVERED}]
    )

    assert [s.sid for s in client.events.v1.sinks.list()] == [first.sid, second.sid]
    assert [s.sid for s in client.events.v1.sinks.list(status="active")] == [second.sid]
    assert [s.sid for s in client.events.v1.sinks.list(in_use=True)] == [second.sid]
    assert [s.sid for s in client.events.v1.sinks.list(in_use=False)] == [first.sid]
    assert [s.sid for s in client.events.v1.sinks.list(page_size=1)] == [first.sid, second.sid]

    updated = client.events.v1.sinks(first.sid).update(description="Renamed")
    assert updated.description == "Renamed"
    assert client.events.v1.sinks(first.sid).fetch().description == "Renamed"

    assert client.events.v1.sinks(second.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.events.v1.sinks(second.sid).fetch()
    assert gone.value.status == 404
    assert client.events.v1.subscriptions.list() == []  # went with its sink


def test_subscriptions_and_their_subscribed_events(client: Any, receiver: TestReceiver) -> None:
    sink = _sink(client, receiver)
    _activate(client, receiver, sink.sid)
    subscription = client.events.v1.subscriptions.create(
        description="Delivery tracking",
        sink_sid=sink.sid,
        types=[{"type": DELIVERED, "schema_version": 3}, {"type": SENT}],
    )
    assert subscription.sid.startswith("DF")
    assert subscription.account_sid == TEST_ACCOUNT_SID
    assert subscription.sink_sid == sink.sid
    assert subscription.links["subscribed_events"].endswith(
        f"/v1/Subscriptions/{subscription.sid}/SubscribedEvents"
    )

    events = client.events.v1.subscriptions(subscription.sid).subscribed_events
    listed = {(e.type, e.schema_version) for e in events.list()}
    assert listed == {(DELIVERED, 3), (SENT, 8)}

    added = events.create(type=RECEIVED)
    assert (added.type, added.schema_version, added.subscription_sid) == (
        RECEIVED,
        6,
        subscription.sid,
    )
    assert events(RECEIVED).fetch().schema_version == 6
    assert events(DELIVERED).update(schema_version=8).schema_version == 8
    assert events(SENT).delete() is True
    assert {e.type for e in events.list()} == {DELIVERED, RECEIVED}
    with pytest.raises(TwilioRestException) as missing:
        events(SENT).fetch()
    assert missing.value.status == 404

    assert [s.sid for s in client.events.v1.subscriptions.list(sink_sid=sink.sid)] == [
        subscription.sid
    ]
    assert client.events.v1.subscriptions.list(sink_sid="DG" + "0" * 32) == []
    renamed = client.events.v1.subscriptions(subscription.sid).update(description="Renamed")
    assert renamed.description == "Renamed"
    assert client.events.v1.subscriptions(subscription.sid).delete() is True
    assert client.events.v1.subscriptions.list() == []


@pytest.mark.parametrize(
    ("types", "needle"),
    [
        ([{"type": "com.twilio.messaging.message.teleported"}], "Unknown event type"),
        ([{"type": DELIVERED, "schema_version": 99}], "schema version"),
        ([{"schema_version": 1}], "type"),
    ],
)
def test_a_bad_subscription_is_refused(
    client: Any, receiver: TestReceiver, types: list[dict[str, Any]], needle: str
) -> None:
    sink = _sink(client, receiver)
    _activate(client, receiver, sink.sid)
    with pytest.raises(TwilioRestException) as refused:
        client.events.v1.subscriptions.create(description="x", sink_sid=sink.sid, types=types)
    assert refused.value.status == 400
    assert needle in refused.value.msg


def test_a_subscription_needs_an_active_sink(client: Any, receiver: TestReceiver) -> None:
    sink = _sink(client, receiver)
    with pytest.raises(TwilioRestException) as refused:
        client.events.v1.subscriptions.create(
            description="x", sink_sid=sink.sid, types=[{"type": DELIVERED}]
        )
    assert refused.value.status == 400
    assert "Sink must be active" in refused.value.msg


@pytest.mark.parametrize(
    ("sink_type", "configuration"),
    [
        ("webhook", {"method": "POST"}),
        ("webhook", {"destination": "ftp://example.com/x"}),
        ("webhook", {"destination": "https://example.com/x", "method": "PUT"}),
        ("webhook", {"destination": "https://example.com/x", "batch_events": "maybe"}),
        ("kinesis", {"arn": "arn:aws:kinesis:us-east-1:1:stream/x"}),
    ],
)
def test_a_bad_sink_is_refused(client: Any, sink_type: str, configuration: Any) -> None:
    with pytest.raises(TwilioRestException) as refused:
        client.events.v1.sinks.create(
            description="x", sink_configuration=configuration, sink_type=sink_type
        )
    assert refused.value.status == 400


def test_a_sink_configuration_that_is_not_json_is_refused(make_raw: Any) -> None:
    http = make_raw()
    answer = http.post(
        "/v1/Sinks",
        data={"Description": "x", "SinkType": "webhook", "SinkConfiguration": "{not json"},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001


def test_accounts_do_not_see_each_others_sinks(
    client: Any, make_client: Any, receiver: TestReceiver
) -> None:
    sink = _sink(client, receiver)
    sub = client.api.v2010.accounts.create(friendly_name="tenant")
    other = make_client(sub.sid, sub.auth_token)
    assert other.events.v1.sinks.list() == []
    for call in (
        lambda: other.events.v1.sinks(sink.sid).fetch(),
        lambda: other.events.v1.sinks(sink.sid).update(description="mine"),
        lambda: other.events.v1.sinks(sink.sid).sink_test.create(),
        lambda: other.events.v1.sinks(sink.sid).delete(),
    ):
        with pytest.raises(TwilioRestException) as hidden:
            call()
        assert hidden.value.status == 404
    assert client.events.v1.sinks(sink.sid).fetch().description == "My sink"


def test_the_catalogue_lists_the_messaging_events(client: Any) -> None:
    types = {t.type: t for t in client.events.v1.event_types.list()}
    assert set(types) == {
        "com.twilio.messaging.message.queued",
        SENT,
        DELIVERED,
        "com.twilio.messaging.message.undelivered",
        "com.twilio.messaging.message.failed",
        "com.twilio.messaging.message.read",
        RECEIVED,
    }
    assert types[DELIVERED].schema_id == "Messaging.MessageStatus"
    inbound = client.events.v1.event_types.list(schema_id="Messaging.InboundMessageV1")
    assert [t.type for t in inbound] == [RECEIVED]
    assert client.events.v1.event_types(DELIVERED).fetch().status == "available"

    schema = client.events.v1.schemas("Messaging.MessageStatus").fetch()
    assert schema.latest_version == 8
    versions = client.events.v1.schemas("Messaging.MessageStatus").versions.list()
    assert [v.schema_version for v in versions] == list(range(1, 9))
    version = client.events.v1.schemas("Messaging.MessageStatus").versions(8).fetch()
    assert version.raw == "https://events-schemas.twilio.com/Messaging.MessageStatus/8"
    with pytest.raises(TwilioRestException) as missing:
        client.events.v1.schemas("Messaging.Nothing").fetch()
    assert missing.value.status == 404
