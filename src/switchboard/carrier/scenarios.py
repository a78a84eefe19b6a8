"""Carrier scenarios: rules that decide what happens to outbound messages (pure).

A scenario matches messages by recipient and sender patterns (shell-style globs such as
``+1555*`` or ``whatsapp:*``) and channel, and says how their lifecycle plays out: the outcome
(``delivered``, ``undelivered``, ``failed``, ``read``, or ``sent`` for a receipt that never
comes), the error code, the delay before each step (fixed, or a [min, max] range drawn from a
seeded generator), an extra delay per additional segment, and opt-in chaos for status
callbacks (duplicates, out-of-order delivery, dropped receipts). The first matching scenario
wins; with none, messages are delivered after the default delays.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Protocol

from switchboard.config import CarrierTiming
from switchboard.domain.lifecycle import Event, MessageStatus
from switchboard.domain.senders import Handset

OUTCOMES: Final = frozenset({"delivered", "undelivered", "failed", "read", "sent"})
DEFAULT_ERRORS: Final = MappingProxyType({"undelivered": 30003, "failed": 30008})
STEPS: Final = ("sending", "sent", "delivered", "read")
# Bounds that keep every planned step a representable time ("now + delay" never overflows).
MAX_DELAY: Final = 365 * 86400.0  # seconds: a delay (or a per-segment extra) of at most a year
MIN_MPS: Final = 1 / 86400  # segments per second: at least one a day


class Draws(Protocol):
    """The random draws a scenario needs; the caller seeds it (the core draws no randomness)."""

    def random(self) -> float: ...
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True, slots=True)
class Delay:
    low: float
    high: float

    def draw(self, rng: Draws) -> float:
        return self.low if self.low == self.high else rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class Chaos:
    duplicate: float = 0.0  # probability a status callback is sent twice
    reorder: float = 0.0  # probability the `sent` callback arrives after the final one
    drop_receipt: float = 0.0  # probability the delivery receipt never comes (stays `sent`)


@dataclass(frozen=True, slots=True)
class Step:
    event: Event
    delay_seconds: float
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str = ""
    to: str | None = None
    from_: str | None = None
    channel: str | None = None
    outcome: str = "delivered"
    error_code: int | None = None
    delays: Mapping[str, Delay] = field(default_factory=dict)
    per_segment: float = 0.0
    mps: float | None = None  # sender throughput (messages... segments per second)
    chaos: Chaos = Chaos()
    # What the matched handsets can take (MMS, RCS, a landline): the senders' rules ask.
    handset: Handset | None = None

    def matches(self, to: str, from_: str | None, channel: str) -> bool:
        if self.to is not None and not fnmatch.fnmatchcase(to, self.to):
            return False
        if self.from_ is not None and not fnmatch.fnmatchcase(from_ or "", self.from_):
            return False
        return self.channel is None or self.channel == channel

    def delay(self, step: str, default: float, rng: Draws) -> float:
        chosen = self.delays.get(step)
        return default if chosen is None else chosen.draw(rng)


DEFAULT_SCENARIO: Final = Scenario(name="default")


def _is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


def _delay(name: str, raw: Any) -> Delay:
    if _is_number(raw) and 0 <= raw <= MAX_DELAY:
        return Delay(float(raw), float(raw))
    if (
        isinstance(raw, list)
        and len(raw) == 2
        and all(_is_number(v) for v in raw)
        and 0 <= raw[0] <= raw[1] <= MAX_DELAY
    ):
        return Delay(float(raw[0]), float(raw[1]))
    raise ValueError(
        f"delay {name!r} must be seconds from 0 to {MAX_DELAY:.0f} (a year) or [min, max],"
        f" not {raw!r}"
    )


def _probability(name: str, raw: Any) -> float:
    if _is_number(raw) and 0 <= raw <= 1:
        return float(raw)
    raise ValueError(f"chaos {name!r} must be a probability between 0 and 1, not {raw!r}")


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """A scenario from its JSON form; ValueError with a readable message when malformed."""
    known = {"name", "to", "from", "channel", "outcome", "error_code", "delays",
             "per_segment", "mps", "chaos", "handset"}  # fmt: skip
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown scenario fields: {', '.join(sorted(unknown))}")
    outcome = data.get("outcome", "delivered")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {outcome!r}")
    error_code = data.get("error_code", DEFAULT_ERRORS.get(outcome))
    if error_code is not None and (
        isinstance(error_code, bool)
        or not isinstance(error_code, int)
        or not 0 < error_code < 100000
    ):  # Twilio's codes have at most five digits (and a huge one would not fit the store)
        raise ValueError(f"error_code must be an integer from 1 to 99999, not {error_code!r}")
    delays_raw = data.get("delays", {})
    if not isinstance(delays_raw, Mapping):
        raise ValueError('delays must be an object such as {"sent": 0.5}')
    for step in delays_raw:
        if step not in STEPS:
            raise ValueError(f"unknown delay step {step!r} (steps: {', '.join(STEPS)})")
    chaos_raw = data.get("chaos", {})
    if not isinstance(chaos_raw, Mapping) or set(chaos_raw) - {
        "duplicate",
        "reorder",
        "drop_receipt",
    }:
        raise ValueError("chaos takes duplicate, reorder and drop_receipt probabilities")
    mps = data.get("mps")
    if mps is not None and not (_is_number(mps) and mps >= MIN_MPS):
        raise ValueError(
            f"mps must be a positive number, at least {MIN_MPS:.3g} (one a day), not {mps!r}"
        )
    for name in ("to", "from", "channel", "name"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ValueError(f"{name} must be a string")
    per_segment = data.get("per_segment", 0.0)
    handset = data.get("handset")
    return Scenario(
        name=data.get("name") or "",
        to=data.get("to"),
        from_=data.get("from"),
        channel=data.get("channel"),
        outcome=outcome,
        error_code=error_code,
        delays={step: _delay(step, raw) for step, raw in delays_raw.items()},
        per_segment=float(_delay("per_segment", per_segment).low),
        mps=None if mps is None else float(mps),
        chaos=Chaos(**{k: _probability(k, v) for k, v in chaos_raw.items()}),
        handset=None if handset is None else _handset(handset),
    )


HANDSET_FIELDS: Final = ("mms", "rcs", "landline")


def _handset(raw: Any) -> Handset:
    """A scenario's ``handset``: ``{"mms": false}``, ``{"rcs": false}``, ``{"landline": true}``
    (a landline takes neither MMS nor RCS unless the scenario says otherwise)."""
    if not isinstance(raw, Mapping) or set(raw) - set(HANDSET_FIELDS):
        raise ValueError('handset takes mms, rcs and landline booleans, e.g. {"mms": false}')
    for name, value in raw.items():
        if not isinstance(value, bool):
            raise ValueError(f"handset {name!r} must be true or false, not {value!r}")
    landline = bool(raw.get("landline", False))
    return Handset(
        mms=raw.get("mms", not landline), rcs=raw.get("rcs", not landline), landline=landline
    )


def handset_for(scenarios: Sequence[Scenario], to: str, channel: str) -> Handset | None:
    """The handset of the first scenario that describes one and matches the recipient (its
    ``from`` is not known yet: the handset decides the sender)."""
    for scenario in scenarios:
        if (
            scenario.handset is not None
            and scenario.from_ in (None, "*")
            and scenario.matches(to, None, channel)
        ):
            return scenario.handset
    return None


def scenario_for(
    scenarios: Sequence[Scenario], to: str, from_: str | None, channel: str
) -> Scenario:
    for scenario in scenarios:
        if scenario.matches(to, from_, channel):
            return scenario
    return DEFAULT_SCENARIO


def next_step(
    status: str,
    scenario: Scenario,
    timing: CarrierTiming,
    rng: Draws,
    segments: int = 1,
) -> Step | None:
    """What the carrier does next to a message in ``status`` under ``scenario``."""
    extra = scenario.per_segment * max(segments - 1, 0)
    match MessageStatus(status):
        case MessageStatus.ACCEPTED:
            return Step(Event.SENDER_CHOSEN, 0.0)
        case MessageStatus.QUEUED:
            delay = scenario.delay("sending", timing.queued_to_sending, rng)
            if scenario.outcome == "failed":
                return Step(Event.SEND_FAILED, delay, scenario.error_code)
            return Step(Event.DISPATCH, delay)
        case MessageStatus.SENDING:
            return Step(
                Event.CARRIER_ACCEPTED, scenario.delay("sent", timing.sending_to_sent, rng) + extra
            )
        case MessageStatus.SENT:
            if scenario.outcome == "sent" or rng.random() < scenario.chaos.drop_receipt:
                return None  # the delivery receipt never arrives
            delay = scenario.delay("delivered", timing.sent_to_delivered, rng)
            if scenario.outcome == "undelivered":
                return Step(Event.UNDELIVERED, delay, scenario.error_code)
            return Step(Event.DELIVERED, delay)
        case MessageStatus.DELIVERED if scenario.outcome == "read":
            return Step(Event.READ, scenario.delay("read", 1.0, rng))
        case _:
            return None
