"""Streaming NDJSON: a request body read line by line, one answer line per line, in order.

The body is read as it arrives (never buffered whole) and each line is handed to a handler as
soon as it is complete; up to ``WINDOW`` lines are in the handler at once, so a stream goes as
fast as the store's group commit lets concurrent writes go, while the answers come out in the
order of the lines, each as soon as it and every line before it are answered. Memory is
bounded by ``WINDOW`` lines of at most ``MAX_LINE_BYTES`` each, whatever the stream's length:
the body is not read further while the window is full, and a client that does not read its
answers stops the window from emptying (the server's writes wait for the socket to drain).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine
from typing import Final, Protocol

from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

NDJSON: Final = "application/x-ndjson"
MAX_LINE_BYTES: Final = 64 * 1024  # a message's JSON is a few kB at most (1,600 characters)
WINDOW: Final = 64  # lines in the handler at once: enough to fill a group commit


class TooLong:
    """A line over ``MAX_LINE_BYTES``, in place of its text (dropped as it arrived)."""


TOO_LONG: Final = TooLong()
Line = bytes | TooLong


async def lines(chunks: AsyncIterable[bytes], limit: int = MAX_LINE_BYTES) -> AsyncIterator[Line]:
    """Each line of the body without its line end (``\\n``, or ``\\r\\n``), blank lines left
    out; ``TOO_LONG`` for a line over ``limit`` bytes, whose bytes are not kept."""
    buffer = bytearray()
    skipping = False  # in a line already over the limit: drop until its end
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not skipping:
                buffer += chunk[start:end]
            if skipping or len(buffer) > limit:
                yield TOO_LONG
            elif line := bytes(buffer).strip():
                yield line
            buffer.clear()
            skipping = False
            start = end + 1
        if not skipping:
            buffer += chunk[start:]
            if len(buffer) > limit:
                buffer.clear()
                skipping = True
    if skipping:
        yield TOO_LONG
    elif line := bytes(buffer).strip():
        yield line


class Stop(Protocol):
    async def wait(self) -> None: ...


async def answers(
    source: AsyncIterator[Line],
    answer: Callable[[Line], Coroutine[None, None, bytes]],
    window: int = WINDOW,
    stop: Stop | None = None,
) -> AsyncIterator[bytes]:
    """``answer(line)`` for every line of ``source``, ``window`` at most at once, yielded in
    the lines' order: each as soon as it and every line before it are answered, joined with
    the answers after it that are ready by then (one write for many lines when the stream runs
    fast, none held back to wait for another). ``answer`` must not raise: it renders its own
    errors. A client that hangs up ends the reading, and so does ``stop`` (the server shutting
    down: the answers end early and the lines after them were not taken); either way the lines
    already taken are still answered (each is durable when its answer is ready, whether anyone
    reads it or not)."""
    slots = asyncio.Semaphore(window)
    queue: asyncio.Queue[asyncio.Task[bytes] | None] = asyncio.Queue()

    async def read() -> None:
        try:
            async for line in source:
                await slots.acquire()
                queue.put_nowait(asyncio.create_task(answer(line)))
        except ClientDisconnect:
            pass
        finally:
            queue.put_nowait(None)

    reader = asyncio.create_task(read())
    stopper = asyncio.create_task(_cancel_on(stop, reader)) if stop is not None else None
    # The next task (or the end, None) when it was taken from the queue but not yet answered.
    held: list[asyncio.Task[bytes] | None] = []
    try:
        while (task := held.pop() if held else await queue.get()) is not None:
            ready = [await task]
            slots.release()
            while not queue.empty():
                following = queue.get_nowait()
                if following is None or not following.done():
                    held.append(following)
                    break
                ready.append(following.result())
                slots.release()
            yield b"".join(ready)
        await asyncio.wait({reader})
        if not reader.cancelled() and (error := reader.exception()) is not None:
            raise error  # the reading's own error
    finally:
        reader.cancel()
        if stopper is not None:
            stopper.cancel()
        # Lines taken but not yet answered are finished, not abandoned half-way (the tasks
        # would otherwise be dropped with the queue).
        taken = held + [queue.get_nowait() for _ in range(queue.qsize())]
        if started := [task for task in taken if task is not None and not task.done()]:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(asyncio.wait(started))


async def _cancel_on(stop: Stop, reader: asyncio.Task[None]) -> None:
    await stop.wait()
    reader.cancel()  # its finally still marks the end of the lines taken


class NdjsonStream(StreamingResponse):
    """An ``application/x-ndjson`` answer written line by line while the request body is
    still being read.

    Starlette's own ``StreamingResponse`` listens on ``receive`` for the client's disconnect
    while it streams (under ASGI spec 2.3, uvicorn's), which would take the request body's
    chunks from the handler reading them; here only the handler reads ``receive``, and a
    disconnect shows there (``ClientDisconnect``) and in the server ignoring writes to a closed
    connection.
    """

    media_type = NDJSON

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream_response(send)
