"""Benchmark: the CPU of one asyncpg call, on the client and on the server, by the way it is made.

What a statement costs a node beyond its round trip depends on how it is sent. This measures,
one call at a time on the local server: an INSERT of one row in a transaction through
``execute`` and through ``executemany``; a one-row read through asyncpg's pool
(``Pool.fetchrow``: acquire and release around it), through switchboard's
``Connections`` in front of that pool (what the PostgreSQL connector borrows from), and on a
connection held throughout; and the pool's acquire and release alone. Each variant runs
``--calls`` times a round, the variants alternating, for ``--rounds`` rounds; it prints the
client's CPU per call (``time.process_time``), the server's (the backends' ``/proc`` times,
so PostgreSQL must run on this machine) and the wall time, every round.

    python bench/pg_calls.py                                   # 10,000 calls, 3 rounds
    PYTHONPATH=src python bench/pg_calls.py --calls 5000 --rounds 5   # this tree's Connections

The tables live in a fresh database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from inbound import cpu_seconds

from scaleout import DEFAULT_POSTGRES, create_database, drop_database, dsn_for
from switchboard.storage.postgres_connections import Connections

INSERT = (
    "INSERT INTO probe (sid, account_sid, kind, attempt, url, body, at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
ROW = ("WA" + "0" * 32, "AC" + "1" * 32, "incoming", 1, "http://127.0.0.1/sms", "x" * 300, 1)
READ = "SELECT * FROM probe_read WHERE k = $1"
TABLES = """
CREATE TABLE probe (seq bigserial PRIMARY KEY, sid text, account_sid text, kind text,
    attempt int, url text, body text, at bigint);
CREATE TABLE probe_read (k text PRIMARY KEY, v text);
INSERT INTO probe_read SELECT 'k' || i, repeat('v', 200) FROM generate_series(1, 100) AS i;
"""
NAME = "switchboard_pg_calls"  # application_name: the server's CPU is that of these backends


async def _no_reset(conn: Any) -> None:
    """As the connector's pool: nothing to reset on release."""


async def measure(dsn: str, calls: int, rounds: int) -> None:
    settings = {"application_name": NAME}
    pool = await asyncpg.create_pool(
        dsn, min_size=2, max_size=2, reset=_no_reset, server_settings=settings
    )
    held = await asyncpg.connect(dsn, server_settings=settings)
    await held.execute(TABLES)
    connections = Connections(pool, keep=1)

    async def in_transaction(run: Callable[[], Awaitable[Any]]) -> None:
        for _ in range(0, calls, 50):
            async with held.transaction():
                for _ in range(50):
                    await run()

    async def execute() -> None:
        await in_transaction(lambda: held.execute(INSERT, *ROW))

    async def executemany() -> None:
        await in_transaction(lambda: held.executemany(INSERT, [ROW]))

    async def pool_fetchrow() -> None:
        for _ in range(calls):
            await pool.fetchrow(READ, "k7")

    async def connections_fetchrow() -> None:
        for _ in range(calls):
            async with connections.acquire() as conn:
                await conn.fetchrow(READ, "k7")

    async def held_fetchrow() -> None:
        for _ in range(calls):
            await held.fetchrow(READ, "k7")

    async def acquire_release() -> None:
        for _ in range(calls):
            async with pool.acquire():
                pass

    variants = {
        "INSERT in a transaction: execute": execute,
        "INSERT in a transaction: executemany, 1 row": executemany,
        "read: Pool.fetchrow": pool_fetchrow,
        "read: Connections + fetchrow": connections_fetchrow,
        "read: fetchrow on a held connection": held_fetchrow,
        "Pool acquire + release alone": acquire_release,
    }
    backends = [
        row["pid"]
        for row in await held.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", NAME
        )
    ]
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    try:
        for run in variants.values():  # warm up: statements prepared, connections open
            await run()
        for _ in range(rounds):
            for name, run in variants.items():
                server = cpu_seconds(backends)
                client, wall = time.process_time(), time.perf_counter()
                await run()
                client, wall = time.process_time() - client, time.perf_counter() - wall
                server = cpu_seconds(backends) - server
                figures[name].append(
                    (client / calls * 1e6, server / calls * 1e6, wall / calls * 1e6)
                )
    finally:
        await connections.close()
        await pool.close()
        await held.close()
    print(f"us per call, {calls:,} calls a round, {rounds} rounds (client | server | wall):")
    for name, rows in figures.items():
        print(f"  {name:45s}" + "  ".join(f"{c:5.1f} |{s:5.1f} |{w:6.1f}" for c, s, w in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin DSN")
    args = parser.parse_args()
    name = asyncio.run(create_database(args.postgres))
    try:
        asyncio.run(measure(dsn_for(args.postgres, name), args.calls, args.rounds))
    finally:
        asyncio.run(drop_database(args.postgres, name))


if __name__ == "__main__":
    main()
