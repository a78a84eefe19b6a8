"""A wake-up for readers waiting on this process's writes (the assertion API's ``Wait``).

The store counts its committed writes of messages and attempts and sets an event for whoever
waits. A write costs an increment and a test when nobody waits. It lives on the event loop of
the store that owns it: every write resumes there once committed.
"""

from __future__ import annotations

import asyncio
import contextlib


class WriteSignal:
    def __init__(self) -> None:
        self.count = 0
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
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
