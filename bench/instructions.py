"""Benchmark: CPU instructions the server executes per inbound message, counted by callgrind.

Throughput on a shared 2-core machine drifts by 20-30% from one run to the next, which hides
a 5-10% change. The instructions a server executes per message hardly move with the load
around it, so this is how two versions of the server (or two settings) are compared: it starts
``switchboard serve`` under valgrind's callgrind with instrumentation off, warms it up with
200 messages, turns instrumentation on, sends ``--count`` inbound messages through
``/_sim/inbound`` to a minimal receiver (bench/receiver.py) and waits until every webhook has
arrived, then prints the instructions per message (every thread of the server: the event loop
and the SQLite COMMIT thread). It needs valgrind (Debian: ``apt-get install valgrind``); a run
of 500 messages takes about a minute.

    python bench/instructions.py --count 500
    python bench/instructions.py --count 500 --src ../old/src    # the server of another tree
    python bench/instructions.py --count 500 --ndjson   # injected through one NDJSON stream
    python bench/instructions.py --count 500 --profile out.cg    # keep the profile for
                                                                  # callgrind_annotate
    python bench/instructions.py --count 500 --postgres postgresql://postgres@127.0.0.1:5432/postgres
                                 # on a fresh PostgreSQL database (created, dropped after)

Kernel work (``fdatasync``, socket writes) is not counted: see bench/inbound.py for the rate.
On PostgreSQL the count is the node's alone (bench/scaleout.py measures the server's CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from inbound import NUMBER, add_number, wait_http  # bench/ is the script's folder

from scaleout import create_database, drop_database, dsn_for
from switchboard.simclient import AsyncSimClient, SimError, inbound_fields
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

HERE = Path(__file__).parent
WARM_UP = 200


async def inject(base: str, first: int, count: int, ndjson: bool = False) -> None:
    async with AsyncSimClient(base, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, limit=16) as sim:
        if ndjson:  # one stream (the server works on up to 64 lines at once)
            indexes = range(first, first + count)
            fields = (inbound_fields("+14155550123", NUMBER, f"bench {i}") for i in indexes)
            async for answer in sim.inbound_stream(fields):
                if isinstance(answer, SimError):
                    raise answer
            return
        pending = list(range(first, first + count))

        async def worker() -> None:
            while pending:
                index = pending.pop()
                await sim.inbound("+14155550123", NUMBER, f"bench {index}")

        await asyncio.gather(*(worker() for _ in range(16)))


class Receiver:
    """bench/receiver.py, asked (SIGUSR1) to write down what it has received."""

    def __init__(self, port: int, record: Path) -> None:
        self.record = record
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "receiver.py"), str(port), str(record)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_for(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            if self.record.exists():
                received = {line.split()[0] for line in self.record.read_text().splitlines()}
                if len(received) >= count:
                    return
        raise SystemExit(f"fewer than {count} webhooks arrived in {timeout:.0f} s")


def total_instructions(profile: Path) -> int:
    for line in profile.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no summary in {profile}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--src", help="run the server from this source tree (default: installed)")
    parser.add_argument("--quiet", action="store_true", help="switchboard serve --quiet")
    parser.add_argument("--profile", help="keep callgrind's profile of the measured messages here")
    parser.add_argument(
        "--ndjson",
        action="store_true",
        help="inject through one NDJSON stream instead of a request each",
    )
    parser.add_argument(
        "--postgres",
        help="admin DSN of a PostgreSQL server: run on a fresh database there, not SQLite",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("needs valgrind (Debian: apt-get install valgrind)")

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-instructions-"))
    profile = workdir / "callgrind.out"
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    server_port, receiver_port = free_port(), free_port()
    receiver = Receiver(receiver_port, workdir / "received.txt")
    database = str(workdir / "bench.db")
    if args.postgres:
        postgres_name = asyncio.run(create_database(args.postgres))
        database = dsn_for(args.postgres, postgres_name)
    serve = [sys.executable, "-m", "switchboard", "serve", "--port", str(server_port),
             "--database", database]  # fmt: skip
    if args.quiet:
        serve.append("--quiet")
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={profile}"]  # fmt: skip
    server = subprocess.Popen(
        [*valgrind, *serve],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{server_port}"
    receiver_url = f"http://127.0.0.1:{receiver_port}/sms"
    try:
        wait_http(f"{base}/healthz", timeout=600)  # start-up under valgrind takes a while
        wait_http(receiver_url, timeout=20)
        add_number(base, receiver_url)
        asyncio.run(inject(base, 0, WARM_UP))
        receiver.wait_for(WARM_UP)
        subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], check=True,
                       capture_output=True)  # fmt: skip
        started = time.monotonic()
        asyncio.run(inject(base, WARM_UP, args.count, args.ndjson))
        receiver.wait_for(WARM_UP + args.count)
        elapsed = time.monotonic() - started
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True,
                       capture_output=True)  # fmt: skip
    finally:
        server.terminate()
        receiver.process.terminate()
        server.wait(120)
        receiver.process.wait(10)
        if args.postgres:
            asyncio.run(drop_database(args.postgres, postgres_name))

    dumped = Path(f"{profile}.1")  # the dump made after the measured messages
    total = total_instructions(dumped)
    if args.profile:
        shutil.copy(dumped, args.profile)
    injector = "one ndjson stream" if args.ndjson else "a request each"
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"server: {args.src or 'installed'} on {store}; count={args.count} ({injector}, after "
          f"{WARM_UP} to warm up); {elapsed:.0f} s under callgrind")  # fmt: skip
    print(f"instructions per message: {total / args.count / 1e6:.3f} M "
          f"({total:,} for {args.count} messages)")  # fmt: skip


if __name__ == "__main__":
    main()
