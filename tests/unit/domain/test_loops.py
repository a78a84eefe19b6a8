"""Loop protection: a run of 30 quick replies holds the 31st and the next 30 s (SPEC §4.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard.domain.loops import HOLD, LOOP_ERROR, MAX_RUN, PastReply, loop_refusal

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def replay(times: list[float]) -> list[PastReply]:
    """The history a conversation leaves when a reply is asked for at each of ``times``."""
    history: list[PastReply] = []
    for seconds in times:
        held = loop_refusal(history, at(seconds)) is not None
        history.append(PastReply(at(seconds), held))
    return history


def test_thirty_quick_replies_go_and_the_31st_is_held() -> None:
    history = replay([float(i) for i in range(MAX_RUN)])
    assert not any(reply.held for reply in history)
    assert loop_refusal(history, at(MAX_RUN)) == LOOP_ERROR


def test_replies_at_one_instant_count_too() -> None:
    """Under a frozen clock every reply has the same time: the 31st is still held."""
    history = replay([0.0] * MAX_RUN)
    assert loop_refusal(history, at(0)) == LOOP_ERROR


def test_a_gap_of_30_seconds_starts_a_new_run() -> None:
    history = replay([float(i) for i in range(MAX_RUN)])
    assert loop_refusal(history, at(MAX_RUN - 1 + 30)) is None
    # ... and a gap inside the newest 30 as well: 29 quick replies after it are not enough.
    history = replay([0.0] + [30.0 + i for i in range(MAX_RUN - 1)])
    assert loop_refusal(history, at(30 + MAX_RUN - 1)) is None


def test_a_gap_just_under_30_seconds_keeps_the_run() -> None:
    history = replay([i * 29.9 for i in range(MAX_RUN)])
    assert loop_refusal(history, at(MAX_RUN * 29.9)) == LOOP_ERROR


def test_held_for_30_seconds_from_the_first_held_reply_then_allowed() -> None:
    history = replay([float(i) for i in range(MAX_RUN + 1)])  # the 31st, at 30 s, held
    assert history[-1].held
    first_held = at(MAX_RUN)
    # Replies keep coming quickly: every one in the hold fails, and does not prolong it.
    history = replay([float(i) for i in range(MAX_RUN + 1)] + [31.0, 40.0, 50.0, 59.9])
    assert all(reply.held for reply in history[MAX_RUN:])
    assert loop_refusal(history, first_held + HOLD - timedelta(microseconds=1)) == LOOP_ERROR
    assert loop_refusal(history, first_held + HOLD) is None


def test_after_a_hold_a_new_run_of_30_goes() -> None:
    quick = [float(i) for i in range(MAX_RUN + 1)]  # 30 go, the 31st (at 30 s) is held
    after = [60.0 + i for i in range(MAX_RUN)]  # the hold ended at 60 s
    history = replay(quick + after)
    assert [reply.held for reply in history[MAX_RUN + 1 :]] == [False] * MAX_RUN
    assert loop_refusal(history, at(60 + MAX_RUN)) == LOOP_ERROR


def test_an_empty_conversation_goes() -> None:
    assert loop_refusal([], T0) is None
