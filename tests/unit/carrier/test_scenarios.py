"""Scenario parsing, matching and the steps they plan (pure; draws are injected)."""

from __future__ import annotations

import random

import pytest

from switchboard.carrier.scenarios import (
    DEFAULT_SCENARIO,
    Scenario,
    next_step,
    parse_scenario,
    scenario_for,
)
from switchboard.config import CarrierTiming
from switchboard.domain.lifecycle import Event

TIMING = CarrierTiming(queued_to_sending=0.1, sending_to_sent=0.2, sent_to_delivered=0.3)


def steps(scenario: Scenario, *statuses: str) -> list[tuple[Event, float, int | None] | None]:
    rng = random.Random(1)
    planned = []
    for status in statuses:
        step = next_step(status, scenario, TIMING, rng)
        planned.append(None if step is None else (step.event, step.delay_seconds, step.error_code))
    return planned


def test_default_is_delivered_with_default_delays() -> None:
    assert steps(DEFAULT_SCENARIO, "accepted", "queued", "sending", "sent", "delivered") == [
        (Event.SENDER_CHOSEN, 0.0, None),
        (Event.DISPATCH, 0.1, None),
        (Event.CARRIER_ACCEPTED, 0.2, None),
        (Event.DELIVERED, 0.3, None),
        None,
    ]


def test_outcomes() -> None:
    undelivered = parse_scenario({"outcome": "undelivered", "error_code": 30005})
    assert steps(undelivered, "sent") == [(Event.UNDELIVERED, 0.3, 30005)]
    failed = parse_scenario({"outcome": "failed"})
    assert steps(failed, "queued") == [(Event.SEND_FAILED, 0.1, 30008)]
    read = parse_scenario({"outcome": "read", "delays": {"read": 2}})
    assert steps(read, "delivered") == [(Event.READ, 2.0, None)]
    silent = parse_scenario({"outcome": "sent"})
    assert steps(silent, "sent") == [None]


def test_delays_and_per_segment() -> None:
    scenario = parse_scenario({"delays": {"sent": [1, 2]}, "per_segment": 0.5})
    step = next_step("sending", scenario, TIMING, random.Random(3), segments=3)
    assert step is not None
    assert 2.0 <= step.delay_seconds <= 3.0


def test_matching_is_first_wins_with_globs() -> None:
    rules = [
        parse_scenario({"name": "whatsapp", "channel": "whatsapp"}),
        parse_scenario({"name": "five", "to": "+1555*", "from": "+1500*"}),
    ]
    assert scenario_for(rules, "+15551234567", "+15005550006", "sms").name == "five"
    assert scenario_for(rules, "whatsapp:+15551234567", "+1500", "whatsapp").name == "whatsapp"
    assert scenario_for(rules, "+447700900123", None, "sms") is DEFAULT_SCENARIO


def test_drop_receipt_chaos() -> None:
    dropped = parse_scenario({"chaos": {"drop_receipt": 1.0}})
    assert steps(dropped, "sent") == [None]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"outcome": "lost"}, "outcome must be one of"),
        ({"delays": {"sent": -1}}, "delay 'sent'"),
        ({"delays": {"warp": 1}}, "unknown delay step"),
        ({"chaos": {"duplicate": 2}}, "probability"),
        ({"chaos": {"explode": 0.1}}, "chaos takes"),
        ({"mps": 0}, "mps must be a positive"),
        ({"mps": 1e-300}, "mps must be a positive"),
        ({"error_code": "x"}, "error_code must be an integer"),
        ({"error_code": 10**30}, "error_code must be an integer from 1 to 99999"),
        ({"delays": {"sent": 1e300}}, "delay 'sent'"),
        ({"delays": {"delivered": [0, 1e300]}}, "delay 'delivered'"),
        ({"per_segment": 1e300}, "delay 'per_segment'"),
        ({"surprise": 1}, "unknown scenario fields"),
        ({"to": 5}, "to must be a string"),
    ],
)
def test_validation(document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scenario(document)
