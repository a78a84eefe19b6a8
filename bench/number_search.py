"""Benchmark: the finder's search by number, over messages and over webhook attempts, as the
store grows.

The dashboard's finder and the assertion API search by ``number`` (either address). This
script fills a SQLite file made by the server's migrations with N messages and N attempts
(70% in the main account; a busy number of ours on one side of a fifth of them, 20,000
handsets on the other side), then times the store's own ``search_messages`` and
``search_attempts`` (first page of 50) for a handset that has a few messages, for one of our
busy numbers, and with no number, for each N given.

    python bench/number_search.py --rows 0,100000,1000000

Prints, for each N and search: the median and p90 time of 20 calls, and the rows found.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from switchboard.ports import AttemptQuery, MessageQuery, PageRequest
from switchboard.storage.sqlite import SqliteStore

MAIN = "AC" + "0" * 31 + "1"
OTHER = "AC" + "0" * 31 + "2"
T0 = 1_700_000_000_000_000  # µs
BUSY = "+15550000001"  # ours: on one side of every 5th message
HANDSETS = 20_000
SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, status,
    num_segments, num_media, price_unit, status_callback_method, extra, date_created,
    date_updated)
SELECT printf('SM%032x', i), CASE WHEN i % 10 < 7 THEN :main ELSE :other END,
    CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound-api' END,
    CASE WHEN i % 2 = 0 THEN '+1415' || printf('%07d', i % :handsets)
         ELSE (CASE WHEN i % 5 = 0 THEN :busy ELSE '+1555' || printf('%07d', 2 + i % 8) END) END,
    CASE WHEN i % 2 = 0 THEN (CASE WHEN i % 5 = 0 THEN :busy
                                   ELSE '+1555' || printf('%07d', 2 + i % 8) END)
         ELSE '+1415' || printf('%07d', i % :handsets) END,
    'hello', 'delivered', 1, 0, 'USD', 'POST', '{}', :t0 + i * 1000000, :t0 + i * 1000000
FROM n;
INSERT INTO webhook_attempts (sid, account_sid, message_sid, kind, attempt, url, method,
    request_headers, request_body, response_status, response_headers, response_body,
    duration_ms, error_detail, idempotency_token, signed_url, date_created)
SELECT 'WA' || substr(sid, 3), account_sid, sid, 'incoming', 1, 'https://app/sms', 'POST', '{}',
    'b', 200, '{}', '', 12.5, '', 't', 'https://app/sms', date_created FROM messages;
"""

Search = Callable[[], Awaitable[int]]


async def seed_sqlite(path: str, seed: str, params: dict[str, Any]) -> None:
    """A SQLite file at ``path`` made by the server's migrations, then filled by the statements
    of ``seed`` (each ending in ";" and a new line) in one transaction."""
    await (await SqliteStore.open(path)).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for statement in seed.split(";\n"):
        if statement.strip():
            db.execute(statement, params)
    db.execute("COMMIT")
    db.close()


async def measure(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "numbers.db")
        await seed_sqlite(path, SEED, {"rows": rows, "main": MAIN, "other": OTHER, "t0": T0,
                                       "busy": BUSY, "handsets": HANDSETS})  # fmt: skip
        store = await SqliteStore.open(path)
        try:
            handset = "+1415" + f"{4321:07d}"
            scope = [MAIN, OTHER]

            def messages(number: str | None) -> Search:
                async def run() -> int:
                    query = MessageQuery(account_sids=scope, number=number)
                    return len((await store.search_messages(query, PageRequest(50))).items)

                return run

            def attempts(number: str | None) -> Search:
                async def run() -> int:
                    query = AttemptQuery(account_sids=scope, number=number)
                    return len((await store.search_attempts(query, PageRequest(50))).items)

                return run

            cases: list[tuple[str, Search]] = [
                ("messages, no number", messages(None)),
                ("messages, a handset", messages(handset)),
                ("messages, our busy number", messages(BUSY)),
                ("attempts, no number", attempts(None)),
                ("attempts, a handset", attempts(handset)),
                ("attempts, our busy number", attempts(BUSY)),
            ]
            for name, search in cases:
                await time_search(rows, name, search, repeat)
        finally:
            await store.close()


async def time_search(rows: int, name: str, search: Search, repeat: int, width: int = 27) -> None:
    """Call ``search`` ``repeat`` times; print the median and p90 time and the rows found."""
    times: list[float] = []
    found = 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = await search()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p90 = times[math.ceil(len(times) * 0.9) - 1]  # nearest rank
    print(f"N={rows:>9,}  {name:<{width}} median {statistics.median(times):8.2f} ms"
          f"  p90 {p90:8.2f} ms  ({found} found)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="0,100000,1000000", help="messages (and attempts)")
    parser.add_argument("--repeat", type=int, default=20)
    args: Any = parser.parse_args()
    for rows in (int(n) for n in args.rows.split(",")):
        asyncio.run(measure(rows, args.repeat))


if __name__ == "__main__":
    main()
