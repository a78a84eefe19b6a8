"""Group commit for SQLite: one thread owns the connection and batches concurrent work.

Theory of operation. Every store call is a function ``fn(connection) -> result`` queued to the
thread. The thread takes whatever has queued up (up to ``max_batch``), opens ONE transaction,
runs each function inside its own SAVEPOINT (so one failing call rolls back alone), COMMITs
once, and only then resolves the callers' futures. Under load many API calls therefore share
one fsync, and no caller is answered before its data is durable. The event loop never blocks
on SQLite.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Work = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]", asyncio.AbstractEventLoop]
_Result = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _deliver(results: list[_Result]) -> None:
    for future, value, error in results:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class GroupCommitExecutor:
    def __init__(self, path: str, *, max_batch: int = 512, durable: bool = True) -> None:
        self._path = path
        self._max_batch = max_batch
        self._durable = durable
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="switchboard-sqlite", daemon=True)
        self._closed = False
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, future, loop))
        return await future

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        if self._path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a COMMIT is on disk before any caller of the batch hears back.
            conn.execute(f"PRAGMA synchronous = {'FULL' if self._durable else 'NORMAL'}")
        return conn

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # surfaced to the constructor's caller
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._run_batch(conn, batch)
        conn.close()

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Work]) -> None:
        results: list[tuple[asyncio.AbstractEventLoop, _Result]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            results = [(loop, (future, None, exc)) for _, future, loop in batch]
            self._hand_back(results)
            return
        for fn, future, loop in batch:
            conn.execute("SAVEPOINT op")
            try:
                value = fn(conn)
            except BaseException as exc:
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                results.append((loop, (future, None, exc)))
            else:
                conn.execute("RELEASE op")
                results.append((loop, (future, value, None)))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            results = [(loop, (future, None, exc)) for loop, (future, _, _) in results]
        self._hand_back(results)

    @staticmethod
    def _hand_back(results: list[tuple[asyncio.AbstractEventLoop, _Result]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Result]] = {}
        for loop, result in results:
            by_loop.setdefault(loop, []).append(result)
        for loop, loop_results in by_loop.items():
            if not loop.is_closed():
                loop.call_soon_threadsafe(_deliver, loop_results)
