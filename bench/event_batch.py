"""Benchmark: what an Event Streams batch costs as waiting jobs pile up.

A batching sink's job carries the sink's other waiting events in its request: before each
request, ``claim_event_batch`` leases up to 100 of them. This script times that statement on a
SQLite file made by the server's own migrations, with N jobs waiting for other sinks and other
kinds (half incoming webhooks, half events of 50 other sinks) and 100 events of the sink being
batched, for each N given. ``--without-index`` drops migration 0012's ``jobs_event_sink`` first:
the plan before it. The statement runs inside a transaction that is rolled back, so every
timing sees the same rows.

    python bench/event_batch.py --rows 0,100000,1000000
    python bench/event_batch.py --rows 0,100000,1000000 --without-index

Prints, for each N: the plan and the median and p90 time of the statement.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from switchboard.storage.sqlite import Q, SqliteStore

T0 = 1_700_000_000_000_000  # µs
SINK = "DG" + "0" * 32
SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
INSERT INTO jobs (kind, due_at, payload)
SELECT CASE WHEN i % 2 = 0 THEN 'incoming' ELSE 'event' END, :t0 + i,
       CASE WHEN i % 2 = 0 THEN '{}'
            ELSE '{"sink_sid": "DG' || printf('%032d', 1 + i % 50) || '"}' END
FROM n;
"""
OURS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO jobs (kind, due_at, payload)
SELECT 'event', :t0 + i * 1000, '{"sink_sid": "' || :sink || '"}' FROM n;
"""


def measure(rows: int, without_index: bool, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "events.db")
        asyncio.run(_migrate(path))
        db = sqlite3.connect(path, isolation_level=None)
        if without_index:
            db.execute("DROP INDEX IF EXISTS jobs_event_sink")
        db.execute(SEED, {"rows": rows, "t0": T0})
        db.execute(OURS, {"t0": T0, "sink": SINK})
        now = T0 + rows + 10**9
        params = {"id": 0, "until": now, "now": now, "sink_sid": SINK,
                  "leased_until": now + 10**7, "limit": 100}  # fmt: skip
        plan = "; ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {Q['claim_event_batch']}",
                                                  params))  # fmt: skip
        times = []
        for _ in range(repeat):
            db.execute("BEGIN")
            started = time.perf_counter()
            claimed = len(db.execute(Q["claim_event_batch"], params).fetchall())
            times.append((time.perf_counter() - started) * 1000)
            db.execute("ROLLBACK")
        db.close()
    times.sort()
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"N={rows:>9,}: {claimed} claimed, median {statistics.median(times):8.2f} ms,"
          f" p90 {p90:8.2f} ms  plan: {plan}")  # fmt: skip


async def _migrate(path: str) -> None:
    await (await SqliteStore.open(path)).close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="0,100000,1000000", help="waiting jobs, comma-separated")
    parser.add_argument("--without-index", action="store_true", help="drop jobs_event_sink")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"claim_event_batch, {'without' if args.without_index else 'with'} jobs_event_sink")
    for rows in (int(n) for n in args.rows.split(",")):
        measure(rows, args.without_index, args.repeat)


if __name__ == "__main__":
    main()
