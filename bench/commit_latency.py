"""Benchmark: how long a durable write waits in SQLite's group commit, and what the WAL's
checkpoint adds: inside the COMMIT that passes N pages (SQLite's way, N = 1,000 by default), or
on a thread of its own (a design measured and not adopted, docs/performance.md).

The server's own executor (``storage/sqlite_executor.py``) on a file of this disk: writers
insert rows shaped like a message (a random unique SID, an account and sequence index, two
address indexes) at a fixed rate, each call answered once its batch is durable, while a reader
does indexed point reads on the event loop as the API does, and a probe measures how late the
event loop runs a 1 ms sleep. Printed per mode: the write calls' latency (p50/p99/p99.9/max),
the reads' longest, the loop's longest lag, the largest WAL seen, and the rate kept.

    python bench/commit_latency.py                      # 1,000 pages and the thread, 2 rounds
    python bench/commit_latency.py --modes 1000,250,thread --rate 3000 --rounds 3 --busy 1

The thread mode: a connection of its own runs ``PRAGMA wal_checkpoint(PASSIVE)`` every 50 ms
(busy timeout 0, so it never waits on a lock), and the writer's own checkpoint stays as a
backstop at 10,000 pages, since a passive checkpoint under writes that never pause never copies
the whole log, and SQLite starts the log over only after one has.

``--busy N`` runs N busy-looping processes beside it (a machine whose other cores are taken,
as the injector and the receiver take them in bench/inbound.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import secrets
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from switchboard.storage.sqlite_executor import GroupCommitExecutor

SCHEMA = """
CREATE TABLE m (
    seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account TEXT NOT NULL,
    to_n TEXT NOT NULL, from_n TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX m_account ON m (account, seq);
CREATE INDEX m_to ON m (account, to_n, seq);
CREATE INDEX m_from ON m (account, from_n, seq);
"""
BODY = "x" * 160
PASS_SECONDS = 0.05  # the thread mode's passes
BACKSTOP_PAGES = 10_000  # the thread mode's writer checkpoint


class CheckpointThread:
    """The thread mode (module docstring)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=0)
        conn.execute("PRAGMA busy_timeout = 0")
        while not self._stopping.wait(PASS_SECONDS):
            # Another checkpoint holding the lock makes a pass fail: the next one copies it.
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        conn.close()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join()


def _busy() -> None:
    while True:
        pass


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def _measure(
    path: str, background: bool, pages: int, rate: int, seconds: float
) -> dict[str, float]:
    executor = GroupCommitExecutor(path)
    writer_pages = BACKSTOP_PAGES if background else pages
    await executor.run(lambda c: c.execute(f"PRAGMA wal_autocheckpoint = {writer_pages}") and None)

    def create(conn: sqlite3.Connection) -> None:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)

    await executor.run(create)
    waits: list[float] = []
    reads: list[float] = []
    lags: list[float] = []
    wal_max = 0
    stop = time.perf_counter() + seconds

    def insert(conn: sqlite3.Connection) -> int | None:
        number = f"+1555{secrets.randbelow(10_000_000):07d}"
        return conn.execute(
            "INSERT INTO m (sid, account, to_n, from_n, body, created) VALUES (?, ?, ?, ?, ?, ?)",
            ("SM" + secrets.token_hex(16), "AC1", number, "+15550001111", BODY, time.time_ns()),
        ).lastrowid

    async def write() -> None:
        started = time.perf_counter()
        await executor.run(insert)
        waits.append((time.perf_counter() - started) * 1000)

    async def writers() -> None:
        tasks: set[asyncio.Task[None]] = set()
        interval = 1 / rate
        due = time.perf_counter()
        while due < stop:
            task = asyncio.create_task(write())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await asyncio.gather(*tasks)

    async def reader() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            await executor.read(
                lambda c: c.execute(
                    "SELECT * FROM m WHERE account = 'AC1' ORDER BY seq DESC LIMIT 50"
                ).fetchall()
            )
            reads.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.002)

    async def probe() -> None:
        nonlocal wal_max
        wal = path + "-wal"
        while time.perf_counter() < stop:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - started) * 1000 - 1)
            # A stat is microseconds; the probe's own lag would show if it were not.
            with contextlib.suppress(FileNotFoundError):
                wal_max = max(wal_max, os.stat(wal).st_size)

    checkpointer = CheckpointThread(path) if background else None
    began = time.perf_counter()
    await asyncio.gather(writers(), reader(), probe())
    elapsed = time.perf_counter() - began
    if checkpointer is not None:
        checkpointer.close()
    await executor.close()
    return {
        "rate": len(waits) / elapsed,
        "p50": statistics.median(waits),
        "p99": _percentile(waits, 0.99),
        "p999": _percentile(waits, 0.999),
        "max": max(waits),
        "read_max": max(reads),
        "lag_max": max(lags),
        "wal_mb": wal_max / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=3000, help="writes per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0, help="busy-looping processes beside it")
    parser.add_argument(
        "--modes",
        default="1000,thread",
        help="comma-separated: N (SQLite's checkpoint inside the COMMIT past N pages) or thread",
    )
    parser.add_argument("--dir", help="where the database files go (default: a temp dir)")
    args = parser.parse_args()
    hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
    for hog in hogs:
        hog.start()
    print(f"machine: {os.cpu_count()} cores; {args.rate} writes/s for {args.seconds:g} s, "
          f"{args.busy} busy processes beside")  # fmt: skip
    print("mode                     kept/s   p50 ms   p99 ms  p99.9 ms   max ms  "
          "read max  loop lag max  WAL max MB")  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(dir=args.dir) as folder:
            for round_ in range(args.rounds):
                for mode in args.modes.split(","):
                    background = mode == "thread"
                    pages = 0 if background else int(mode)
                    path = str(Path(folder) / f"r{round_}-{mode}.db")
                    r = asyncio.run(_measure(path, background, pages, args.rate, args.seconds))
                    mode = "checkpoint thread" if background else f"in COMMIT at {pages} pages"
                    print(f"{mode:22} {r['rate']:8,.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
                          f"{r['p999']:9.2f} {r['max']:8.2f} {r['read_max']:9.2f} "
                          f"{r['lag_max']:13.2f} {r['wal_mb']:11.1f}")  # fmt: skip
    finally:
        for hog in hogs:
            hog.terminate()


if __name__ == "__main__":
    main()
