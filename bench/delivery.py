"""Benchmark: webhook delivery alone, by ``switchboard worker``, and its CPU a webhook.

``serve --no-deliver`` stores ``--count`` inbound messages (each with its incoming-webhook
job) and stops; then one ``switchboard worker`` delivers them to the minimal receiver
(bench/receiver.py). The worker does nothing else, so the figures are the delivery path's
alone: claim, prepare and sign, the HTTP exchange, the attempt recorded and the job finished.

    python bench/delivery.py --count 20000
    python bench/delivery.py --count 20000 --src ../old/src    # the worker of another tree

It prints the webhooks per second and the worker's CPU time a webhook (user + system, read
from ``/proc/<pid>/stat``, so Linux only), both measured from the first delivery to the last:
the worker's start-up is not counted. On a shared machine the rate swings with the machine;
the CPU a webhook swings less, and is the figure to compare (alternate the trees, several
rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ is the script's folder
from inbound import HERE, add_number, cpu_seconds, inject, start, wait_http

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

POLL_SECONDS = 0.02


def jobs_left(database: Path) -> int | None:
    """Jobs still in the outbox (None: the file is busy or not migrated yet)."""
    try:
        with sqlite3.connect(database, timeout=0.1) as db:
            row = db.execute("SELECT count(*) FROM jobs").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0])


def store_messages(base: str, database: Path, receiver_url: str, count: int) -> None:
    add_number(base, receiver_url)
    asyncio.run(inject(base, count, None, 64))
    left = jobs_left(database)
    assert left == count, f"{left} jobs stored for {count} messages"


def measure(worker: subprocess.Popen[bytes], database: Path, count: int) -> tuple[float, float]:
    """Seconds and worker CPU seconds from the first delivery seen to the last."""
    while (left := jobs_left(database)) is None or left == count:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.returncode}) before delivering")
        time.sleep(POLL_SECONDS)
    started, cpu_started, first_left = time.monotonic(), cpu_seconds([worker.pid]), left
    while (left := jobs_left(database)) is None or left > 0:
        time.sleep(POLL_SECONDS)
    elapsed, cpu = time.monotonic() - started, cpu_seconds([worker.pid]) - cpu_started
    return elapsed / first_left * count, cpu / first_left * count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--src", help="run serve and the worker from this source tree's src")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-delivery-"))
    database = workdir / "bench.db"
    server_port, receiver_port = free_port(), free_port()
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    receiver = start(
        [sys.executable, str(HERE / "receiver.py"), str(receiver_port), str(workdir / "got.txt")]
    )
    server = start([sys.executable, "-m", "switchboard", "serve", "--port", str(server_port),
                    "--database", str(database), "--no-deliver", "--quiet"], env)  # fmt: skip
    worker: subprocess.Popen[bytes] | None = None
    try:
        base = f"http://127.0.0.1:{server_port}"
        receiver_url = f"http://127.0.0.1:{receiver_port}/sms"
        wait_http(f"{base}/healthz")
        wait_http(receiver_url)
        store_messages(base, database, receiver_url, args.count)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        worker = start([sys.executable, "-m", "switchboard", "worker", "--database",
                        str(database)], env)  # fmt: skip
        elapsed, cpu = measure(worker, database, args.count)
        print(f"machine: {os.cpu_count()} cores; count={args.count}; one switchboard worker")
        print(f"delivery: {args.count / elapsed:,.0f} webhooks/s; worker CPU "
              f"{cpu / args.count * 1e6:,.0f} us a webhook")  # fmt: skip
    finally:
        for process in (worker, server, receiver):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
