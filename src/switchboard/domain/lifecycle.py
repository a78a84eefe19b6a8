"""The message status lifecycle as one table (SPEC §5).

Theory. A message's status is a state machine driven by *events*: things the messaging service,
the simulated carrier or the handset report. :data:`TRANSITIONS` maps ``(status, event)`` to the
next status and is the only place the machine is written down; every other fact here (final
statuses, reachability, the docs' diagram) is either derived from it or tested against it.

Outbound messages start ``queued`` (direct send), ``accepted`` (Messaging Service picks the
sender) or ``scheduled`` (``SendAt``); inbound ones start ``receiving``. Decisions:

* Only ``scheduled`` can be canceled: the update enum has just ``canceled`` and SPEC §6.6 says
  other messages answer 30409.
* ``scheduled`` may fail directly (no sender available when due), like ``accepted``.
* ``EXPIRED`` (validity period over before the carrier took it) fails ``accepted``, ``queued``
  and ``sending`` with 30036; a scheduled message's validity only starts at ``SendAt``.
* ``read`` may follow ``sent`` directly because read receipts can overtake delivery receipts.
* Finality: :data:`FINAL_STATUSES` have no outgoing transition at all. ``delivered`` is a
  *settled* outcome (:data:`SETTLED_STATUSES`) but not final, since WhatsApp/RCS can still report
  ``read``; :func:`is_final` asks whether the channel sends read receipts.
* ``partially_delivered`` is deprecated: it is in the enum (OAI order) but no event produces it.

Callbacks (SPEC §5.2): none for the initial status; ``queued`` only when it follows
``accepted``/``scheduled``; ``sending`` not by default. Receivers cannot trust arrival order
(SPEC §5.5), so :func:`should_apply` keeps the highest-precedence status seen and never moves a
final one; every edge of the table strictly increases precedence, so any arrival order of one
message's callbacks converges on its last status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class MessageStatus(StrEnum):
    # Exactly Twilio's values, in the order of the OAI ``message_enum_status``.
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    RECEIVING = "receiving"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    READ = "read"
    PARTIALLY_DELIVERED = "partially_delivered"
    CANCELED = "canceled"


class Event(StrEnum):
    SENDER_CHOSEN = "sender_chosen"  # the Messaging Service picked a sender
    DUE = "due"  # SendAt reached (a sender is picked at the same time)
    CANCEL = "cancel"  # Status=canceled via the REST API
    DISPATCH = "dispatch"  # handed to the next-hop carrier
    CARRIER_ACCEPTED = "carrier_accepted"
    SEND_FAILED = "send_failed"
    EXPIRED = "expired"  # ValidityPeriod ran out before the carrier took it
    DELIVERED = "delivered"  # delivery receipt: delivered
    UNDELIVERED = "undelivered"  # delivery receipt: not delivered
    READ = "read"  # read receipt (WhatsApp/RCS)
    RECEIVE = "receive"  # an inbound message finished processing


class InvalidTransition(ValueError):
    """``event`` cannot happen to a message in ``status``."""

    def __init__(self, status: MessageStatus, event: Event) -> None:
        self.status = status
        self.event = event
        super().__init__(f"event {event.value!r} is not valid in status {status.value!r}")


_S = MessageStatus
_E = Event

_ROWS: Final[tuple[tuple[MessageStatus, Event, MessageStatus], ...]] = (
    (_S.ACCEPTED, _E.SENDER_CHOSEN, _S.QUEUED),
    (_S.ACCEPTED, _E.SEND_FAILED, _S.FAILED),
    (_S.ACCEPTED, _E.EXPIRED, _S.FAILED),
    (_S.SCHEDULED, _E.DUE, _S.QUEUED),
    (_S.SCHEDULED, _E.CANCEL, _S.CANCELED),
    (_S.SCHEDULED, _E.SEND_FAILED, _S.FAILED),
    (_S.QUEUED, _E.DISPATCH, _S.SENDING),
    (_S.QUEUED, _E.SEND_FAILED, _S.FAILED),
    (_S.QUEUED, _E.EXPIRED, _S.FAILED),
    (_S.SENDING, _E.CARRIER_ACCEPTED, _S.SENT),
    (_S.SENDING, _E.SEND_FAILED, _S.FAILED),
    (_S.SENDING, _E.EXPIRED, _S.FAILED),
    (_S.SENT, _E.DELIVERED, _S.DELIVERED),
    (_S.SENT, _E.UNDELIVERED, _S.UNDELIVERED),
    (_S.SENT, _E.READ, _S.READ),
    (_S.DELIVERED, _E.READ, _S.READ),
    (_S.RECEIVING, _E.RECEIVE, _S.RECEIVED),
)


def _table(
    rows: Iterable[tuple[MessageStatus, Event, MessageStatus]],
) -> MappingProxyType[tuple[MessageStatus, Event], MessageStatus]:
    table: dict[tuple[MessageStatus, Event], MessageStatus] = {}
    for status, event, target in rows:
        # A repeated key would silently drop a row; fail at import instead.
        if (status, event) in table:
            raise ValueError(f"duplicate transition {status.value} --{event.value}-->")
        table[(status, event)] = target
    return MappingProxyType(table)


#: The lifecycle: ``(status, event) -> next status``.
TRANSITIONS: Final[Mapping[tuple[MessageStatus, Event], MessageStatus]] = _table(_ROWS)

#: Error code a transition implies on its own (others come from the carrier/handset).
EVENT_ERROR_CODES: Final[Mapping[Event, int]] = MappingProxyType({_E.EXPIRED: 30036})

OUTBOUND_INITIAL_STATUSES: Final = frozenset({_S.QUEUED, _S.ACCEPTED, _S.SCHEDULED})
INBOUND_INITIAL_STATUSES: Final = frozenset({_S.RECEIVING})
INITIAL_STATUSES: Final = OUTBOUND_INITIAL_STATUSES | INBOUND_INITIAL_STATUSES

#: In the enum for compatibility only; nothing reaches it.
DEPRECATED_STATUSES: Final = frozenset({_S.PARTIALLY_DELIVERED})

#: No event moves these (the tests check this against the table).
FINAL_STATUSES: Final = frozenset(
    {_S.FAILED, _S.UNDELIVERED, _S.READ, _S.CANCELED, _S.RECEIVED, _S.PARTIALLY_DELIVERED}
)

#: The outcome is known: final, or delivered (which may only still become read).
SETTLED_STATUSES: Final = FINAL_STATUSES | {_S.DELIVERED}

#: Statuses whose entry (after creation) is reported to the StatusCallback (SPEC §5.2).
CALLBACK_STATUSES: Final = frozenset(
    {_S.QUEUED, _S.SENT, _S.FAILED, _S.DELIVERED, _S.UNDELIVERED, _S.READ, _S.CANCELED}
)

#: Statuses the REST API can cancel (derived, so it follows the table).
CANCELABLE_STATUSES: Final = frozenset(s for (s, e) in TRANSITIONS if e is _E.CANCEL)

_PRECEDENCE: Final[Mapping[MessageStatus, int]] = MappingProxyType(
    {
        _S.ACCEPTED: 0,
        _S.SCHEDULED: 0,
        _S.RECEIVING: 0,
        _S.QUEUED: 1,
        _S.SENDING: 2,
        _S.SENT: 3,
        _S.DELIVERED: 4,
        _S.UNDELIVERED: 4,
        _S.FAILED: 4,
        _S.CANCELED: 4,
        _S.RECEIVED: 4,
        _S.PARTIALLY_DELIVERED: 4,
        _S.READ: 5,
    }
)


def initial_status(
    *, messaging_service: bool, scheduled: bool, refused: bool = False
) -> MessageStatus:
    """The status a new outbound message is created in (SPEC §5.1, §6.2).

    ``messaging_service``: the service still has to choose the sender. Scheduling requires a
    Messaging Service (35118); callers validate that before asking. ``refused``: the send fails
    on the spot (a TwiML reply to a handset that texted STOP, 21610), so it is created
    ``failed`` -- the table's ``send_failed`` edge from where it would have started.
    """
    if scheduled:
        status = _S.SCHEDULED
    else:
        status = _S.ACCEPTED if messaging_service else _S.QUEUED
    return apply_event(status, _E.SEND_FAILED) if refused else status


def received_status() -> MessageStatus:
    """The status a new inbound message is stored in: it is stored once it has arrived whole,
    so ``receiving`` has already become ``received``."""
    return apply_event(_S.RECEIVING, _E.RECEIVE)


def apply_event(status: MessageStatus, event: Event) -> MessageStatus:
    """The status after ``event``; :class:`InvalidTransition` when the table has no such edge.

    Plain strings are accepted too (records store the status as text); unknown ones raise
    ValueError from the enum.
    """
    status, event = MessageStatus(status), Event(event)
    target = TRANSITIONS.get((status, event))
    if target is None:
        raise InvalidTransition(status, event)
    return target


def events_from(status: MessageStatus) -> frozenset[Event]:
    """The events valid in ``status``."""
    return frozenset(e for (s, e) in TRANSITIONS if s == status)


def is_final(status: MessageStatus, *, channel_supports_read: bool) -> bool:
    """No further status can follow; ``delivered`` is final unless read receipts may arrive."""
    if status == _S.DELIVERED:
        return not channel_supports_read
    return status in FINAL_STATUSES


def is_settled(status: MessageStatus) -> bool:
    """The delivery outcome is known (e.g. the message may be deleted, SPEC §6.7)."""
    return status in SETTLED_STATUSES


def emits_callback(
    previous: MessageStatus | None, new: MessageStatus, *, include_sending: bool = False
) -> bool:
    """Whether moving from ``previous`` to ``new`` posts a status callback.

    ``previous`` None is creation, which never posts. ``include_sending`` opts into the
    ``sending`` callback that SPEC §5.2 says Twilio does not document.
    """
    if previous is None or previous == new:
        return False
    if new == _S.QUEUED:
        # A direct send is *created* queued; only a service/scheduled send reaches it later.
        return previous in (_S.ACCEPTED, _S.SCHEDULED)
    if new == _S.SENDING:
        return include_sending
    return new in CALLBACK_STATUSES


def precedence(status: MessageStatus) -> int:
    """Rank for ordering reports: initial < queued < sending < sent < outcomes < read."""
    return _PRECEDENCE[status]


def should_apply(current: MessageStatus | None, incoming: MessageStatus) -> bool:
    """Whether a receiver holding ``current`` should record a late/duplicate ``incoming``.

    Final statuses are never overwritten (a failure stays a failure); otherwise only a strictly
    higher precedence applies, which drops duplicates, regressions such as ``sent`` after
    ``delivered``, and a second outcome of the same rank (the first outcome wins).
    """
    if current is None:
        return True
    if current in FINAL_STATUSES:
        return False
    return precedence(incoming) > precedence(current)


def _reachable_statuses() -> list[MessageStatus]:
    # Statuses in the order they first appear in the table, so generated docs are stable.
    seen: dict[MessageStatus, None] = {}
    for (status, _event), target in TRANSITIONS.items():
        seen.setdefault(status)
        seen.setdefault(target)
    return list(seen)


def mermaid_diagram() -> str:
    """A mermaid ``stateDiagram-v2`` of :data:`TRANSITIONS` (embedded in docs/lifecycle.md)."""
    lines = ["stateDiagram-v2"]
    lines += [f"    [*] --> {s.value}" for s in MessageStatus if s in INITIAL_STATUSES]
    # Parallel edges (e.g. send_failed and expired into failed) share one labelled arrow.
    edges: dict[tuple[MessageStatus, MessageStatus], list[str]] = {}
    for (status, event), target in TRANSITIONS.items():
        edges.setdefault((status, target), []).append(event.value)
    lines += [f"    {s.value} --> {t.value}: {', '.join(ev)}" for (s, t), ev in edges.items()]
    reachable = _reachable_statuses()
    lines += [f"    {s.value} --> [*]" for s in reachable if s in FINAL_STATUSES]
    lines.append("    note right of delivered: final on SMS; WhatsApp/RCS may still send read")
    return "\n".join(lines) + "\n"


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def transition_table() -> str:
    """:data:`TRANSITIONS` as a Markdown table (embedded in docs/lifecycle.md)."""
    lines = [
        "| From | Event | To | Status callback |",
        "| --- | --- | --- | --- |",
    ]
    for (status, event), target in TRANSITIONS.items():
        code = EVENT_ERROR_CODES.get(event)
        to = f"`{target.value}` ({code})" if code is not None else f"`{target.value}`"
        callback = _yes(emits_callback(status, target))
        lines.append(f"| `{status.value}` | `{event.value}` | {to} | {callback} |")
    return "\n".join(lines) + "\n"


def status_table() -> str:
    """Per-status facts as a Markdown table (embedded in docs/lifecycle.md)."""
    lines = [
        "| Status | Precedence | Initial | Final | Settled | Callback on entry |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in MessageStatus:
        cells = (
            str(precedence(s)),
            _yes(s in INITIAL_STATUSES),
            "unless read receipts" if s is _S.DELIVERED else _yes(s in FINAL_STATUSES),
            _yes(s in SETTLED_STATUSES),
            "from accepted/scheduled" if s is _S.QUEUED else _yes(s in CALLBACK_STATUSES),
        )
        lines.append(f"| `{s.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
