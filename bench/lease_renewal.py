"""Benchmark: how late do lease renewals run under load, and how many deliveries repeat?

It runs the crash-safety load of tests/scaleout/test_crash_safety.py: two ``switchboard serve``
nodes on a fresh PostgreSQL database, the scale-out receiver (tests/scaleout/receiver.py: every
webhook answers with a reply whose status callbacks it also receives), ``--count`` inbound
messages injected over both nodes. ``--burn N`` keeps N extra processes spinning on a core (a
busy laptop or CI runner); ``--kill`` SIGKILLs node A at 40% of the load and restarts it at
70%, as the test does.

Each node logs every lease renewal at DEBUG (``switchboard.outbox``: when it woke against when
it was due, and how long the store took). A renewal is due every lease / 3, so the leases of
running jobs lapse when one comes later than two thirds of a lease: the figures say how close
the nodes came. Repeats are counted at the receiver: a (path, MessageSid, MessageStatus)
delivered n times counts n - 1. Without ``--kill`` every repeat is a live node that lost a lease.

    python bench/lease_renewal.py --burn 2                 # load only: live nodes' repeats
    python bench/lease_renewal.py --burn 2 --kill          # the crash-safety scenario
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import aiohttp
import asyncpg
import httpx
from inbound import NUMBER, percentile, wait_http

from scaleout import DEFAULT_POSTGRES, create_database, drop_database, dsn_for
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

HERE = Path(__file__).parent
RECEIVER = HERE.parent / "tests" / "scaleout" / "receiver.py"
# A node whose outbox logger speaks DEBUG, timestamped, to its log file.
NODE = (
    "import logging, sys;"
    "logging.basicConfig(level=logging.WARNING, format='%(created).3f %(name)s %(message)s');"
    "logging.getLogger('switchboard.outbox').setLevel(logging.DEBUG);"
    "sys.argv = ['switchboard', *sys.argv[1:]];"
    "from switchboard.cli.main import main; main()"
)
RENEWAL = re.compile(r"lease renewal: (\d+) jobs, woke ([\d.-]+) s late, store took ([\d.]+) s")


class Node:
    def __init__(self, name: str, dsn: str, lease: float, workdir: Path, env: dict[str, str]):
        self.name, self.dsn, self.lease, self.env = name, dsn, lease, env
        self.port = free_port()
        self.log_path = workdir / f"node-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-c", NODE, "serve", "--port", str(self.port),
                   "--database", self.dsn, "--lease-seconds", str(self.lease)]  # fmt: skip
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(command, env=self.env, stdout=sink, stderr=sink)
        wait_http(f"{self.url}/healthz", timeout=60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def renewals(self) -> list[tuple[int, float, float]]:
        """(jobs, woke late s, store s) of every renewal the node logged."""
        found = RENEWAL.findall(self.log_path.read_text(errors="replace"))
        return [(int(n), float(late), float(took)) for n, late, took in found]


async def inject(nodes: list[Node], count: int, concurrency: int, kill: bool) -> int:
    """Send ``count`` inbound messages over the nodes (round robin over the live ones)."""
    victim, survivor = nodes
    victim_up = True
    accepted = 0
    indices = iter(range(count))
    steps: list[asyncio.Task[None]] = []

    async def down() -> None:
        nonlocal victim_up
        victim_up = False
        await asyncio.to_thread(victim.kill)

    async def up() -> None:
        nonlocal victim_up
        await asyncio.to_thread(victim.start)
        victim_up = True

    headers = {"Authorization": aiohttp.encode_basic_auth(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:

        async def worker() -> None:
            nonlocal accepted
            for index in indices:
                node = victim if victim_up and index % 2 == 0 else survivor
                form = {"From": "+14155550123", "To": NUMBER, "Body": f"load {index}"}
                try:
                    async with http.post(f"{node.url}/_sim/inbound", data=form) as response:
                        accepted += response.status == 201
                except (aiohttp.ClientError, TimeoutError):
                    pass  # in flight to the killed node
                if kill and accepted >= 0.4 * count and not steps:
                    steps.append(asyncio.create_task(down()))
                elif kill and accepted >= 0.7 * count and len(steps) == 1 and steps[0].done():
                    steps.append(asyncio.create_task(up()))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await asyncio.gather(*steps)
    return accepted


async def settle(dsn: str, receiver_url: str, seconds: float) -> list[dict[str, Any]]:
    """Wait (up to ``seconds``) for the outbox to drain; the receiver's records."""
    db = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not await db.fetchval("SELECT count(*) FROM jobs"):
                break
            await asyncio.sleep(1)
    finally:
        await db.close()
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.get(f"{receiver_url}/records")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records


def report(nodes: list[Node], lease: float, records: list[dict[str, Any]]) -> None:
    budget = 2 * lease / 3  # a renewal later than this lets the leases lapse
    print(f"lease {lease:g} s: renewals due every {lease / 3:.2f} s; leases lapse when one"
          f" comes more than {budget:.2f} s late")  # fmt: skip
    for node in nodes:
        renewals = node.renewals()
        if not renewals:
            print(f"node {node.name}: no renewal logged")
            continue
        late = [max(0.0, woke) + took for _, woke, took in renewals]
        woke = [max(0.0, w) for _, w, _ in renewals]
        took = [t for _, _, t in renewals]
        print(
            f"node {node.name}: {len(renewals)} renewals; committed late by"
            f" p50 {percentile(late, 0.5):.2f} s, p90 {percentile(late, 0.9):.2f} s,"
            f" p99 {percentile(late, 0.99):.2f} s, max {max(late):.2f} s"
            f" (woke late max {max(woke):.2f} s, store max {max(took):.2f} s);"
            f" {sum(x > budget for x in late)} later than {budget:.2f} s"
        )
    seen = Counter((r["path"], r["sid"], r["status"]) for r in records)
    tokens: dict[tuple[str, str, str], set[str]] = {}
    for r in records:
        tokens.setdefault((r["path"], r["sid"], r["status"]), set()).add(r["token"])
    webhooks = sum(n - 1 for key, n in seen.items() if key[0] == "/sms")
    callbacks = sum(n - 1 for key, n in seen.items() if key[0] == "/status")
    mixed = sum(len(t) > 1 for t in tokens.values())
    print(f"repeats: {webhooks} webhooks, {callbacks} status callbacks of {len(records)}"
          f" deliveries; {mixed} repeated with a different idempotency token")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--lease-seconds", type=float, default=5.0)
    parser.add_argument("--burn", type=int, default=0, help="busy processes, one core each")
    parser.add_argument("--kill", action="store_true", help="SIGKILL node A at 40%%, back at 70%%")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin DSN")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-leases-"))
    name = asyncio.run(create_database(args.postgres))
    dsn = dsn_for(args.postgres, name)
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burn)
    ]
    nodes = [Node(n, dsn, args.lease_seconds, workdir, env) for n in ("a", "b")]
    receiver: subprocess.Popen[bytes] | None = None
    logs: list[IO[bytes]] = []
    try:
        receiver_port = free_port()
        log = (workdir / "receiver.log").open("wb")
        logs.append(log)
        receiver = subprocess.Popen([sys.executable, str(RECEIVER), str(receiver_port)],
                                    stdout=log, stderr=log)  # fmt: skip
        receiver_url = f"http://127.0.0.1:{receiver_port}"
        wait_http(f"{receiver_url}/")
        for node in nodes:  # one after the other: the first creates the main account
            node.start()
        httpx.post(
            f"{nodes[0].url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver_url}/sms"},
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
        ).raise_for_status()
        started = time.monotonic()
        accepted = asyncio.run(inject(nodes, args.count, args.concurrency, args.kill))
        injected = time.monotonic()
        records = asyncio.run(settle(dsn, receiver_url, seconds=300))
        settled = time.monotonic()
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        for node in nodes:
            node.stop()
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)
        for log in logs:
            log.close()
        asyncio.run(drop_database(args.postgres, name))

    print(f"machine: {os.cpu_count()} cores, {args.burn} busy; {accepted}/{args.count} inbound"
          f" accepted in {injected - started:.1f} s, drained {settled - injected:.1f} s later;"
          f" kill: {'yes' if args.kill else 'no'}; logs in {workdir}")  # fmt: skip
    report(nodes, args.lease_seconds, records)


if __name__ == "__main__":
    main()
