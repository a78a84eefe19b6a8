"""Typed outbox jobs: each kind writes its payload and reads it back, through JSON, and reads
the payloads earlier versions wrote (jobs outlive the process that wrote them)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from switchboard.domain.jobs import (
    TOKEN_NAMESPACE,
    CarrierStep,
    EventDelivery,
    IncomingDelivery,
    JobKind,
    JobSpec,
    StatusCallback,
    delivery_token,
    new_job,
)
from switchboard.domain.lifecycle import Event
from switchboard.domain.routing import InboundRoute

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ROUTE = InboundRoute("https://app.test/sms", "GET", "https://app.test/fallback", "POST", "number")
PARAMS = {"MessageSid": "SM1", "Body": "hi"}

SPECS: list[JobSpec] = [
    CarrierStep(Event.DISPATCH),
    CarrierStep(Event.SEND_FAILED, error_code=30003),
    CarrierStep(Event.DISPATCH, slot=True),
    IncomingDelivery(ROUTE, PARAMS, delivery_token("SM1", "incoming")),
    StatusCallback("https://app.test/status", "POST", {"MessageStatus": "sent"}, "tok"),
    StatusCallback("https://app.test/status", "GET", {"MessageStatus": "sent"}, None),
]


def _through_json(payload: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(payload))
    return loaded


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_a_job_reads_back_what_it_wrote(spec: JobSpec) -> None:
    job = new_job(spec, NOW, "AC1", "SM1")
    assert (job.kind, job.due_at, job.account_sid, job.message_sid) == (
        spec.kind,
        NOW,
        "AC1",
        "SM1",
    )
    assert type(spec).from_payload(_through_json(job.payload)) == spec


def test_the_kinds_are_the_stored_names() -> None:
    assert [k.value for k in JobKind] == ["carrier", "incoming", "status_callback", "event"]
    assert CarrierStep.kind == "carrier"
    assert IncomingDelivery.kind == "incoming"
    assert StatusCallback.kind == "status_callback"
    assert EventDelivery.kind == "event"


def test_payloads_keep_their_json_keys() -> None:
    assert CarrierStep(Event.SEND_FAILED, 30003).to_payload() == {
        "event": "send_failed",
        "error_code": 30003,
    }
    assert CarrierStep(Event.DUE).to_payload() == {"event": "due"}
    incoming = IncomingDelivery(ROUTE, PARAMS, "tok").to_payload()
    assert {k: incoming[k] for k in ("url", "method", "fallback_url", "fallback_method")} == {
        "url": "https://app.test/sms",
        "method": "GET",
        "fallback_url": "https://app.test/fallback",
        "fallback_method": "POST",
    }
    assert (incoming["params"], incoming["token"]) == (PARAMS, "tok")


def test_payloads_written_by_earlier_versions_still_load() -> None:
    incoming = IncomingDelivery.from_payload(
        {
            "url": "https://app.test/sms",
            "method": "POST",
            "fallback_url": "",
            "fallback_method": "POST",
            "params": {"MessageSid": "SM1", "NumMedia": 0},
            "token": "tok",
        }
    )
    assert incoming.route == InboundRoute("https://app.test/sms", "POST", "", "POST", "")
    assert incoming.params == {"MessageSid": "SM1", "NumMedia": "0"}
    old_callback = {"url": "https://app.test/status", "params": {"MessageStatus": "sent"}}
    assert StatusCallback.from_payload(old_callback) == StatusCallback(
        "https://app.test/status", "POST", {"MessageStatus": "sent"}, None
    )
    slot = CarrierStep.from_payload({"event": "dispatch", "slot": True})
    assert slot == CarrierStep(Event.DISPATCH, None, slot=True)


def test_delivery_tokens_are_stable() -> None:
    # The same UUID as before the function moved to the domain: a job written by an earlier
    # version and replayed now sends the token it sent then.
    assert delivery_token("SM1", "status", "sent") == "f2cb9e07-cc15-50b8-bcac-042cecc9b8dc"


@pytest.mark.parametrize(
    "parts",
    [("SM" + "a" * 32, "incoming"), ("tok", "redirect", "12"), ("",), ("é☃", "ü"), ("x:y", "z")],
)
def test_a_delivery_token_is_the_uuid5_of_its_parts(parts: tuple[str, ...]) -> None:
    assert delivery_token(*parts) == str(uuid.uuid5(TOKEN_NAMESPACE, ":".join(parts)))


def test_an_event_delivery_round_trips_and_reads_the_stores_fan_out_payload() -> None:
    event = {"id": "NO" + "1" * 32, "type": "com.twilio.messaging.message.sent"}
    retried = EventDelivery(
        "DG" + "2" * 32, (event,), attempt=3, first_attempt_at="2026-01-01T00:00:00+00:00",
        chaos_done=True,
    )  # fmt: skip
    assert EventDelivery.from_payload(retried.to_payload()) == retried
    # What fan_out_event writes: the sink and one event, nothing else.
    written = {"sink_sid": "DG" + "2" * 32, "events": [event]}
    assert EventDelivery.from_payload(written) == EventDelivery("DG" + "2" * 32, (event,))
    assert EventDelivery("DG" + "2" * 32, (event,), test=True).to_payload()["test"] is True
