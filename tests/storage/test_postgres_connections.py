"""PostgreSQL's connections: a connection given back is lent again without the pool, and what
the pool guarantees still holds (one borrower at a time, nothing kept that is not idle, no
borrower left waiting beside a kept connection, every connection back before the pool closes).

PostgreSQL only, on a fresh database per test. A borrower's connection is a pool proxy: the
same object means it came from the kept ones, a new one that the pool lent it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from switchboard.storage.postgres_connections import Connections

pytestmark = pytest.mark.postgres


@contextlib.asynccontextmanager
async def _pool(dsn: str, size: int) -> AsyncIterator[Any]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), 10)  # it waits for every connection lent


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[Any]:
    async with _pool(postgres_dsn, 3) as pool:
        yield pool


async def test_a_connection_given_back_is_lent_again_without_the_pool(pool: Any) -> None:
    connections = Connections(pool, keep=1)
    async with connections.acquire() as first:
        assert await first.fetchval("SELECT 1") == 1
    async with connections.acquire() as again:
        assert again is first
    await connections.close()


async def test_at_most_keep_connections_are_kept_and_close_gives_them_back(pool: Any) -> None:
    connections = Connections(pool, keep=1)
    async with connections.acquire() as one, connections.acquire() as two:
        assert one is not two
    # two was given back first and kept; one went back to the pool
    async with connections.acquire() as three, connections.acquire() as four:
        assert three is two
        assert four is not one
        assert four is not two
    await connections.close()  # else the fixture's pool.close() times out


async def test_a_connection_left_in_a_transaction_goes_back_to_the_pool(pool: Any) -> None:
    connections = Connections(pool, keep=1)
    async with connections.acquire() as conn:
        await conn.execute("BEGIN")
    async with connections.acquire() as after:
        assert after is not conn
        assert not after.is_in_transaction()
    await connections.close()


async def test_a_failed_borrower_gives_its_connection_back_to_the_pool(pool: Any) -> None:
    connections = Connections(pool, keep=1)
    with pytest.raises(asyncpg.UndefinedTableError):
        async with connections.acquire() as conn:
            await conn.execute("SELECT * FROM missing")
    async with connections.acquire() as after:
        assert after is not conn
    await connections.close()


async def test_a_kept_connection_that_closed_is_not_lent(pool: Any) -> None:
    connections = Connections(pool, keep=1)
    async with connections.acquire() as conn:
        pass
    conn.terminate()
    async with connections.acquire() as after:
        assert after is not conn
        assert await after.fetchval("SELECT 1") == 1
    await connections.close()


@pytest.fixture
async def one(postgres_dsn: str) -> AsyncIterator[Any]:
    """A pool of one connection: a second borrower waits for the first."""
    async with _pool(postgres_dsn, 1) as pool:
        yield pool


async def _waiting_borrower(connections: Connections) -> tuple[asyncio.Task[Any], Any]:
    """A borrower started while the only connection is lent: it waits (it is queued by the
    time this returns, having run to its wait in the step that set ``waiting``)."""
    waiting = asyncio.Event()
    lent: list[Any] = []

    async def borrower() -> int:
        waiting.set()
        async with connections.acquire() as conn:
            lent.append(conn)
            value: int = await conn.fetchval("SELECT 2")
            return value

    task = asyncio.ensure_future(borrower())
    await waiting.wait()
    return task, lent


async def test_a_connection_given_back_while_a_borrower_waits_is_handed_to_it(one: Any) -> None:
    connections = Connections(one, keep=1)
    async with connections.acquire() as conn:
        second, lent = await _waiting_borrower(connections)
    assert await asyncio.wait_for(second, 10) == 2
    assert lent == [conn]  # handed over, not through the pool
    await connections.close()


async def test_a_waiting_borrower_takes_a_new_connection_when_the_last_one_fails(
    one: Any,
) -> None:
    connections = Connections(one, keep=1)
    first: list[Any] = []

    async def fail() -> None:
        async with connections.acquire() as conn:
            first.extend([conn, *await _waiting_borrower(connections)])
            await conn.execute("SELECT * FROM missing")

    with pytest.raises(asyncpg.UndefinedTableError):
        await fail()
    conn, second, lent = first
    assert await asyncio.wait_for(second, 10) == 2
    assert lent[0] is not conn  # the failed one went back to the pool, a new one came out
    await connections.close()


async def test_a_connection_handed_to_a_borrower_cancelled_meanwhile_is_not_lost(
    one: Any,
) -> None:
    connections = Connections(one, keep=1)
    async with connections.acquire() as conn:
        second, lent = await _waiting_borrower(connections)
    second.cancel()  # handed over already, but the borrower has not run since
    with pytest.raises(asyncio.CancelledError):
        await second
    assert lent == []
    async with asyncio.timeout(10), connections.acquire() as again:  # lost, it would wait
        assert again is conn
    await connections.close()  # else the fixture's pool.close() times out


async def test_each_connection_serves_one_borrower_at_a_time(pool: Any) -> None:
    connections = Connections(pool, keep=2)
    busy: set[int] = set()

    async def borrow(n: int) -> int:
        async with connections.acquire() as conn:
            assert id(conn) not in busy
            busy.add(id(conn))
            try:
                value: int = await conn.fetchval("SELECT $1::int", n)
            finally:
                busy.discard(id(conn))
            return value

    assert await asyncio.gather(*(borrow(n) for n in range(40))) == list(range(40))
    await connections.close()
