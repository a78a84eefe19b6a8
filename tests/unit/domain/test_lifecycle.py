"""The lifecycle tests are generated from the table itself: every (status, event) pair is checked,
and the derived sets, callbacks and receiver precedence are checked against the table."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from switchboard.domain.lifecycle import (
    CALLBACK_STATUSES,
    CANCELABLE_STATUSES,
    DEPRECATED_STATUSES,
    EVENT_ERROR_CODES,
    FINAL_STATUSES,
    INBOUND_INITIAL_STATUSES,
    INITIAL_STATUSES,
    OUTBOUND_INITIAL_STATUSES,
    SETTLED_STATUSES,
    TRANSITIONS,
    Event,
    InvalidTransition,
    MessageStatus,
    apply_event,
    emits_callback,
    events_from,
    initial_status,
    is_final,
    is_settled,
    mermaid_diagram,
    precedence,
    received_status,
    should_apply,
    status_table,
    transition_table,
)

S = MessageStatus
ALL_PAIRS = list(itertools.product(MessageStatus, Event))
STATUS_PAIRS = list(itertools.product(MessageStatus, MessageStatus))
DOC = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"


def _paths(status: MessageStatus, path: tuple[MessageStatus, ...]) -> Iterator[tuple[S, ...]]:
    """Every status path from ``status`` to a status with no way out (the graph is acyclic)."""
    targets = {t for (s, _e), t in TRANSITIONS.items() if s == status}
    if not targets:
        yield (*path, status)
    for target in sorted(targets):
        yield from _paths(target, (*path, status))


COMPLETE_PATHS = [p for start in sorted(INITIAL_STATUSES) for p in _paths(start, ())]


def test_status_values_are_twilios_in_oai_order() -> None:
    assert [s.value for s in MessageStatus] == [
        "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
        "received", "accepted", "scheduled", "read", "partially_delivered", "canceled",
    ]  # fmt: skip


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS)
def test_apply_event_follows_the_table(status: MessageStatus, event: Event) -> None:
    if (status, event) in TRANSITIONS:
        assert apply_event(status, event) is TRANSITIONS[(status, event)]
        assert event in events_from(status)
    else:
        with pytest.raises(InvalidTransition) as info:
            apply_event(status, event)
        assert (info.value.status, info.value.event) == (status, event)
        assert isinstance(info.value, ValueError)
        assert event not in events_from(status)


def test_apply_event_accepts_stored_text() -> None:
    assert apply_event("queued", "dispatch") is S.SENDING  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition, match="'sent'"):
        apply_event("sent", "cancel")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bogus"):
        apply_event("bogus", "cancel")  # type: ignore[arg-type]


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.QUEUED, Event.CANCEL)] = S.CANCELED  # type: ignore[index]


@pytest.mark.parametrize("status", list(MessageStatus))
def test_final_statuses_are_exactly_the_dead_ends(status: MessageStatus) -> None:
    outgoing = events_from(status)
    if status in FINAL_STATUSES:
        assert not outgoing
    elif status == S.DELIVERED:
        # The one documented exception: delivered may still be read (WhatsApp/RCS).
        assert outgoing == {Event.READ}
        assert status in SETTLED_STATUSES
    else:
        assert outgoing, f"{status} is a dead end but not marked final"


@pytest.mark.parametrize("status", list(MessageStatus))
def test_is_final_and_is_settled(status: MessageStatus) -> None:
    assert is_settled(status) == (status in FINAL_STATUSES or status == S.DELIVERED)
    for supports_read in (True, False):
        expected = status in FINAL_STATUSES or (status == S.DELIVERED and not supports_read)
        assert is_final(status, channel_supports_read=supports_read) == expected


def test_every_status_is_reachable_from_an_initial_status() -> None:
    reached = set(INITIAL_STATUSES)
    frontier = list(INITIAL_STATUSES)
    while frontier:
        status = frontier.pop()
        for (source, _event), target in TRANSITIONS.items():
            if source == status and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(MessageStatus) - DEPRECATED_STATUSES


def test_deprecated_statuses_are_neither_sources_nor_targets() -> None:
    for (status, _event), target in TRANSITIONS.items():
        assert status not in DEPRECATED_STATUSES
        assert target not in DEPRECATED_STATUSES


def test_initial_statuses_are_never_targets() -> None:
    assert not INITIAL_STATUSES & {t for t in TRANSITIONS.values() if t != S.QUEUED}
    # queued is both: initial for a direct send, reached from accepted/scheduled otherwise.
    assert OUTBOUND_INITIAL_STATUSES | INBOUND_INITIAL_STATUSES == INITIAL_STATUSES


def test_only_scheduled_messages_can_be_canceled() -> None:
    assert set(CANCELABLE_STATUSES) == {S.SCHEDULED}


def test_expiry_implies_30036() -> None:
    assert EVENT_ERROR_CODES == {Event.EXPIRED: 30036}
    assert all(t == S.FAILED for (_s, e), t in TRANSITIONS.items() if e == Event.EXPIRED)


@pytest.mark.parametrize(
    ("service", "scheduled", "expected"),
    [(False, False, S.QUEUED), (True, False, S.ACCEPTED), (True, True, S.SCHEDULED)],
)
def test_initial_status(service: bool, scheduled: bool, expected: MessageStatus) -> None:
    assert initial_status(messaging_service=service, scheduled=scheduled) is expected
    assert expected in OUTBOUND_INITIAL_STATUSES


def test_a_refused_send_is_created_failed_through_the_table() -> None:
    for service in (False, True):
        refused = initial_status(messaging_service=service, scheduled=False, refused=True)
        assert refused is S.FAILED


def test_an_inbound_message_is_stored_received() -> None:
    assert received_status() is S.RECEIVED
    assert TRANSITIONS[(S.RECEIVING, Event.RECEIVE)] is received_status()


@pytest.mark.parametrize("status", list(MessageStatus))
def test_creation_never_emits_a_callback(status: MessageStatus) -> None:
    assert not emits_callback(None, status)
    assert not emits_callback(None, status, include_sending=True)
    assert not emits_callback(status, status)


@pytest.mark.parametrize(("pair", "target"), list(TRANSITIONS.items()))
def test_callbacks_for_every_transition(
    pair: tuple[MessageStatus, Event], target: MessageStatus
) -> None:
    source, _event = pair
    expected = target in CALLBACK_STATUSES
    assert emits_callback(source, target) == expected
    assert emits_callback(source, target, include_sending=True) == (expected or target == S.SENDING)


def test_queued_callback_only_after_service_or_schedule() -> None:
    assert emits_callback(S.ACCEPTED, S.QUEUED)
    assert emits_callback(S.SCHEDULED, S.QUEUED)
    assert not emits_callback(S.QUEUED, S.QUEUED)
    assert not emits_callback(S.SENDING, S.QUEUED)


def test_inbound_and_sending_are_silent_by_default() -> None:
    assert not emits_callback(S.RECEIVING, S.RECEIVED)
    assert not emits_callback(S.QUEUED, S.SENDING)
    assert emits_callback(S.QUEUED, S.SENDING, include_sending=True)


@pytest.mark.parametrize(("pair", "target"), list(TRANSITIONS.items()))
def test_every_transition_raises_precedence(
    pair: tuple[MessageStatus, Event], target: MessageStatus
) -> None:
    assert precedence(target) > precedence(pair[0])
    assert should_apply(pair[0], target)


def test_precedence_ranks() -> None:
    outcomes = {S.DELIVERED, S.UNDELIVERED, S.FAILED, S.CANCELED}
    assert precedence(S.ACCEPTED) == precedence(S.SCHEDULED) < precedence(S.QUEUED)
    assert precedence(S.QUEUED) < precedence(S.SENDING) < precedence(S.SENT)
    assert {precedence(s) for s in outcomes} == {precedence(S.SENT) + 1}
    assert precedence(S.READ) == max(precedence(s) for s in MessageStatus)


@pytest.mark.parametrize("incoming", list(MessageStatus))
def test_should_apply_to_a_new_record(incoming: MessageStatus) -> None:
    assert should_apply(None, incoming)


@pytest.mark.parametrize(("current", "incoming"), STATUS_PAIRS)
def test_should_apply_is_consistent_with_precedence(
    current: MessageStatus, incoming: MessageStatus
) -> None:
    applied = should_apply(current, incoming)
    if applied:
        assert precedence(incoming) > precedence(current)
        assert current not in FINAL_STATUSES
    if current == incoming or current in FINAL_STATUSES:
        assert not applied
    if current not in FINAL_STATUSES and precedence(incoming) > precedence(current):
        assert applied


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (S.DELIVERED, S.SENT, False),
        (S.DELIVERED, S.READ, True),
        (S.SENT, S.READ, True),
        (S.READ, S.DELIVERED, False),
        (S.FAILED, S.DELIVERED, False),
        (S.UNDELIVERED, S.READ, False),
        (S.UNDELIVERED, S.DELIVERED, False),
        (S.DELIVERED, S.UNDELIVERED, False),
        (S.SENT, S.SENT, False),
        (S.QUEUED, S.DELIVERED, True),
    ],
)
def test_should_apply_examples(
    current: MessageStatus, incoming: MessageStatus, expected: bool
) -> None:
    assert should_apply(current, incoming) is expected


def _receive(arrivals: tuple[MessageStatus, ...]) -> MessageStatus | None:
    current: MessageStatus | None = None
    for status in arrivals:
        if should_apply(current, status):
            current = status
    return current


@pytest.mark.parametrize("path", COMPLETE_PATHS, ids=lambda p: "-".join(p))
def test_any_arrival_order_converges_on_the_last_status(path: tuple[MessageStatus, ...]) -> None:
    reported = tuple(s for prev, s in itertools.pairwise(path) if emits_callback(prev, s))
    for arrivals in (path, reported):
        for order in itertools.permutations(arrivals):
            assert _receive(order) == (arrivals[-1] if arrivals else None)
            assert _receive(order + order) == (arrivals[-1] if arrivals else None)


def test_complete_paths_cover_every_transition() -> None:
    walked = {(a, b) for path in COMPLETE_PATHS for a, b in itertools.pairwise(path)}
    assert walked == {(s, t) for (s, _e), t in TRANSITIONS.items()}


def test_mermaid_diagram_has_every_edge_and_final_status() -> None:
    diagram = mermaid_diagram()
    assert diagram.startswith("stateDiagram-v2\n")
    for (status, event), target in TRANSITIONS.items():
        line = next(x for x in diagram.splitlines() if x.startswith(f"    {status} --> {target}:"))
        assert event.value in line
    for status in INITIAL_STATUSES:
        assert f"    [*] --> {status}\n" in diagram
    for status in FINAL_STATUSES - DEPRECATED_STATUSES:
        assert f"    {status} --> [*]\n" in diagram


def test_doc_embeds_the_generated_diagram_exactly() -> None:
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", doc, flags=re.DOTALL)
    assert blocks == [mermaid_diagram()], "docs/lifecycle.md is stale: paste mermaid_diagram()"


@pytest.mark.parametrize("table", [transition_table, status_table])
def test_doc_embeds_the_generated_tables(table: Callable[[], str]) -> None:
    assert table() in DOC.read_text(encoding="utf-8"), "docs/lifecycle.md is stale"


def test_transition_table_has_a_row_per_transition() -> None:
    rows = transition_table().splitlines()[2:]
    assert len(rows) == len(TRANSITIONS)
    assert len(status_table().splitlines()[2:]) == len(MessageStatus)
