"""Clocks: the one source of "now" for everything time-based.

``SystemClock`` reads the wall clock. ``VirtualClock`` only moves when told to (``advance`` or
``set``), so a test can step a message through its lifecycle without sleeping; sleepers are
woken when the virtual time passes their deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock time in UTC."""

    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, deadline: datetime) -> None:
        delay = (deadline - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock:
    """A clock that stands still until advanced; ``sleep_until`` waits for virtual time."""

    virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, deadline: datetime) -> None:
        if deadline <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._counter), future))
        await future

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        return self.set(self._now + timedelta(seconds=seconds))

    def set(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError("the clock cannot go backwards")
        self._now = moment
        while self._sleepers and self._sleepers[0][0] <= moment:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
        return self._now
