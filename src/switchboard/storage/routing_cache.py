"""The number a message is for, and its Messaging Service, kept between messages and exact.

Every inbound message and every send from a number reads the number's row joined with its
pool entry and service (``find_number_and_service``): on PostgreSQL a round trip a message,
about a tenth of a node's event loop (docs/performance.md, "Issue 18"). Those rows change
rarely, but any process may change them (``serve --workers``, a worker, a second node, a test
writing SQL), so a cache that only forgot its own process's writes, or forgot after a while,
would route a message by a number's old URL after the change was answered.

So every write to those tables moves one counter in the same transaction (the triggers of
migration 0015, whoever writes), a cached entry carries the counter's value it was read at,
and an entry is used only while a read of the counter **that began after the caller asked**
finds the same value. A change whose answer the client had before it sent this message was
committed before that read began, so its bump is seen, and the rows are read again. The read
of the counter is one row by its key; callers that ask while such a read is under way share
the next one (:class:`FreshRead`), so a busy node makes far fewer reads than messages.

The price is on the writes of those tables, which are rare: each holds the counter's row until
it commits, so two transactions writing numbers or services take turns. Two PostgreSQL group
commits that each write numbers could then wait for each other's rows; PostgreSQL ends such a
deadlock by failing one statement, and that batch's units run again each alone
(postgres_group_commit.py). A sequence would not lock, but its value moves before the change
commits, so a reader could keep the old rows under the new value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from switchboard.domain.models import MessagingService, PhoneNumber
from switchboard.storage import records
from switchboard.storage.connector import Connector

Route = tuple[PhoneNumber, MessagingService | None]

# Entries kept at most; past it the cache starts again (a rare, one-off re-read of each).
MAX_ENTRIES = 10_000


class FreshRead:
    """A value read anew for every caller, by a read that begins after the caller asks.

    A caller who asks while no read is under way reads at once. Callers who ask while one is
    under way (it began before them, so it may miss what they must see) share the read that
    begins when it ends.
    """

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None  # whose callers share reads
        self._busy = False
        self._next: asyncio.Future[int] | None = None
        self._reading: set[asyncio.Task[None]] = set()  # the shared reads, referenced

    async def __call__(self) -> int:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            # A store called from another thread's loop (SqliteExecutor hands such calls
            # over): its caller reads alone, since the shared state belongs to one loop.
            return await self._read()
        if not self._busy:
            self._busy = True
            try:
                return await self._read()
            finally:
                self._finished()
        if self._next is None:
            self._next = loop.create_future()
            self._next.add_done_callback(_retrieve)
        # One caller's cancellation must not cancel the read the others wait for.
        return await asyncio.shield(self._next)

    def _finished(self) -> None:
        self._busy = False
        waiting, self._next = self._next, None
        if waiting is not None:
            self._busy = True
            task = asyncio.ensure_future(self._read_for(waiting))
            self._reading.add(task)
            task.add_done_callback(self._reading.discard)

    async def _read_for(self, waiting: asyncio.Future[int]) -> None:
        try:
            value = await self._read()
        except asyncio.CancelledError:
            waiting.cancel()
            raise
        except Exception as error:  # every waiter gets the read's own error
            waiting.set_exception(error)
        else:
            waiting.set_result(value)
        finally:
            self._finished()


def _retrieve(future: asyncio.Future[int]) -> None:
    # Marks a failed shared read's error as seen when every waiter was cancelled before it.
    if not future.cancelled():
        future.exception()


class RoutingCache:
    """``find_number_and_service`` with its answers kept while the routing generation holds."""

    def __init__(self, db: Connector) -> None:
        self._db = db
        self._generation = FreshRead(self._read_generation)
        self._entries: dict[str, tuple[int, Route]] = {}

    async def find(self, phone_number: str) -> Route | None:
        generation = await self._generation()
        entry = self._entries.get(phone_number)
        if entry is not None and entry[0] == generation:
            return entry[1]
        row = await self._db.fetch_one("find_number_and_service", {"phone_number": phone_number})
        if row is None:
            return None  # not kept: an address that is no number is looked up elsewhere next
        found = (records.phone_number(row), records.joined_service(row))
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        # The row's own generation, read in the same snapshot as the row.
        self._entries[phone_number] = (row["routing_generation"], found)
        return found

    async def _read_generation(self) -> int:
        row = await self._db.fetch_one("routing_generation", {})
        if row is None:  # the migration inserts the row; nothing deletes it
            raise LookupError("routing_generation has no row")
        generation: int = row["n"]
        return generation
