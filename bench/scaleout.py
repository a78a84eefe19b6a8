"""Benchmark: inbound messages -> signed webhooks on PostgreSQL, with one node or several.

It creates a fresh database on a PostgreSQL server, migrates it once (``switchboard db
migrate``), starts ``--nodes`` ``switchboard serve`` processes on it (one port each) and the
minimal receiver (bench/receiver.py), then injects N inbound messages through
``POST /_sim/inbound``, split evenly across the nodes as a round-robin load balancer would. It
reports webhooks per second and the latency from injection to receipt (p50/p99), and drops the
database afterwards. The measurement is bench/inbound.py's (whose SQLite figures it complements),
with the CPU time a message of the nodes, their PostgreSQL backends, the injector and the
receiver, which all share the machine's cores.

    python bench/scaleout.py --nodes 1 --count 5000              # one node, as fast as it goes
    python bench/scaleout.py --nodes 2 --count 5000              # two nodes, one database
    python bench/scaleout.py --nodes 2 --count 5000 --rate 300   # paced: latency at 300 msg/s
    python bench/scaleout.py --nodes 1 --src ../old/src          # the nodes from another tree

PostgreSQL is found at ``--postgres`` (default: ``SWITCHBOARD_TEST_POSTGRES`` or
``postgresql://postgres@127.0.0.1:5432/postgres``); the user must be allowed to create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import asyncpg
from inbound import add_number, collect, cpu_seconds, cpu_used, inject, percentile, wait_http

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

HERE = Path(__file__).parent
DEFAULT_POSTGRES = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def dsn_for(admin_dsn: str, name: str) -> str:
    return urlsplit(admin_dsn)._replace(path=f"/{name}").geturl()


async def create_database(admin_dsn: str) -> str:
    name = f"switchboard_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_database(admin_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def backend_pids(dsn: str) -> list[int]:
    """The PostgreSQL server processes serving the nodes (their pool connections)."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'switchboard'"
            " AND datname = current_database()"
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


async def database_figures(dsn: str) -> dict[str, int]:
    """What the database holds after the run: the outbox should be empty."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return {
            "jobs left": await conn.fetchval("SELECT count(*) FROM jobs"),
            "webhook attempts": await conn.fetchval("SELECT count(*) FROM webhook_attempts"),
            "attempts with an error code": await conn.fetchval(
                "SELECT count(*) FROM webhook_attempts WHERE error_code IS NOT NULL"
            ),
            "transactions committed": await conn.fetchval(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            ),
            "switchboard connections": await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'switchboard'"
                " AND datname = current_database()"
            ),
        }
    finally:
        await conn.close()


async def inject_split(
    bases: list[str], count: int, rate: float | None, concurrency: int
) -> dict[str, float]:
    """``count`` messages, an equal share to each node, injected concurrently."""
    shares = [count // len(bases) + (i < count % len(bases)) for i in range(len(bases))]
    per_node_rate = rate / len(bases) if rate else None
    per_node_concurrency = max(1, concurrency // len(bases))
    results = await asyncio.gather(
        *(
            inject(base, share, per_node_rate, per_node_concurrency)
            for base, share in zip(bases, shares, strict=True)
        )
    )
    sent: dict[str, float] = {}
    for result in results:
        sent.update(result)
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2, help="serve processes on one database")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=None, help="messages/s in total (max)")
    parser.add_argument("--concurrency", type=int, default=64, help="in total, split by node")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin DSN")
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--src", help="run the nodes from this source tree (default: installed)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    name = asyncio.run(create_database(args.postgres))
    dsn = dsn_for(args.postgres, name)
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    if args.src:  # as bench/inbound.py --src: the nodes (and the migration) from that tree
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def start(command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (workdir / log_name).open("wb")
        logs.append(log)
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        processes.append(process)
        return process

    try:
        switchboard = [sys.executable, "-m", "switchboard"]
        subprocess.run([*switchboard, "db", "migrate", "--database", dsn], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        receiver_port = free_port()
        received_file = workdir / "received.txt"
        receiver = start(
            [sys.executable, str(HERE / "receiver.py"), str(receiver_port), str(received_file)],
            "receiver.log",
        )
        bases = []
        for index in range(args.nodes):
            # One after another: nodes starting at the same instant on a fresh database race
            # to create the main account, and the loser exits (see docs/deployment.md).
            port = free_port()
            start([*switchboard, "serve", "--port", str(port), "--database", dsn,
                   "--lease-seconds", str(args.lease_seconds)], f"node{index}.log")  # fmt: skip
            bases.append(f"http://127.0.0.1:{port}")
            wait_http(f"{bases[-1]}/healthz", timeout=30)
        receiver_url = f"http://127.0.0.1:{receiver_port}/sms"
        wait_http(receiver_url)
        add_number(bases[0], receiver_url)
        nodes = [process.pid for process in processes[1:]]  # the first is the receiver
        roles = {"nodes": nodes, "receiver": [receiver.pid]}
        cpu_before = {role: cpu_seconds(pids) for role, pids in roles.items()}
        injector_before = time.process_time()
        started = time.time()
        sent = asyncio.run(inject_split(bases, args.count, args.rate, args.concurrency))
        injected = time.time()
        received = collect(receiver, received_file, sent, timeout=180)
        time.sleep(1)  # the last jobs' outcomes commit just after their webhooks arrive
        cpu = cpu_used(roles, cpu_before, injector_before)
        # The pools open connections as the load grows: their whole lives are this run's.
        backends = asyncio.run(backend_pids(dsn))
        cpu_backends = cpu_seconds(backends)
        figures = asyncio.run(database_figures(dsn))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        asyncio.run(drop_database(args.postgres, name))

    latencies = [(received[sid] - at) * 1000 for sid, at in sent.items() if sid in received]
    finished = max(received[sid] for sid in sent if sid in received)
    duration = finished - started
    print(f"machine: {os.cpu_count()} cores; PostgreSQL, nodes={args.nodes} count={args.count} "
          f"rate={args.rate or 'max'} concurrency={args.concurrency}")  # fmt: skip
    rate = len(latencies) / duration
    print(f"switchboard: {len(latencies)}/{args.count} webhooks delivered in {duration:.2f} s "
          f"-> {rate:,.0f} webhooks/s (injection took {injected - started:.2f} s, "
          f"{len(sent) / (injected - started):,.0f} msg/s accepted)")  # fmt: skip
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"  injection -> receipt latency ms: p50 {p50:.1f}  p99 {p99:.1f}  "
          f"max {max(latencies):.1f}")  # fmt: skip
    ms = {role: used / args.count * 1e3 for role, used in cpu.items()}
    print(f"  CPU per message: node{'s' if args.nodes > 1 else ''} {ms['nodes']:.2f} ms, "
          f"PostgreSQL backends {cpu_backends / args.count * 1e3:.2f} ms "
          f"({len(backends)} connections), injector {ms['injector']:.2f} ms, "
          f"receiver {ms['receiver']:.2f} ms")  # fmt: skip
    print("  database after the run: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(f"  logs: {workdir}")


if __name__ == "__main__":
    main()
