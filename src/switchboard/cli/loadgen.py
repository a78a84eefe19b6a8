"""The engine of ``switchboard load``: paced inbound messages, then the webhooks' results.

Messages go through ``POST /_sim/inbound`` at a steady rate, in one NDJSON stream (each line
written when its time comes; the server works on several lines at once and answers each as it
is stored) or, with ``per_message``, a request each (bounded concurrency); both through one
:class:`~switchboard.simclient.AsyncSimClient`. Then each message's exchange
(``GET /_sim/messages/{sid}``) is polled until its webhook has finished, and the summary is
computed from the recorded attempts' ``duration_ms``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from rich.progress import Progress, TaskID

from switchboard.cli.connection import ServerConnection
from switchboard.simclient import (
    AsyncSimClient,
    ServerUnreachable,
    SimClientError,
    SimError,
    StreamEnded,
    inbound_fields,
)

POLL_PAUSE = 0.2  # seconds between passes over the messages whose webhook is still pending


@dataclass(frozen=True, slots=True)
class Plan:
    to: str
    from_prefix: str
    count: int
    rate: float
    concurrency: int
    body: str
    per_message: bool = False  # a request per message instead of one stream

    def fields(self, index: int) -> dict[str, Any]:
        return inbound_fields(self.sender(index), self.to, self.text(index))

    def sender(self, index: int) -> str:
        """A distinct handset per message: the prefix padded to a NANP-length number."""
        digits = sum(ch.isdigit() for ch in self.from_prefix)
        width = 11 - digits
        if width <= 0:
            return self.from_prefix
        return f"{self.from_prefix}{(index + 1) % 10**width:0{width}d}"

    def text(self, index: int) -> str:
        return self.body.replace("{n}", str(index + 1))


@dataclass
class Results:
    sids: list[str] = field(default_factory=list)
    send_errors: Counter[str] = field(default_factory=Counter)
    send_seconds: float = 0.0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    replies: int = 0
    pending: int = 0

    @property
    def failed_attempts(self) -> list[dict[str, Any]]:
        return [a for a in self.attempts if a["error_code"]]

    @property
    def ok(self) -> bool:
        return not (self.send_errors or self.failed_attempts or self.pending)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _error_text(error: SimError) -> str:
    if "code" in error.body:
        return f"{error.code}: {error.message}"
    return f"HTTP {error.status}"


class Driver:
    def __init__(self, connection: ServerConnection, plan: Plan, progress: Progress) -> None:
        self.connection, self.plan, self.progress = connection, plan, progress
        self.results = Results()

    async def run(self, wait_seconds: float) -> Results:
        async with self.connection.async_client(limit=self.plan.concurrency) as client:
            self.client: AsyncSimClient = client
            await self.send_all()
            await self.wait_for_webhooks(wait_seconds)
        return self.results

    async def _send_one(self, index: int) -> str:
        plan = self.plan
        message = await self.client.inbound(plan.sender(index), plan.to, plan.text(index))
        return str(message["sid"])

    async def _send(self, index: int) -> str | None:
        """One inbound message; its sid, or None (the error is counted)."""
        try:
            return await self._send_one(index)
        except SimError as error:
            self.results.send_errors[_error_text(error)] += 1
        except (ServerUnreachable, ValueError, KeyError) as error:
            self._count_failure(error)
        return None

    def _count_failure(self, error: Exception, times: int = 1) -> None:
        cause = error.cause if isinstance(error, ServerUnreachable) else error
        name = type(cause).__name__
        self.results.send_errors[f"{name}: {cause}" if str(cause) else name] += times

    async def _paced(self, started: float) -> AsyncIterator[int]:
        """The indexes after the first, each when its time comes at the plan's rate."""
        for index in range(1, self.plan.count):
            if self.plan.rate > 0:
                await asyncio.sleep(max(0.0, started + index / self.plan.rate - time.monotonic()))
            yield index

    async def send_all(self) -> None:
        task = self.progress.add_task("sending", total=self.plan.count)
        started = time.monotonic()
        # One message first, so a wrong number, bad credentials or a server that cannot be
        # reached stop the run at once (with the CLI's usual error).
        self.results.sids.append(await self._send_one(0))
        self.progress.advance(task)
        if self.plan.per_message:
            await self._send_per_message(started, task)
        else:
            await self._send_stream(started, task)
        self.results.send_seconds = time.monotonic() - started

    async def _send_stream(self, started: float, task: TaskID) -> None:
        """The rest in one NDJSON stream, a line written when its time comes."""

        async def lines() -> AsyncIterator[dict[str, Any]]:
            async for index in self._paced(started):
                yield self.plan.fields(index)

        answered = 0
        try:
            async for answer in self.client.inbound_stream(lines()):
                answered += 1
                if isinstance(answer, SimError):
                    self.results.send_errors[_error_text(answer)] += 1
                else:
                    self.results.sids.append(str(answer["sid"]))
                self.progress.advance(task)
        except (ServerUnreachable, StreamEnded, SimError, ValueError, KeyError) as error:
            # The stream broke: every message not answered is a failure to send.
            unanswered = self.plan.count - 1 - answered
            if isinstance(error, SimError):
                self.results.send_errors[_error_text(error)] += unanswered
            else:
                self._count_failure(error, unanswered)

    async def _send_per_message(self, started: float, task: TaskID) -> None:
        semaphore = asyncio.Semaphore(self.plan.concurrency)

        async def send(index: int) -> None:
            try:
                sid = await self._send(index)
                if sid is not None:
                    self.results.sids.append(sid)
            finally:
                semaphore.release()
                self.progress.advance(task)

        tasks: list[asyncio.Task[None]] = []
        async for index in self._paced(started):
            await semaphore.acquire()
            tasks.append(asyncio.create_task(send(index)))
        await asyncio.gather(*tasks)

    async def _exchange(self, sid: str) -> dict[str, Any] | None:
        try:
            return await self.client.exchange(sid)
        except (SimClientError, ValueError):
            return None

    async def wait_for_webhooks(self, wait_seconds: float) -> None:
        pending = list(self.results.sids)
        task = self.progress.add_task("webhooks", total=len(pending))
        deadline = time.monotonic() + wait_seconds
        semaphore = asyncio.Semaphore(self.plan.concurrency)

        async def check(sid: str) -> bool:
            async with semaphore:
                exchange = await self._exchange(sid)
            if exchange is None or exchange["webhook_pending"]:
                return False
            self.results.attempts.extend(exchange["webhooks"])
            self.results.replies += len(exchange["replies"])
            self.progress.advance(task)
            return True

        while pending and time.monotonic() < deadline:
            done = await asyncio.gather(*(check(sid) for sid in pending))
            pending = [sid for sid, finished in zip(pending, done, strict=True) if not finished]
            if pending:
                await asyncio.sleep(POLL_PAUSE)
        self.results.pending = len(pending)


def summary(plan: Plan, results: Results) -> dict[str, Any]:
    durations = [float(a["duration_ms"]) for a in results.attempts]
    errors: dict[str, dict[str, Any]] = {}
    for attempt in results.failed_attempts:
        entry = errors.setdefault(str(attempt["error_code"]), {"count": 0, "example": ""})
        entry["count"] += 1
        entry["example"] = entry["example"] or attempt["error_detail"]
    sent = len(results.sids)
    return {
        "to": plan.to,
        "messages_sent": sent,
        "send_errors": dict(results.send_errors),
        "send_seconds": round(results.send_seconds, 3),
        "send_rate": round(sent / results.send_seconds, 1) if results.send_seconds else None,
        "webhook_attempts": len(results.attempts),
        "webhooks_pending": results.pending,
        "latency_ms": {
            name: round(percentile(durations, p), 1)
            for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
        },
        "errors": errors,
        "replies": results.replies,
        "ok": results.ok,
    }
