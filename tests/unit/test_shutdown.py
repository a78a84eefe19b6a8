"""shutdown.py: the notice is given on SIGINT/SIGTERM before the handler that was there runs,
and given from any thread."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from switchboard.shutdown import SHUTDOWN_SIGNALS, ShutdownNotice, give_on_signals


@pytest.fixture
def saved_handlers() -> Iterator[None]:
    saved = {number: signal.getsignal(number) for number in SHUTDOWN_SIGNALS}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize("number", SHUTDOWN_SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_gives_the_notice_then_runs_the_handler_that_was_there(
    number: int, saved_handlers: None
) -> None:
    seen: list[tuple[int, bool]] = []

    async def run() -> None:
        notice = ShutdownNotice()
        notice.bind()

        def previous(signum: int, frame: FrameType | None) -> None:
            seen.append((signum, notice.given))

        signal.signal(number, previous)
        give_on_signals(notice)
        signal.raise_signal(number)
        await asyncio.wait_for(notice.wait(), 10)

    asyncio.run(run())
    assert seen == [(number, False)]  # the previous handler ran; the notice is set on the loop


def test_the_notice_is_given_from_another_thread() -> None:
    async def run() -> bool:
        notice = ShutdownNotice()
        notice.bind()
        threading.Thread(target=notice.give).start()
        await asyncio.wait_for(notice.wait(), 10)
        return notice.given

    assert asyncio.run(run())


def test_an_unbound_notice_ignores_a_give() -> None:
    notice = ShutdownNotice()
    notice.give()  # no loop yet: nothing to tell
    assert not notice.given
