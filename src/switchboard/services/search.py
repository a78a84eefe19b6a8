"""The assertion API: messages and webhook attempts that match a test's expectations, now or,
with a wait, as soon as one exists (``GET /_sim/messages``, ``GET /_sim/webhooks``).

Every filter but a message's Body runs in the store. Body is a regular expression (Python's
``re.search``: anywhere in the body unless anchored), matched here against the newest
``BODY_SCAN_LIMIT`` messages that pass the other filters, read in chunks; older messages are
not searched. It is matched against the body as the REST API shows it (a discarded body is
empty).

Waiting needs no polling: the store wakes a waiter when this process commits a message or an
attempt (``Store.wait_for_writes``), and the waiter looks again at least every
``RECHECK_SECONDS`` for what other processes wrote (``serve --workers``, PostgreSQL nodes).
A wait is measured in real seconds, not on the simulator's clock, which a test may freeze.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, TypeVar

from switchboard.domain.errors import TwilioError
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Message, WebhookAttempt
from switchboard.domain.retention import shown_body
from switchboard.ports import AttemptQuery, MessageQuery, Store

MAX_WAIT_SECONDS: Final = 60
BODY_SCAN_LIMIT: Final = 5000
SCAN_CHUNK: Final = 500
RECHECK_SECONDS: Final = 0.5
TIMED_OUT: Final = 20408

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MessageSearch:
    to: str | None = None
    from_: str | None = None
    status: MessageStatus | None = None
    direction: Direction | None = None
    body: re.Pattern[str] | None = None
    since: datetime | None = None  # created at or after
    limit: int = 50
    wait: float = 0.0  # seconds; 0 answers at once, even with nothing


@dataclass(frozen=True, slots=True)
class AttemptSearch:
    message_sid: str | None = None
    kind: str | None = None
    url: str | None = None
    status: int | None = None  # the response's HTTP status
    error_code: int | None = None
    since: datetime | None = None  # made at or after
    limit: int = 200
    wait: float = 0.0


async def find_messages(
    store: Store, account_sids: Sequence[str], search: MessageSearch
) -> list[Message]:
    """The newest ``search.limit`` matches, newest first."""
    query = MessageQuery(
        account_sids, search.to, search.from_, search.status, search.direction, search.since,
        limit=search.limit,
    )  # fmt: skip
    pattern = search.body
    if pattern is None:
        return await _waiting(store, search.wait, lambda: store.search_messages(query))

    async def scan() -> list[Message]:
        found: list[Message] = []
        chunk_query = replace(query, limit=SCAN_CHUNK)
        scanned = 0
        while scanned < BODY_SCAN_LIMIT:
            chunk = await store.search_messages(chunk_query)
            found += [m for m in chunk if pattern.search(shown_body(m))]
            scanned += len(chunk)
            if len(found) >= search.limit or len(chunk) < SCAN_CHUNK:
                break
            chunk_query = replace(chunk_query, before_seq=chunk[-1].seq)
        return found[: search.limit]

    return await _waiting(store, search.wait, scan)


async def find_attempts(
    store: Store, account_sids: Sequence[str], search: AttemptSearch
) -> list[WebhookAttempt]:
    """The newest ``search.limit`` matches, oldest first (as the attempt log reads)."""
    query = AttemptQuery(
        account_sids, search.message_sid, search.kind, search.url, search.status,
        search.error_code, search.since, search.limit,
    )  # fmt: skip
    return await _waiting(store, search.wait, lambda: store.search_attempts(query))


async def _waiting(store: Store, wait: float, search: Callable[[], Awaitable[list[T]]]) -> list[T]:
    """``search()``'s answer; with a wait, the first non-empty one, or 408 (20408) when the
    wait ends with nothing."""
    deadline = time.monotonic() + wait
    while True:
        seen = store.writes()  # read before searching: a write during the search wakes at once
        found = await search()
        if found or wait <= 0:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise TwilioError(TIMED_OUT, f"Nothing matched within Wait={wait:g} (seconds)")
        await store.wait_for_writes(seen, min(left, RECHECK_SECONDS))
