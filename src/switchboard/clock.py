"""Clocks: the one source of "now" for everything time-based.

``ControllableClock`` reads wall time plus an offset, and can be frozen, advanced and set at
runtime (``/_sim/clock``): a test can step a message through its lifecycle without sleeping.
``VirtualClock`` is one that starts frozen. Sleepers re-check their deadline whenever the clock
is moved, so advancing wakes exactly the work that became due.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


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
        self._frozen = frozen_at
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

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        if self._frozen is not None:
            self._frozen += timedelta(seconds=seconds)
        else:
            self._offset += timedelta(seconds=seconds)
        self._wake()
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment < self.now():
            raise ValueError("the clock cannot go backwards")
        return self.advance((moment - self.now()).total_seconds())

    def freeze(self) -> datetime:
        self._frozen = self.now()
        self._wake()
        return self._frozen

    def unfreeze(self) -> datetime:
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(UTC)
            self._frozen = None
            self._wake()
        return self.now()


class VirtualClock(ControllableClock):
    """A clock that stands still until advanced (the pytest plugin's default)."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(frozen_at=start or EPOCH)
