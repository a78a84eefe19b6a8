"""PostgreSQL connections: the asyncpg pool, with the connections in use passed from hand to
hand rather than through it.

Theory of operation. A single statement borrows a connection for itself alone, and asyncpg's
pool makes each borrowing dear: its acquire and its release (a shielded task, a proxy, a
future, an inactivity timer) cost the event loop about as much CPU as the statement itself.
:class:`Connections` stands in front of the pool, and every borrower of the connector goes
through it (single statements, group commit, snapshots). A connection given back goes, in
this order of preference, to the borrower waiting longest, to the few kept at hand (up to
``keep``, the most recently used lent first), or back to the pool. A borrower takes a kept
connection if there is one, else a new one from the pool while fewer than the pool's
``max_size`` are out, else waits for one given back. Under load, connections circulate
between borrowers without the pool; when the load falls, all but ``keep`` go back to it.

What the pool guarantees still holds. A connection is lent to one borrower at a time, and a
connection passed on or kept is idle: open and outside any transaction, so each single
statement on it is still a transaction of its own. Everything else goes back through the
pool, which rolls back, waits out a cancellation or replaces a broken connection: a
connection given back by a borrower that failed or was cancelled, or closed, or left in a
transaction; a waiting borrower is then woken to take a new one from the pool. The kept
connections are not closed for inactivity as the pool's idle ones are: at most ``keep`` stay
open that way, and :meth:`Connections.close` hands them back.
"""

from __future__ import annotations

import asyncio
import collections
from types import TracebackType
from typing import Any

import asyncpg

Conn = Any  # asyncpg's pooled connection (a PoolConnectionProxy); asyncpg has no hints


def _idle(conn: Conn) -> bool:
    """Open and outside any transaction: fit for the next borrower as it is."""
    try:
        return not conn.is_closed() and not conn.is_in_transaction()
    except asyncpg.InterfaceError:  # it closed and asyncpg gave it back to the pool itself
        return False


class Connections:
    """Borrow connections from ``pool``, passing them on between borrowers (see the module)."""

    def __init__(self, pool: Any, *, keep: int) -> None:
        self._pool = pool
        self._size = pool.get_max_size()
        self._keep = keep
        self._kept: list[Conn] = []  # the most recently given back last
        self._out = 0  # connections taken from the pool and not given back to it (kept too)
        # Borrowers waiting for a connection given back: each future gets it, or None when
        # one went back to the pool (the borrower may then take a new one).
        self._waiting: collections.deque[asyncio.Future[Conn | None]] = collections.deque()
        self._closing = False

    def acquire(self) -> _Borrowed:
        """``async with connections.acquire() as conn``: a connection for this block alone."""
        return _Borrowed(self)

    async def close(self) -> None:
        """Give the kept connections back to the pool (before it closes: it waits for them)."""
        self._closing = True
        while self._kept:
            await self._to_pool(self._kept.pop())

    async def _take(self) -> Conn:
        while True:
            while self._kept:
                conn = self._kept.pop()
                if _idle(conn):
                    return conn
                await self._to_pool(conn)
            if self._out < self._size:
                self._out += 1
                try:
                    return await self._pool.acquire()
                except BaseException:
                    self._out -= 1
                    self._wake()
                    raise
            conn = await self._wait()
            if conn is not None:
                return conn

    async def _wait(self) -> Conn | None:
        waiter: asyncio.Future[Conn | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as it was cancelled
                handed = waiter.result()
                if handed is None:
                    self._wake()
                else:
                    await self._give_back(handed, failed=False)
            raise

    async def _give_back(self, conn: Conn, failed: bool) -> None:
        if failed or not _idle(conn):
            await self._to_pool(conn)
        elif not self._hand_over(conn):
            if len(self._kept) < self._keep and not self._closing:
                self._kept.append(conn)
            else:
                await self._to_pool(conn)

    async def _to_pool(self, conn: Conn) -> None:
        try:
            await self._pool.release(conn)  # a no-op if asyncpg took it back already
        finally:
            self._out -= 1
            self._wake()

    def _hand_over(self, conn: Conn | None) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():  # else it was cancelled
                waiter.set_result(conn)
                return True
        return False

    def _wake(self) -> None:
        """A connection went back to the pool: the longest waiting borrower may take one."""
        self._hand_over(None)


class _Borrowed:
    """One borrowing: a class rather than a generator, as it wraps every single statement."""

    __slots__ = ("_conn", "_connections")

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._conn: Conn = None

    async def __aenter__(self) -> Conn:
        self._conn = await self._connections._take()
        return self._conn

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        await self._connections._give_back(conn, failed=kind is not None)
