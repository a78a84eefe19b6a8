"""The SQLite group-commit executor: batched writes, reads of the last commit, lock waits.

SQLite only, on a scratch table; each test opens its own executor on a temp file (or in memory)
and closes it. A second, raw ``sqlite3`` connection plays another process holding the write
lock (``--workers N`` on one file).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.storage import sqlite_executor
from switchboard.storage.sqlite_executor import GroupCommitExecutor

Traced = tuple[list[Any], list[str]]


def _insert(x: int) -> Callable[[sqlite3.Connection], sqlite3.Cursor]:
    return lambda c: c.execute("INSERT INTO t (x) VALUES (?)", (x,))


def _values(c: sqlite3.Connection) -> list[int]:
    return [row[0] for row in c.execute("SELECT x FROM t ORDER BY x")]


async def _open(target: str) -> GroupCommitExecutor:
    db = GroupCommitExecutor(target)
    await db.run(lambda c: c.execute("CREATE TABLE t (x)"))
    await db.run(_insert(1))
    return db


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "executor.db")


@pytest.fixture
def other_process(path: str) -> Iterator[sqlite3.Connection]:
    """A second connection to the file, as another process would hold it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


async def test_a_read_answers_from_the_last_commit_while_a_write_waits(
    path: str, other_process: sqlite3.Connection
) -> None:
    """While a write waits for another process's lock, reads still answer at once (with what
    was committed) and the event loop keeps serving; the write lands once the lock is free."""
    db = await _open(path)
    try:
        assert await db.read(_values) == [1]
        other_process.execute("BEGIN IMMEDIATE")
        write = asyncio.create_task(db.run(_insert(2)))

        started = time.monotonic()
        for _ in range(10):  # the loop ticks on while the write retries BEGIN
            await asyncio.sleep(0.01)
        assert time.monotonic() - started < 1.0
        assert not write.done()
        # Answered at once, not queued behind the waiting write.
        assert await asyncio.wait_for(db.read(_values), 0.5) == [1]

        other_process.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        assert await db.read(_values) == [1, 2]
    finally:
        await db.close()


async def test_a_write_gives_up_on_a_lock_held_too_long(
    path: str, other_process: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that cannot get the write lock within LOCK_WAIT_SECONDS fails with
    OperationalError (it does not hang); the next write succeeds once the lock is free."""
    monkeypatch.setattr(sqlite_executor, "LOCK_WAIT_SECONDS", 0.2)
    db = await _open(path)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(db.run(_insert(2)), 5)
        assert time.monotonic() - started >= 0.2  # it did wait for the lock first
        other_process.execute("ROLLBACK")

        await db.run(_insert(3))
        assert await db.read(_values) == [1, 3]
    finally:
        await db.close()


async def _traced(db: GroupCommitExecutor, *calls: Callable[[sqlite3.Connection], Any]) -> Traced:
    """Run ``calls`` as one batch (queued together); their results (or errors) and the
    statements the connection ran for them."""
    statements: list[str] = []
    await db.run(lambda c: c.set_trace_callback(statements.append))
    statements.clear()
    results = await asyncio.gather(*(db.run(call) for call in calls), return_exceptions=True)
    seen = list(statements)
    await db.run(lambda c: c.set_trace_callback(None))
    return results, seen


async def test_a_batch_is_one_transaction_without_savepoints(path: str) -> None:
    """Writes queued together run in one transaction, committed once, with no statement around
    each write (no SAVEPOINT)."""
    db = await _open(path)
    try:
        results, statements = await _traced(db, _insert(2), _insert(3))
        assert not any(isinstance(result, BaseException) for result in results)
        assert statements == [
            "BEGIN IMMEDIATE",
            "INSERT INTO t (x) VALUES (2)",
            "INSERT INTO t (x) VALUES (3)",
            "COMMIT",
        ]
        assert await db.read(_values) == [1, 2, 3]
    finally:
        await db.close()


async def test_a_failing_write_fails_alone_in_its_batch(path: str) -> None:
    """Writes committed together are independent: one that raises is undone and its caller
    gets the error; the batch is rolled back and runs again, a SAVEPOINT around each write,
    and the others commit with their results, still with one COMMIT."""
    db = await _open(path)

    def failing(c: sqlite3.Connection) -> str:
        c.execute("INSERT INTO t (x) VALUES (3)")
        raise ValueError("boom")

    def third(c: sqlite3.Connection) -> list[int]:
        c.execute("INSERT INTO t (x) VALUES (4)")
        return _values(c)  # sees the batch so far, without the failed write

    try:
        results, statements = await _traced(db, _insert(2), failing, third)

        assert not isinstance(results[0], BaseException)
        assert isinstance(results[1], ValueError)
        assert results[2] == [1, 2, 4]
        assert await db.read(_values) == [1, 2, 4]
        # Together without savepoints, rolled back; again with them, committed once.
        assert statements.index("ROLLBACK") < statements.index("SAVEPOINT op")
        assert statements.count("SAVEPOINT op") == 3
        assert statements.count("ROLLBACK TO op") == 1
        assert statements.count("COMMIT") == 1
    finally:
        await db.close()


async def test_a_failure_that_ends_the_transaction_fails_the_batch(path: str) -> None:
    """An error that rolls the whole transaction back (a full disk, an I/O error; here a write
    that ends it itself) leaves nothing to commit: every caller of the batch gets the error,
    none is answered as if written, and the next write commits."""
    db = await _open(path)

    def ending(c: sqlite3.Connection) -> None:
        c.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    try:
        results = await asyncio.gather(
            db.run(_insert(2)), db.run(ending), db.run(_insert(3)), return_exceptions=True
        )
        for result in results:
            assert isinstance(result, sqlite3.OperationalError)
            assert "disk is full" in str(result)
        assert await db.read(_values) == [1]

        await db.run(_insert(4))
        assert await db.read(_values) == [1, 4]
    finally:
        await db.close()


async def test_a_write_run_twice_applies_its_statements_once(path: str) -> None:
    """A write of a batch in which another fails runs twice (together, then alone), but only
    its last run is kept: its rows are written once and its caller gets that run's result."""
    db = await _open(path)
    runs = 0

    def counted(c: sqlite3.Connection) -> int:
        nonlocal runs
        runs += 1
        c.execute("INSERT INTO t (x) VALUES (2)")
        return runs

    def failing(c: sqlite3.Connection) -> None:
        raise ValueError("boom")

    try:
        results = await asyncio.gather(db.run(counted), db.run(failing), return_exceptions=True)
        assert runs == 2
        assert results[0] == 2
        assert isinstance(results[1], ValueError)
        assert await db.read(_values) == [1, 2]
    finally:
        await db.close()


async def test_a_failed_commit_fails_every_caller_of_its_batch(path: str) -> None:
    """When the COMMIT itself fails (here a deferred foreign key, checked at COMMIT) nothing
    of the batch is written, every caller gets the error, no write runs again (the outcome of a
    failed COMMIT is unknown in general), and the next write commits."""
    db = await _open(path)
    await db.run(lambda c: c.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
    await db.run(
        lambda c: c.execute(
            "CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    )
    runs = 0

    def counted(c: sqlite3.Connection) -> None:
        nonlocal runs
        runs += 1
        c.execute("INSERT INTO t (x) VALUES (2)")

    def orphan(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO child (p) VALUES (7)")  # fails only at COMMIT

    try:
        results = await asyncio.gather(db.run(counted), db.run(orphan), return_exceptions=True)
        for result in results:
            assert isinstance(result, sqlite3.IntegrityError)
            assert "FOREIGN KEY" in str(result)
        assert runs == 1
        assert await db.read(_values) == [1]
        assert await db.read(lambda c: c.execute("SELECT count(*) FROM child").fetchone()[0]) == 0

        await db.run(_insert(3))
        assert await db.read(_values) == [1, 3]
    finally:
        await db.close()


async def test_a_cancelled_committer_cancels_the_callers_it_holds(
    path: str, other_process: sqlite3.Connection
) -> None:
    """The committer cancelled (the loop shutting down without closing the store) while its
    batch waits for the write lock: the batch's callers are cancelled, not left waiting."""
    db = await _open(path)
    waiting = asyncio.Event()  # BEGIN IMMEDIATE tried (on the loop's thread) and refused

    def trace(statement: str) -> None:
        if statement == "BEGIN IMMEDIATE" and other_process.in_transaction:
            waiting.set()

    await db.run(lambda c: c.set_trace_callback(trace))
    try:
        other_process.execute("BEGIN IMMEDIATE")
        write = asyncio.create_task(db.run(_insert(2)))
        await asyncio.wait_for(waiting.wait(), 5)  # the committer holds the write
        assert db._committer is not None
        db._committer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(write, 5)
    finally:
        other_process.execute("ROLLBACK")
        await db.close()
    with sqlite3.connect(path) as conn:
        assert _values(conn) == [1]
    conn.close()


async def test_an_in_memory_database_reads_and_writes() -> None:
    """ ":memory:" (one connection) serves writes and reads, reads seeing the writes."""
    db = await _open(":memory:")
    try:
        await asyncio.gather(db.run(_insert(2)), db.run(_insert(3)))
        assert await db.read(_values) == [1, 2, 3]
        with pytest.raises(sqlite3.OperationalError):
            await db.read(lambda c: c.execute("SELECT nope FROM t").fetchall())
        assert await db.run(_values) == [1, 2, 3]
    finally:
        await db.close()


async def test_calls_from_another_threads_event_loop_are_served(path: str) -> None:
    """A store opened on one event loop can be used from another thread's loop (its calls are
    handed to the owning loop): writes and reads work both there and here."""
    db = await _open(path)

    async def elsewhere() -> list[int]:
        await db.run(_insert(2))
        return await db.read(_values)

    try:
        assert await asyncio.to_thread(asyncio.run, elsewhere()) == [1, 2]
        assert await db.read(_values) == [1, 2]
        await db.run(_insert(3))
        assert await db.read(_values) == [1, 2, 3]
    finally:
        await db.close()


async def test_close_commits_what_is_queued(path: str) -> None:
    """Closing the store finishes the writes already queued: none is lost at shutdown."""
    db = await _open(path)
    writes = [asyncio.ensure_future(db.run(_insert(x))) for x in (2, 3)]
    await asyncio.sleep(0)  # both are queued
    await db.close()
    await asyncio.gather(*writes)
    with sqlite3.connect(path) as conn:
        assert _values(conn) == [1, 2, 3]
    conn.close()
