"""Group commit for PostgreSQL: several units of work in one transaction, each caller answered
after that transaction's COMMIT.

Theory of operation. With asyncpg every statement is a round trip to the server, and a unit of
work alone costs two more (BEGIN, COMMIT) and a WAL flush. Under load many units wait for a
connection at the same moment: :class:`GroupCommit` queues them and lets up to ``parallel``
connections each take everything queued (up to ``max_batch`` units), run it in ONE transaction
and COMMIT once. Only then are that batch's callers answered, so an answered call is as durable
as before (``synchronous_commit`` stays on). An idle store runs a unit at once, alone, on a free
connection: batching adds no wait, it only happens when units would have waited anyway.

A batch has no SAVEPOINT per unit (each would be one more round trip per unit): when a unit
fails (its own error, or a database error such as a unique violation, which aborts the whole
transaction), the batch rolls back and each of its units runs again in a transaction of its
own, so the failing one fails alone and the others commit. That is why a unit of work may run
more than once and must have no effect outside its statements (``Connector.transaction``). A
failed COMMIT is not retried: its outcome is unknown, and every caller of the batch gets the
error, as a lone transaction's caller would.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Conn = Any  # asyncpg.Connection
Work = Callable[[Conn], Awaitable[Any]]  # a unit of work on one connection, in a transaction
_Unit = tuple[Work, "asyncio.Future[Any]"]


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # its caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class GroupCommit:
    """Units of work on an asyncpg pool, committed in batches (see the module docstring)."""

    def __init__(self, pool: Any, *, parallel: int, max_batch: int = 64) -> None:
        self._pool = pool
        self._parallel = parallel
        self._max_batch = max_batch
        self._pending: collections.deque[_Unit] = collections.deque()
        self._committers = 0  # connections taking batches now
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``work`` in the next batch; returns once that batch has committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        self._start_committer()
        return await future

    async def close(self) -> None:
        """Wait for the batches in progress (callers still queued are served first)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start_committer(self) -> None:
        if self._pending and self._committers < self._parallel:
            self._committers += 1
            task = asyncio.get_running_loop().create_task(self._commit_batches())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _commit_batches(self) -> None:
        try:
            async with self._pool.acquire() as conn:
                while self._pending:
                    size = min(len(self._pending), self._max_batch)
                    units = [self._pending.popleft() for _ in range(size)]
                    batch = [unit for unit in units if not unit[1].done()]  # not cancelled
                    try:
                        healthy = await self._run_batch(conn, batch)
                    except BaseException:  # cancelled: the loop is closing
                        for _, future in batch:
                            future.cancel()
                        raise
                    if not healthy:
                        break  # the next committer takes another connection
        except Exception as error:  # no connection to be had: the queued callers hear why
            while self._pending:
                _settle(self._pending.popleft()[1], None, error)
        finally:
            self._committers -= 1
        self._start_committer()

    async def _run_batch(self, conn: Conn, batch: list[_Unit]) -> bool:
        """Run and commit ``batch``, settling its callers; False if the connection failed."""
        if not batch:
            return True
        transaction = conn.transaction()
        try:
            await transaction.start()
        except Exception as error:
            _fail(batch, error)
            return False
        results: list[Any] = []
        try:
            for work, _ in batch:
                results.append(await work(conn))
        except Exception as error:
            try:
                await transaction.rollback()
            except Exception:
                _fail(batch, error)
                return False
            if len(batch) == 1:
                _fail(batch, error)
            else:  # one failed: each alone now, so that one fails by itself
                for unit in batch:
                    await _run_alone(conn, unit)
            return True
        try:
            await transaction.commit()
        except Exception as error:  # its outcome is unknown: never run again
            _fail(batch, error)
            return False
        for (_, future), value in zip(batch, results, strict=True):
            _settle(future, value, None)
        return True


def _fail(batch: list[_Unit], error: Exception) -> None:
    for _, future in batch:
        _settle(future, None, error)


async def _run_alone(conn: Conn, unit: _Unit) -> None:
    work, future = unit
    if future.done():  # its caller was cancelled meanwhile
        return
    try:
        async with conn.transaction():
            value = await work(conn)
    except Exception as error:
        _settle(future, None, error)
    else:
        _settle(future, value, None)
