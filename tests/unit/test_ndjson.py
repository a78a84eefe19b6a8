"""api/ndjson.py: lines split across any chunking, answers in order with a bounded window."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterable

import pytest

from switchboard.api.ndjson import TOO_LONG, Line, answers, lines


async def chunks(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def split(parts: Iterable[bytes], limit: int = 10) -> list[Line]:
    return [line async for line in lines(chunks(parts), limit)]


def every_chunking(body: bytes) -> list[list[bytes]]:
    """The body whole, byte by byte, and cut at every single position."""
    cuts = [[body], [body[i : i + 1] for i in range(len(body))]]
    return cuts + [[body[:i], body[i:]] for i in range(1, len(body))]


@pytest.mark.parametrize("parts", every_chunking(b'{"a":1}\r\n\n  \n{"b":2}\n{"c":3}'))
def test_lines_whatever_the_chunks(parts: list[bytes]) -> None:
    assert asyncio.run(split(parts)) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


@pytest.mark.parametrize("parts", every_chunking(b"short\n" + b"x" * 25 + b"\nafter\n" + b"y" * 11))
def test_a_line_over_the_limit_is_dropped_and_reported_in_its_place(parts: list[bytes]) -> None:
    assert asyncio.run(split(parts)) == [b"short", TOO_LONG, b"after", TOO_LONG]


def test_exactly_the_limit_is_a_line() -> None:
    assert asyncio.run(split([b"0123456789\n0123456789"])) == [b"0123456789"] * 2


def test_answers_keep_the_order_and_the_window() -> None:
    async def run() -> tuple[list[bytes], int]:
        busy = peak = 0

        async def answer(line: Line) -> bytes:
            nonlocal busy, peak
            busy += 1
            peak = max(peak, busy)
            await asyncio.sleep(random.random() / 1000)  # finishing out of order
            busy -= 1
            assert isinstance(line, bytes)
            return line + b"!"

        source = lines(chunks(f"{n}\n".encode() for n in range(300)))
        return [out async for out in answers(source, answer, window=8)], peak

    out, peak = asyncio.run(run())
    assert b"".join(out) == b"".join(f"{n}!".encode() for n in range(300))
    assert all(chunk.endswith(b"!") for chunk in out)  # whole answers only
    assert 1 < peak <= 8


def test_answers_ready_together_go_out_together_and_none_waits_for_a_later_one() -> None:
    """Lines 1-3 answer at once and line 0 last: 0-3 come out as one chunk. Line 4 waits
    for a release that only comes after 0-3 are out: they are not held back for it."""

    async def run() -> list[bytes]:
        three_answered, first_out = asyncio.Event(), asyncio.Event()

        async def answer(line: Line) -> bytes:
            assert isinstance(line, bytes)
            if line == b"0":
                await three_answered.wait()
            if line == b"4":
                await first_out.wait()
            if line == b"3":
                three_answered.set()
            return line + b"!"

        out: list[bytes] = []
        async for chunk in answers(lines(chunks([b"0\n1\n2\n3\n4\n"])), answer, window=8):
            out.append(chunk)
            first_out.set()
        return out

    assert asyncio.run(asyncio.wait_for(run(), 30)) == [b"0!1!2!3!", b"4!"]


def test_a_stop_ends_the_reading_and_answers_every_line_taken() -> None:
    """The server shutting down: no line is read after the stop, every line read before it is
    answered, in order, and the answers end (the body never did)."""

    async def run() -> tuple[list[bytes], list[bytes]]:
        stop = asyncio.Event()
        taken: list[bytes] = []

        async def endless() -> AsyncIterator[bytes]:
            n = 0
            while True:
                yield f"{n}\n".encode()
                n += 1
                if n == 5:
                    stop.set()
                await asyncio.sleep(0)

        async def answer(line: Line) -> bytes:
            assert isinstance(line, bytes)
            taken.append(line)
            await asyncio.sleep(0)
            return line + b"!"

        out = [a async for a in answers(lines(endless()), answer, window=4, stop=stop)]
        return out, taken

    out, taken = asyncio.run(asyncio.wait_for(run(), 30))
    assert b"".join(out) == b"".join(line + b"!" for line in taken)
    assert 5 <= len(taken) < 10
