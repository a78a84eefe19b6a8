"""Live updates for the dashboard: server-sent events fed by polling the store.

Theory. Each stream polls the store every ``POLL_SECONDS`` for the recent messages and webhook
attempts and sends what is new or changed since its previous poll (``message`` and ``attempt``
events), plus the numbers and services when they change (``overview``). Polling the store rather
than listening to this process's dispatcher is what makes ``--workers N`` work: the process
holding the browser's connection sees every other process's writes.

A stream starts with a ``snapshot`` of the whole window, and each event's ``id`` is a digest of
what the browser now mirrors. Streams end after ``STREAM_SECONDS`` (the browser's EventSource
reconnects at once, sending ``Last-Event-ID``), so an open tab never holds up a server shutdown;
when the digest still matches on reconnection, the snapshot is skipped. A quiet stream sends a
``heartbeat`` every ``HEARTBEAT_SECONDS``, so the page tells a hung server from a calm one.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from switchboard.domain.models import Account, Message, WebhookAttempt
from switchboard.services.accounts import Principal
from switchboard.services.simulator import RECENT_ATTEMPTS, Scope, SimulatorService
from switchboard.web.render import attempt_summary, message_json, overview_json
from switchboard.web.views import dashboard_scope

POLL_SECONDS = 0.5
STREAM_SECONDS = 10.0
OVERVIEW_EVERY = 4  # polls; numbers and services change rarely
RETRY_MS = 500
HEARTBEAT_SECONDS = 2.0  # a quiet stream still says it is alive: the page's indicator needs it
HEARTBEAT = b"event: heartbeat\ndata: {}\n\n"


def sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return head.encode() + b"data: " + orjson.dumps(data) + b"\n\n"


Version = tuple[int, str, str, int | None]


def _version(message: Message) -> Version:
    return (message.seq, message.status, message.date_updated.isoformat(), message.error_code)


@dataclass
class Feed:
    """What one browser has been sent; ``update`` says what to send next. Pure."""

    messages: dict[str, Version] = field(default_factory=dict)
    attempts: set[str] = field(default_factory=set)
    overview: str = ""

    def digest(self) -> str:
        text = orjson.dumps([sorted(self.messages.items()), sorted(self.attempts), self.overview])
        return hashlib.sha1(text).hexdigest()[:20]

    def reset(self, messages: Sequence[Message], attempts: Sequence[WebhookAttempt]) -> None:
        self.messages = {m.sid: _version(m) for m in messages}
        self.attempts = {a.sid for a in attempts}

    def update(
        self, messages: Sequence[Message], attempts: Sequence[WebhookAttempt]
    ) -> tuple[list[Message], list[WebhookAttempt]] | None:
        """The changed messages and new attempts, or None when a snapshot is needed: rows were
        deleted (``/_sim/reset``, a DELETE) rather than pushed out of the recent window."""
        current = {m.sid for m in messages}
        oldest = min((m.seq for m in messages), default=None)
        for sid in self.messages.keys() - current:
            if oldest is None or self.messages[sid][0] >= oldest:
                return None
            del self.messages[sid]  # older than the window: the browser may keep it
        attempt_sids = {a.sid for a in attempts}
        if self.attempts - attempt_sids and len(attempts) < RECENT_ATTEMPTS:
            return None
        changed = [m for m in messages if self.messages.get(m.sid) != _version(m)]
        fresh = [a for a in attempts if a.sid not in self.attempts]
        for message in changed:
            self.messages[message.sid] = _version(message)
        self.attempts = attempt_sids
        return changed, fresh


class EventStream:
    """One browser's stream."""

    def __init__(self, simulator: SimulatorService, scope: Scope, last_id: str) -> None:
        self._simulator = simulator
        self._scope = scope
        self._last_id = last_id
        self._feed = Feed()

    async def _window(self) -> tuple[list[Message], list[WebhookAttempt]]:
        messages = await self._simulator.recent_messages(self._scope)
        return messages, await self._simulator.attempts(self._scope)

    async def _overview(self) -> bytes | None:
        data = overview_json(await self._simulator.overview(self._scope))
        digest = hashlib.sha1(orjson.dumps(data)).hexdigest()
        if digest == self._feed.overview:
            return None
        self._feed.overview = digest
        return sse("overview", data, self._feed.digest())

    def _snapshot(self, messages: list[Message], attempts: list[WebhookAttempt]) -> bytes:
        self._feed.reset(messages, attempts)
        data = {
            "messages": [message_json(m) for m in messages],
            "attempts": [attempt_summary(a) for a in attempts],
        }
        return sse("snapshot", data, self._feed.digest())

    async def run(self, seconds: float) -> AsyncIterator[bytes]:
        yield f"retry: {RETRY_MS}\n\n".encode()
        overview = await self._overview()
        messages, attempts = await self._window()
        self._feed.reset(messages, attempts)
        if self._feed.digest() != self._last_id:
            if overview is not None:
                yield overview
            yield self._snapshot(messages, attempts)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        polls = 0
        beat = loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            polls += 1
            if loop.time() - beat >= HEARTBEAT_SECONDS:
                beat = loop.time()
                yield HEARTBEAT
            if polls % OVERVIEW_EVERY == 0:
                self._scope = await self._simulator.scope(Principal(self._scope.account))
                overview = await self._overview()
                if overview is not None:
                    yield overview
            messages, attempts = await self._window()
            update = self._feed.update(messages, attempts)
            if update is None:
                yield self._snapshot(messages, attempts)
                continue
            changed, fresh = update
            batch = [("message", message_json(m)) for m in changed]
            batch += [("attempt", attempt_summary(a)) for a in fresh]
            if batch:
                # Only the last event carries the id: a browser cut off mid-batch reconnects
                # with the previous digest and is sent a snapshot.
                last = len(batch) - 1
                digest = self._feed.digest()
                yield b"".join(
                    sse(kind, data, digest if i == last else None)
                    for i, (kind, data) in enumerate(batch)
                )


async def stream_events(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    stream = EventStream(simulator, scope, request.headers.get("last-event-id", ""))
    return StreamingResponse(
        stream.run(STREAM_SECONDS),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
