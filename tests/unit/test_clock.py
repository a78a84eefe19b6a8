"""The controllable clock refuses every change that would take it out of its range."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from switchboard.clock import EARLIEST, EPOCH, LATEST, ControllableClock, VirtualClock

YEAR_8999 = datetime(8999, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    "seconds", [300_000_000_000, 1e309, math.inf, -math.inf, math.nan, 99999999999999999999, -1]
)
@pytest.mark.parametrize("frozen", [True, False])
def test_hostile_advances_are_refused_and_change_nothing(seconds: float, frozen: bool) -> None:
    clock = VirtualClock() if frozen else ControllableClock()
    before = clock.now()
    with pytest.raises(ValueError, match=r"finite|cannot pass|backwards"):
        clock.advance(seconds)
    after = clock.now()
    assert before <= after < before + timedelta(seconds=5)  # a running clock only ran on
    assert clock.virtual is frozen


def test_the_clock_reaches_latest_and_goes_no_further() -> None:
    clock = VirtualClock(YEAR_8999)
    clock.advance((LATEST - YEAR_8999).total_seconds())
    assert clock.now() == LATEST
    with pytest.raises(ValueError, match="cannot pass"):
        clock.advance(0.001)
    assert clock.now() == LATEST
    assert clock.now() + timedelta(days=365 * 900) < datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(9999, 12, 31, tzinfo=UTC),
        LATEST + timedelta(microseconds=1),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        EPOCH - timedelta(seconds=1),  # backwards
    ],
)
def test_set_outside_the_range_or_backwards_is_refused(moment: datetime) -> None:
    clock = VirtualClock()
    with pytest.raises(ValueError, match=r"stays between|backwards"):
        clock.set(moment)
    assert clock.now() == EPOCH


def test_set_converts_to_utc() -> None:
    clock = VirtualClock()
    moment = datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    assert clock.set(moment) == moment
    assert clock.now().utcoffset() == timedelta(0)


def test_a_refused_move_applies_no_part_of_it() -> None:
    clock = ControllableClock()
    with pytest.raises(ValueError, match="stays between"):
        clock.move(frozen=True, advance=60, to=datetime(9999, 1, 1, tzinfo=UTC))
    assert not clock.virtual
    with pytest.raises(ValueError, match="finite"):
        clock.move(frozen=True, advance=math.nan)
    assert not clock.virtual


def test_a_move_freezes_advances_and_sets_together() -> None:
    clock = ControllableClock()
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    assert clock.move(frozen=True, advance=60, to=moment) == moment
    assert clock.virtual
    assert clock.move(advance=1.5) == moment + timedelta(seconds=1.5)
    running = clock.move(frozen=False)
    assert not clock.virtual
    assert running >= moment + timedelta(seconds=1.5)


@pytest.mark.parametrize(
    "start", [EARLIEST - timedelta(seconds=1), LATEST + timedelta(days=1), datetime(2026, 1, 1)]
)
def test_a_clock_cannot_start_outside_the_range(start: datetime) -> None:
    with pytest.raises(ValueError, match=r"stays between|time zone"):
        VirtualClock(start)
