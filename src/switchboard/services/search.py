"""The assertion API: messages and webhook attempts that match a test's expectations, now or,
with a wait, as soon as one exists (``GET /_sim/messages``, ``GET /_sim/webhooks``).

Every filter but a message's Body runs in the store. Body is a regular expression (Python's
``re.search``: anywhere in the body unless anchored), matched here against the newest
``BODY_SCAN_LIMIT`` messages that pass the other filters, read in chunks; older messages are
not searched. It is matched against the body as the REST API shows it (a discarded body is
empty).

Waiting needs no polling: the store wakes a waiter when this process commits a message or an
attempt (``Store.wait_for_writes``), or when another process on this machine says it did
(``serve --workers``, ``serve --no-deliver`` beside ``switchboard worker``: wakeup.py), and the
waiter looks again at least every ``RECHECK_SECONDS`` for what the others wrote without a word
(PostgreSQL nodes on other machines, a lost wake-up): an indexed search costs about a
millisecond, so ten a second cost a waiter little. A body search scans up to ``BODY_SCAN_LIMIT``
messages each time, so it looks again every ``RECHECK_SCAN_SECONDS`` only.
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
from switchboard.ports import AttemptQuery, MessageQuery, PageRequest, Store

MAX_WAIT_SECONDS: Final = 60
# The most one search answers (``Limit``): there are no pages, a caller narrows with Since.
MAX_MESSAGES: Final = 1000
MAX_ATTEMPTS: Final = 5000  # attempts are small enough; the CLI lists up to this many
BODY_SCAN_LIMIT: Final = 5000
SCAN_CHUNK: Final = 500
RECHECK_SECONDS: Final = 0.1
RECHECK_SCAN_SECONDS: Final = 0.5
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
    failed: bool = False  # only the attempts that did not succeed (AttemptQuery.failed)
    since: datetime | None = None  # made at or after
    limit: int = 200
    wait: float = 0.0


async def find_messages(
    store: Store, account_sids: Sequence[str], search: MessageSearch
) -> list[Message]:
    """The newest ``search.limit`` matches, newest first."""
    query = MessageQuery(
        account_sids, to=search.to, from_=search.from_, status=search.status,
        direction=search.direction, created_from=search.since,
    )  # fmt: skip
    pattern = search.body
    if pattern is None:
        return await _waiting(store, search.wait, lambda: _newest(store, query, search.limit))

    async def scan() -> list[Message]:
        found: list[Message] = []
        chunk_query = query
        scanned = 0
        while scanned < BODY_SCAN_LIMIT:
            # A storage position, not a page token, carries the scan on: a message deleted
            # meanwhile cannot break it.
            chunk = await _newest(store, chunk_query, SCAN_CHUNK)
            found += [m for m in chunk if pattern.search(shown_body(m))]
            scanned += len(chunk)
            if len(found) >= search.limit or len(chunk) < SCAN_CHUNK:
                break
            chunk_query = replace(chunk_query, before_seq=chunk[-1].seq)
        return found[: search.limit]

    return await _waiting(store, search.wait, scan, RECHECK_SCAN_SECONDS)


async def _newest(store: Store, query: MessageQuery, limit: int) -> list[Message]:
    return (await store.search_messages(query, PageRequest(limit))).items


async def find_attempts(
    store: Store, account_sids: Sequence[str], search: AttemptSearch
) -> list[WebhookAttempt]:
    """The newest ``search.limit`` matches, oldest first (as the attempt log reads)."""
    query = AttemptQuery(
        account_sids, message_sid=search.message_sid, kind=search.kind, url=search.url,
        status=search.status, failed=search.failed, error_code=search.error_code,
        created_from=search.since,
    )  # fmt: skip

    async def newest_oldest_first() -> list[WebhookAttempt]:
        page = await store.search_attempts(query, PageRequest(search.limit))
        return page.items[::-1]

    return await _waiting(store, search.wait, newest_oldest_first)


async def _waiting(
    store: Store,
    wait: float,
    search: Callable[[], Awaitable[list[T]]],
    recheck: float | None = None,
) -> list[T]:
    """``search()``'s answer; with a wait, the first non-empty one, or 408 (20408) when the
    wait ends with nothing. ``recheck``: how often to look regardless (``RECHECK_SECONDS``)."""
    recheck = RECHECK_SECONDS if recheck is None else recheck
    deadline = time.monotonic() + wait
    while True:
        seen = store.writes()  # read before searching: a write during the search wakes at once
        found = await search()
        if found or wait <= 0:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise TwilioError(TIMED_OUT, f"Nothing matched within Wait={wait:g} (seconds)")
        await store.wait_for_writes(seen, min(left, recheck))
