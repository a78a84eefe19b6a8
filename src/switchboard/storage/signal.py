"""A wake-up for readers waiting on writes (the assertion API's ``Wait``).

The store counts its committed writes of messages and attempts and sets an event for whoever
waits. A write costs an increment and a test when nobody waits, and a call of ``announce``
(which tells the other processes on the machine, wakeup.py) when one is set. Another process's
writes, when it tells, wake the waiters without being announced again. It lives on the event
loop of the store that owns it: every write resumes there once committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class WriteSignal:
    def __init__(self) -> None:
        self.count = 0
        self._event: asyncio.Event | None = None
        self.announce: Callable[[], None] | None = None

    def notify(self) -> None:
        """This process committed a write."""
        self.notify_elsewhere()
        if self.announce is not None:
            self.announce()

    def notify_elsewhere(self) -> None:
        """Another process committed a write (it said so)."""
        self.count += 1
        if self._event is not None:
            self._event.set()
            self._event = None  # the next waiter waits for the next write

    async def wait(self, seen: int, seconds: float) -> None:
        """Return once a write is committed after ``seen`` was read, or after ``seconds``."""
        if self.count != seen:
            return
        if self._event is None:
            self._event = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
