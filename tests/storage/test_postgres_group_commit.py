"""PostgreSQL's group commit: units queued together share a transaction, each caller is
answered after that transaction's COMMIT, and a failing unit fails alone.

PostgreSQL only, on a fresh database per test. One committer (``parallel=1``) is held busy by
a unit that waits for the test's signal, so the units queued behind it are taken as one batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from switchboard.ports import JobClaim, StoreConflict
from switchboard.storage.postgres import PostgresConnector, PostgresStore
from switchboard.storage.postgres_group_commit import GroupCommit

pytestmark = pytest.mark.postgres

Records = Any  # conftest.Records (test modules cannot import conftest)


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[Any]:
    pool = await asyncpg.create_pool(postgres_dsn, min_size=1, max_size=4)
    await pool.execute("CREATE TABLE t (x integer PRIMARY KEY, tx bigint NOT NULL)")
    try:
        yield pool
    finally:
        await pool.close()


def _insert(x: int) -> Any:
    """A unit of work: insert ``x`` with the id of the transaction that wrote it."""

    async def work(conn: Any) -> int:
        await conn.execute("INSERT INTO t VALUES ($1, txid_current())", x)
        return x

    return work


class Held:
    """A unit that keeps its committer busy until released: what queues behind it is batched."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, conn: Any) -> None:
        self.running.set()
        await self.release.wait()


async def _queued_behind(held: Held, calls: list[Any]) -> list[asyncio.Task[Any]]:
    """Start ``calls`` while ``held`` occupies the only committer; they queue as one batch."""
    await held.running.wait()
    tasks = [asyncio.ensure_future(call) for call in calls]
    await asyncio.sleep(0)  # each is queued now
    return tasks


async def test_units_queued_together_share_one_commit_and_each_caller_hears_after_it(
    pool: Any,
) -> None:
    units = GroupCommit(pool, parallel=1)
    held = Held()
    first = asyncio.ensure_future(units.run(held))
    tasks = await _queued_behind(held, [units.run(_insert(x)) for x in (1, 2, 3)])
    # Queued, not written: nothing of theirs is visible yet, and no caller has been answered.
    assert await pool.fetchval("SELECT count(*) FROM t") == 0
    assert not any(task.done() for task in tasks)
    held.release.set()
    await first

    for task in asyncio.as_completed(tasks):
        x = await task
        # The moment a caller is answered, its row is committed: another connection sees it.
        assert await pool.fetchval("SELECT count(*) FROM t WHERE x = $1", x) == 1
    rows = await pool.fetch("SELECT x, tx FROM t ORDER BY x")
    assert [row["x"] for row in rows] == [1, 2, 3]
    assert len({row["tx"] for row in rows}) == 1  # one transaction, one COMMIT
    await units.close()


async def test_a_failing_unit_fails_alone_and_the_rest_of_its_batch_commits(pool: Any) -> None:
    """A database error (a duplicate key aborts the whole transaction) and an error raised by
    the unit itself after writing: each caller gets its own error, nothing of theirs is
    written, and the other units of the batch commit."""
    await pool.execute("INSERT INTO t VALUES (5, 0)")
    units = GroupCommit(pool, parallel=1)

    async def written_then_refused(conn: Any) -> None:
        await conn.execute("INSERT INTO t VALUES (7, txid_current())")
        raise LookupError("refused after writing")

    held = Held()
    first = asyncio.ensure_future(units.run(held))
    one, duplicate, refused, two = await _queued_behind(
        held,
        [
            units.run(_insert(1)),
            units.run(_insert(5)),
            units.run(written_then_refused),
            units.run(_insert(2)),
        ],
    )
    held.release.set()
    await first

    assert await one == 1
    assert await two == 2
    with pytest.raises(asyncpg.UniqueViolationError):
        await duplicate
    with pytest.raises(LookupError, match="refused after writing"):
        await refused
    assert [r["x"] for r in await pool.fetch("SELECT x FROM t ORDER BY x")] == [1, 2, 5]
    await units.close()


async def test_a_unit_whose_caller_gave_up_before_its_batch_never_runs(pool: Any) -> None:
    units = GroupCommit(pool, parallel=1)
    held = Held()
    first = asyncio.ensure_future(units.run(held))
    gone, kept = await _queued_behind(held, [units.run(_insert(1)), units.run(_insert(2))])
    gone.cancel()
    held.release.set()
    await first
    assert await kept == 2
    assert [r["x"] for r in await pool.fetch("SELECT x FROM t")] == [2]
    await units.close()


async def test_a_claim_gets_its_jobs_once_when_a_batch_mate_fails(
    postgres_dsn: str, make: Records
) -> None:
    """The store's units run again alone when a batch mate fails: a claim still receives each
    of its jobs once, with the id the committed row has."""
    connector = await PostgresConnector.open(postgres_dsn, max_size=4, parallel=1)
    store = PostgresStore(connector)
    try:
        acc = make.account()
        taken = make.message(acc.sid)
        await store.insert_message(taken)
        claim = JobClaim(due_by=make.at(0), leased_until=make.at(30_000_000))
        due = make.job(make.at(0), account_sid=acc.sid)

        held = Held()
        first = asyncio.ensure_future(connector.transaction(lambda tx: held(tx)))
        claimed, conflict = await _queued_behind(
            held,
            [  # the claim's unit runs first, in the batch the conflict then rolls back
                store.insert_message(make.message(acc.sid), (), [due], claim=claim),
                store.insert_message(make.message(acc.sid, sid=taken.sid)),  # a duplicate SID
            ],
        )
        held.release.set()
        await first

        with pytest.raises(StoreConflict):
            await conflict
        await claimed
        (job,) = claim.jobs
        (row,) = await store.claim_jobs(make.at(60_000_000), 10, 30)  # once its lease lapses
        assert (row.id, row.kind, row.payload) == (job.id, due.kind, due.payload)
    finally:
        await store.close()
