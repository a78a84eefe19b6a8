"""Group commit for SQLite: statements on the event loop, the durable COMMIT on a thread.

Theory of operation. Every write is a function ``fn(connection) -> result`` queued with
:meth:`GroupCommitExecutor.run`. One committer task takes whatever has queued up (up to
``max_batch``), runs it in ONE transaction, COMMITs once, and only then resolves the callers'
futures. Under load many API calls therefore share one fsync, and no caller is answered before
its data is durable. A failed COMMIT is not retried (its outcome is unknown): every caller of
the batch gets the error, as a lone transaction's caller would.

A batch has no SAVEPOINT per function: a SAVEPOINT and a RELEASE around each are four
statements a message (two units of work) on the event loop, which is where a message's CPU goes;
without them the server executes 1.4% fewer instructions a message. When a function raises, the
batch rolls back and runs again, each function inside a SAVEPOINT this time, so the failing one
fails alone and the others commit, still with one COMMIT. Functions may therefore run twice and
must have no effect outside their statements (``Connector.transaction``). The rerun is rare: no
function failed of 10,005 under ``bench/inbound.py --count 5000``, 18 of 27,837 across the
store, integration and conformance tests, which provoke conflicts on purpose. (PostgreSQL's
group commit reruns each unit alone, since a SAVEPOINT there is a round trip to the server.
Here a transaction each is an fsync each: a batch of 60 with one failure settled in ~35 ms so,
against ~1.5 ms with savepoints; see docs/performance.md.)

Where each step runs is what makes it fast. The statements run on the event loop's own thread:
each takes microseconds, and running them there costs no GIL hand-off. (A thread that owned the
connection had to win the GIL back after every statement while the loop held it: measured under
load, ~130 us per call against ~15 us inline; see docs/performance.md.) Only what waits on the
disk leaves the loop: COMMIT, with its fsync, runs on a helper thread while the loop serves other
requests, and BEGIN IMMEDIATE, which waits only while another process holds the write lock, is
retried with asyncio sleeps instead of blocking. The connection is never used by two threads at
once: only the committer touches it, and it awaits the COMMIT before the next transaction.

Reads (:meth:`GroupCommitExecutor.read`) of a file database use a second, read-only connection
(WAL lets it read while a write is in progress): they see the last committed state at once,
without waiting for the batch in progress, and never span an await, so no read holds a snapshot
open. An in-memory database has one connection: its reads queue with the writes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_Work = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]
_Result = tuple["asyncio.Future[Any]", Any, BaseException | None]

# How long a write waits for another process's write lock (``--workers N`` on one file).
LOCK_WAIT_SECONDS = 5.0
# The lock gives no word when it is free, so a waiting write tries again, 1 ms after the first
# try, then twice as long each time up to LOCK_RETRY_MAX_SECONDS. Another process holds it a
# few milliseconds (its batch's statements and COMMIT), so a longer sleep mostly waits after it
# is free: with 50 ms, two processes on one file (bench/inbound.py --workers 2, --split) had a
# p99 of 121-137 and 508-774 ms, with 5 ms 75-77 and 147-212 ms, and no fewer webhooks a
# second (docs/performance.md). A failed try costs one statement: 200 a second at most.
LOCK_RETRY_FIRST_SECONDS = 0.001
LOCK_RETRY_MAX_SECONDS = 0.005
SQLITE_BUSY = 5


def _settle(results: list[_Result]) -> None:
    for future, value, error in results:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def _fail(batch: list[_Work], error: BaseException) -> None:
    _settle([(future, None, error) for _, future in batch])


def _is_busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == SQLITE_BUSY


class GroupCommitExecutor:
    def __init__(self, path: str, *, max_batch: int = 512, durable: bool = True) -> None:
        self._max_batch = max_batch
        on_disk = path != ":memory:"
        self._conn = self._connect(path, durable if on_disk else None)
        self._reader = self._connect_reader(path) if on_disk else None
        # The fsync of a file database's COMMIT happens here, off the event loop.
        self._disk = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="switchboard-sqlite")
            if on_disk
            else None
        )
        self._pending: collections.deque[_Work] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup = asyncio.Event()
        self._committer: asyncio.Task[None] | None = None
        self._closed = False

    @staticmethod
    def _connect(path: str, durable: bool | None) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")  # setting up may wait for other processes
        conn.execute("PRAGMA foreign_keys = ON")  # the schema's cascading deletes
        if durable is not None:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a COMMIT is on disk before any caller of the batch hears back.
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        # From now on a lock is waited for with asyncio sleeps (see _begin), never by blocking.
        conn.execute("PRAGMA busy_timeout = 0")
        return conn

    @staticmethod
    def _connect_reader(path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA query_only = 1")
        return conn

    def _owner(self) -> asyncio.AbstractEventLoop | None:
        """The loop the executor belongs to (binding it on first use); None when the caller
        runs on another loop and must hand its call over."""
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._committer = loop.create_task(self._commit_batches(), name="sqlite-commit")
        return loop if loop is self._loop else None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the next batch; returns once its batch is committed (durable)."""
        loop = self._owner()
        if loop is None:
            return await self._on_owner(self.run(fn))
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((fn, future))
        self._wakeup.set()
        return await future

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run the read-only ``fn`` on the last committed state, now."""
        if self._reader is None:
            return await self.run(fn)
        if self._owner() is None:
            return await self._on_owner(self.read(fn))
        # Autocommit: each statement reads the latest commit. A read of several statements
        # (a page after its cursor's seq) may see a later commit in its second one, which is
        # harmless for what the store reads (a seq never changes); a BEGIN/COMMIT around every
        # read measured 2% of the server's time.
        return fn(self._reader)

    async def _on_owner(self, call: Coroutine[Any, Any, T]) -> T:
        """Run ``call`` on the owning loop (the store was opened on another thread's loop)."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, self._loop))

    async def close(self) -> None:
        if self._closed:
            return
        owner = self._loop
        if owner is not None and owner is not asyncio.get_running_loop() and owner.is_running():
            await self._on_owner(self.close())
            return
        self._closed = True
        self._wakeup.set()
        if self._committer is not None and not self._committer.done():
            await self._committer  # finishes what is queued, then returns
        self._conn.close()
        if self._reader is not None:
            self._reader.close()
        if self._disk is not None:
            self._disk.shutdown(wait=True)

    async def _commit_batches(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                size = min(len(self._pending), self._max_batch)
                await self._run_batch([self._pending.popleft() for _ in range(size)])
            if self._closed:
                return

    async def _run_batch(self, batch: list[_Work]) -> None:
        try:
            if not await self._transaction(batch, savepoints=False):
                # One function failed and the batch is rolled back: it runs again, each
                # function in a SAVEPOINT, so that one fails by itself and the others commit.
                await self._transaction(batch, savepoints=True)
        except asyncio.CancelledError:  # the loop is shutting down without closing the store
            for _, future in batch:
                future.cancel()
            raise

    async def _transaction(self, batch: list[_Work], *, savepoints: bool) -> bool:
        """Run ``batch`` in one transaction and answer its callers once it is committed.
        False, with everything rolled back and no caller answered, when one function of
        several failed outside a savepoint."""
        try:
            await self._begin()
        except sqlite3.Error as exc:
            _fail(batch, exc)
            return True
        results: list[_Result] = []
        try:
            for fn, future in batch:
                if savepoints:
                    results.append(self._in_savepoint(fn, future))
                else:
                    results.append((future, fn(self._conn), None))
        except Exception as exc:
            self._rollback()
            if len(batch) > 1 and not savepoints:
                return False
            _fail(batch, exc)
            return True
        try:
            await self._commit()
        except Exception as exc:  # its outcome is unknown: never run again
            self._rollback()
            _fail(batch, exc)
            return True
        _settle(results)
        return True

    def _in_savepoint(
        self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future[Any]
    ) -> _Result:
        conn = self._conn
        conn.execute("SAVEPOINT op")
        try:
            value = fn(conn)
        except Exception as exc:
            if not conn.in_transaction:  # the error (a full disk...) ended the whole transaction
                raise
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return (future, None, exc)
        conn.execute("RELEASE op")
        return (future, value, None)

    def _rollback(self) -> None:
        # Some errors (a full disk, an I/O error) have rolled the transaction back already.
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE: take the write lock, waiting (without blocking) while another
        process holds it."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = LOCK_RETRY_FIRST_SECONDS
        while True:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, LOCK_RETRY_MAX_SECONDS)

    async def _commit(self) -> None:
        if self._disk is None:  # in memory: nothing to wait for
            self._conn.execute("COMMIT")
            return
        commit = self._disk.submit(self._conn.execute, "COMMIT")
        try:
            await asyncio.wrap_future(commit)
        except asyncio.CancelledError:
            commit.exception()  # blocks until the thread is done with the connection
            raise
