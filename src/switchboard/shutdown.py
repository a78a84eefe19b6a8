"""The word to long requests that their server is shutting down.

uvicorn's graceful shutdown stops accepting connections, then waits for the requests in
progress to end. Most end within milliseconds; an NDJSON stream (``POST /_sim/inbound``) runs
for as long as its client keeps sending, so without a word it would hold the shutdown until the
client stopped. :class:`ShutdownNotice` is that word: given when the process is asked to stop
(its SIGINT or SIGTERM, just before uvicorn's own handler takes the signal, see
:func:`give_on_signals`) or when a server run in a thread is stopped (``LiveServer.stop``), and
awaited by the requests that would otherwise outlast it. They end cleanly: the work they took
is finished and answered, and nothing more is read.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from types import FrameType
from typing import Any

# The signals uvicorn turns into a graceful shutdown.
SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ShutdownNotice:
    """Given once, from any thread or a signal handler; awaited on the server's event loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Belong to the running loop (the app's, at start-up)."""
        self._loop = asyncio.get_running_loop()

    def give(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._event.set)

    @property
    def given(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        await self._event.wait()


def give_on_signals(notice: ShutdownNotice) -> None:
    """Give ``notice`` on SIGINT and SIGTERM, then let the handler installed now (uvicorn's,
    while it serves) take the signal as before. Only the main thread can handle signals: a
    server in another thread gives its notice when it is stopped."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in SHUTDOWN_SIGNALS:
        previous = signal.getsignal(number)

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            notice.give()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # nobody handled it: what it would have done
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(number, handler)
