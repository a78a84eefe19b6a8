"""Clocks: the one source of "now" for everything time-based.

``ControllableClock`` reads wall time plus an offset, and can be frozen, advanced and set at
runtime (``/_sim/clock``): a test can step a message through its lifecycle without sleeping.
``VirtualClock`` is one that starts frozen. Sleepers re-check their deadline whenever the clock
is moved, so advancing wakes exactly the work that became due.

The clock stays between ``EARLIEST`` and ``LATEST``, and refuses (``ValueError``) any change
that would leave that range: ``LATEST`` is almost a thousand years short of ``datetime.max``,
so "now plus any window" (a job lease, a retry, a 35-day schedule, a carrier delay) can never
overflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def check_moment(moment: datetime) -> datetime:
    """``moment`` if a clock may show it (aware, between EARLIEST and LATEST), else ValueError."""
    if moment.tzinfo is None:
        raise ValueError("a moment needs a time zone")
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"the clock stays between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return moment


class SystemClock:
    """Wall-clock time in UTC (no controls)."""

    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, deadline: datetime) -> None:
        delay = (deadline - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class ControllableClock:
    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._offset = timedelta(0)
        self._frozen = None if frozen_at is None else check_moment(frozen_at)
        self._moved: list[asyncio.Future[None]] = []

    @property
    def virtual(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    async def sleep_until(self, deadline: datetime) -> None:
        while True:
            now = self.now()
            if deadline <= now:
                return
            moved: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._moved = [f for f in self._moved if not f.done()]
            self._moved.append(moved)
            timeout = None if self._frozen is not None else (deadline - now).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved, timeout)

    def _wake(self) -> None:
        moved, self._moved = self._moved, []
        for future in moved:
            if not future.done():
                future.set_result(None)

    def move(
        self,
        *,
        frozen: bool | None = None,
        advance: float | None = None,
        to: datetime | None = None,
    ) -> datetime:
        """Freeze or unfreeze, advance by seconds, then set to a moment: every part is checked
        before any is applied, so a refused change (ValueError) leaves the clock as it was."""
        now = self.now()
        target = now
        if advance is not None:
            if not math.isfinite(advance):
                raise ValueError(f"an advance must be a finite number of seconds, not {advance}")
            if advance < 0:
                raise ValueError("the clock cannot go backwards")
            if advance > (LATEST - target).total_seconds():
                raise ValueError(f"the clock cannot pass {LATEST:%Y-%m-%d}")
            target += timedelta(seconds=advance)
        if to is not None:
            if check_moment(to) < target:
                raise ValueError("the clock cannot go backwards")
            target = to.astimezone(UTC)
        if self.virtual if frozen is None else frozen:  # frozen afterwards: at the new time
            self._frozen = target
        elif self._frozen is not None:  # unfreezing: run on from the time reached
            self._offset = target - datetime.now(UTC)
            self._frozen = None
        else:
            self._offset += target - now
        self._wake()
        return self.now()

    def advance(self, seconds: float) -> datetime:
        return self.move(advance=seconds)

    def set(self, moment: datetime) -> datetime:
        return self.move(to=moment)

    def freeze(self) -> datetime:
        return self.move(frozen=True)

    def unfreeze(self) -> datetime:
        return self.move(frozen=False)


class VirtualClock(ControllableClock):
    """A clock that stands still until advanced (the pytest plugin's default)."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(frozen_at=start or EPOCH)
