"""The built-in carrier: every outbound message goes queued -> sending -> sent -> delivered.

``next_step`` is pure: given where a message is, it says which event the carrier raises next
and after how long. Richer behaviour (scenarios, failures, read receipts) plugs in here.
"""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.config import CarrierTiming
from switchboard.domain.lifecycle import Event, MessageStatus


@dataclass(frozen=True, slots=True)
class Step:
    event: Event
    delay_seconds: float
    error_code: int | None = None


def next_step(status: str, timing: CarrierTiming) -> Step | None:
    """The carrier's next move for a message in ``status``; None when it has nothing to do."""
    match MessageStatus(status):
        case MessageStatus.ACCEPTED:
            return Step(Event.SENDER_CHOSEN, 0.0)
        case MessageStatus.QUEUED:
            return Step(Event.DISPATCH, timing.queued_to_sending)
        case MessageStatus.SENDING:
            return Step(Event.CARRIER_ACCEPTED, timing.sending_to_sent)
        case MessageStatus.SENT:
            return Step(Event.DELIVERED, timing.sent_to_delivered)
        case _:
            return None
