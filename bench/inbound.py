"""Benchmark: inbound messages -> signed webhooks, against a minimal receiver.

It starts ``switchboard serve`` (SQLite file, full durability) and a minimal receiver
(bench/receiver.py) as subprocesses, injects N inbound messages through ``POST /_sim/inbound``
and reports webhooks per second and the latency from injection to receipt at the receiver
(p50/p99). The same number of signed POSTs sent straight to the receiver by a bare client is
the baseline, so the ratio shows what switchboard's durability and bookkeeping cost.

    python bench/inbound.py --count 5000                  # as fast as it goes (throughput)
    python bench/inbound.py --count 5000 --ndjson         # the same through one NDJSON stream
    python bench/inbound.py --count 5000 --inject-only    # serve --no-deliver: injection alone
    python bench/inbound.py --count 5000 --split          # delivery by a switchboard worker
    python bench/inbound.py --count 5000 --ndjson --split 2   # ... by two workers
    python bench/inbound.py --count 5000 --rate 500       # paced (latency at a given rate)
    python bench/inbound.py --rate 300 --duration 60 --ndjson   # sustained: per-second counts
                                                                # and the p99 per 5 s window
    python bench/inbound.py --count 5000 --quiet          # serve --quiet: no request log
    python bench/inbound.py --src ../old/src              # the server from another source tree

Messages go a request each (``--concurrency`` in flight), or with ``--ndjson`` in one
``application/x-ndjson`` stream (``AsyncSimClient.inbound_stream``: the server stores up to 64
lines at once and answers each as it is stored); a paced stream writes each line when its time
comes. A message's injection time is when its request (or its line) was sent.

With ``--duration`` (and ``--rate``: ``count`` is rate x duration) it also prints, for each
second of the run, the messages injected and the webhooks received, and the p99 latency of the
messages injected in each 5-second window: a backlog that grows shows as a p99 that climbs.

It also prints each process's CPU time a message (the server with the processes it forked, the
``--split`` workers together, the receiver and this injector; user + system, from Linux
``/proc``) from the first injection to the last receipt, and how busy that kept the machine:
every process shares the same cores, so the rate can rise only as far as the sum of them all
falls.

``--src`` runs the server from another checkout's ``src`` (its own ``PYTHONPATH``) while the
injector, the receiver and the baseline stay this tree's: side-by-side comparisons of two
versions of the server then differ in the server alone.

The server logs a line per request and per webhook attempt (to /dev/null here) unless
``--quiet``, as ``switchboard serve`` does by default: the default measures what users run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx

from switchboard.config import CLIENT_IDLE_SECONDS
from switchboard.signing import compute_signature
from switchboard.simclient import AsyncSimClient, SimClient, SimError, inbound_fields
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

HERE = Path(__file__).parent
NUMBER = "+15555550100"


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError(url)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used (Linux /proc; 0 for one gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def with_children(pid: int) -> list[int]:
    """``pid`` and its child processes (``serve --workers N`` forks N), from Linux /proc."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def wait_started(processes: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """Until each process has done starting up: a worker is busy for about a second (imports,
    the database, the geocoder's data) before it waits for jobs, and that CPU belongs to no
    message. Started means idle: less than a clock tick of CPU each in 0.2 s."""
    deadline = time.monotonic() + timeout
    used = [cpu_seconds([process.pid]) for process in processes]
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a process exited while starting: {[p.args for p in processes]}")
        now = [cpu_seconds([process.pid]) for process in processes]
        if all(after - before < 0.01 for before, after in zip(used, now, strict=True)):
            return
        used = now
    raise TimeoutError(f"still busy starting after {timeout} s: {[p.args for p in processes]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def per_second(receipts: list[float], started: float, *, partial: bool = False) -> list[int]:
    """Events in each whole second after ``started`` (the partial last one left out unless
    ``partial``), so a slowdown during the run shows, not only the average."""
    counts: dict[int, int] = {}
    for at in receipts:
        second = int(at - started)
        counts[second] = counts.get(second, 0) + 1
    last = int(max(receipts) - started) + (1 if partial else 0)
    return [counts.get(second, 0) for second in range(last)]


def session(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=CLIENT_IDLE_SECONDS)
    return aiohttp.ClientSession(connector=connector)


def add_number(base: str, receiver_url: str) -> None:
    with SimClient(base, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
        path = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json"
        sim.request("POST", path, data={"PhoneNumber": NUMBER, "SmsUrl": receiver_url})


async def inject(
    base: str, count: int, rate: float | None, concurrency: int, number: str = NUMBER
) -> dict[str, float]:
    sent: dict[str, float] = {}
    # The injector shares the two cores with what it measures: AsyncSimClient is aiohttp
    # (orjson for the answers), so that as little of the machine as possible goes to it.
    async with AsyncSimClient(base, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, limit=concurrency) as sim:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(count):
            queue.put_nowait(index)
        started = time.monotonic()

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                if rate:
                    delay = started + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                at = time.time()
                message = await sim.inbound("+14155550123", number, f"bench {index}")
                sent[message["sid"]] = at

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent


async def inject_stream(base: str, count: int, rate: float | None) -> dict[str, float]:
    """The messages as lines of one NDJSON stream; the answers come back in their order."""
    sent_at: list[float] = []
    sent: dict[str, float] = {}
    async with AsyncSimClient(base, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
        started = time.monotonic()

        async def lines() -> AsyncIterator[dict[str, Any]]:
            for index in range(count):
                if rate:
                    delay = started + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent_at.append(time.time())
                yield inbound_fields("+14155550123", NUMBER, f"bench {index}")

        async for answer in sim.inbound_stream(lines()):
            if isinstance(answer, SimError):
                raise answer
            sent[answer["sid"]] = sent_at[len(sent)]
    return sent


def print_timeline(sent: dict[str, float], received: dict[str, float], started: float) -> None:
    """Per second: messages injected and webhooks received; per 5 s window of injection time:
    the p99 latency of the messages injected in it."""
    injected = per_second(list(sent.values()), started, partial=True)
    arrived = per_second([received[sid] for sid in sent if sid in received], started, partial=True)
    print("  second  injected  received")
    for second in range(max(len(injected), len(arrived))):
        counts = [c[second] if second < len(c) else 0 for c in (injected, arrived)]
        print(f"  {second:6d}  {counts[0]:8d}  {counts[1]:8d}")
    windows: dict[int, list[float]] = {}
    for sid, at in sent.items():
        if sid in received:
            windows.setdefault(int((at - started) // 5), []).append((received[sid] - at) * 1000)
    print("  injected at (s)  messages  p99 ms")
    for window, latencies in sorted(windows.items()):
        span = f"{window * 5}-{window * 5 + 5}"
        print(f"  {span:>15}  {len(latencies):8d}  {percentile(latencies, 0.99):6.1f}")


def cpu_used(
    roles: dict[str, list[int]], started: dict[str, float], injector_started: float
) -> dict[str, float]:
    """CPU seconds each process has used since ``started`` (the injector: this process)."""
    used = {role: cpu_seconds(pids) - started[role] for role, pids in roles.items()}
    return {**used, "injector": time.process_time() - injector_started}


def print_cpu(cpu: dict[str, float], delivered: int, seconds: float) -> None:
    """CPU a message for each process, and how busy the machine was: every process shares the
    same cores, so a rate is the cores divided by the CPU a message of them all."""
    parts = "  ".join(f"{role} {used / delivered * 1e6:,.0f}" for role, used in cpu.items())
    total = sum(cpu.values())
    busy = total / (seconds * (os.cpu_count() or 1))
    print(f"  CPU a message (us): {parts}  all {total / delivered * 1e6:,.0f}; "
          f"the machine {busy:.0%} busy")  # fmt: skip


async def baseline(url: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    """The same number of signed form POSTs sent straight to the receiver."""
    latencies: list[float] = []
    async with session(concurrency) as http:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(count):
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                params = {"MessageSid": f"SMbaseline{index}", "Body": f"bench {index}",
                          "From": "+14155550123", "To": NUMBER}  # fmt: skip
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": compute_signature(TEST_AUTH_TOKEN, url, params),
                }
                at = time.perf_counter()
                async with http.post(url, data=urlencode(params), headers=headers) as response:
                    await response.read()
                latencies.append((time.perf_counter() - at) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started), latencies


def collect(
    receiver: subprocess.Popen[bytes],
    received_file: Path,
    sent: dict[str, float],
    timeout: float = 120,
) -> dict[str, float]:
    """The receiver's first receipt time of each MessageSid, once every sent one arrived (or
    ``timeout`` passed): it writes them out on SIGUSR1."""
    deadline = time.monotonic() + timeout
    received: dict[str, float] = {}
    while time.monotonic() < deadline:
        receiver.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        if received_file.exists():
            received = {}
            for line in received_file.read_text().splitlines():
                sid, at = line.split()
                received.setdefault(sid, float(at))
        if set(sent) <= set(received):
            break
    return received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=None, help="messages/s (default: max)")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds at --rate (count = rate x duration); prints the timeline",
    )
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument(
        "--ndjson", action="store_true", help="one NDJSON stream instead of a request per message"
    )
    parser.add_argument(
        "--inject-only",
        action="store_true",
        help="serve --no-deliver: injection alone, no webhooks",
    )
    parser.add_argument("--workers", type=int, default=1, help="switchboard serve --workers")
    parser.add_argument(
        "--split",
        nargs="?",
        type=int,
        const=1,
        default=0,
        metavar="N",
        help="serve --no-deliver beside N switchboard workers (default 1): delivery in its own "
        "processes",
    )
    parser.add_argument("--quiet", action="store_true", help="switchboard serve --quiet")
    parser.add_argument("--src", help="run the server from this source tree (default: installed)")
    args = parser.parse_args()
    if args.split < 0:
        parser.error("--split takes a number of workers")
    if args.duration is not None:
        if not args.rate:
            parser.error("--duration needs --rate")
        args.count = round(args.rate * args.duration)

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    server_port, receiver_port = free_port(), free_port()
    received_file = workdir / "received.txt"
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    receiver = start(
        [sys.executable, str(HERE / "receiver.py"), str(receiver_port), str(received_file)]
    )
    serve = ["serve", "--port", str(server_port), "--database", str(workdir / "bench.db"),
             "--workers", str(args.workers), *(["--quiet"] if args.quiet else []),
             *(["--no-deliver"] if args.inject_only or args.split else [])]  # fmt: skip
    server = start([sys.executable, "-m", "switchboard", *serve], env)
    workers: list[subprocess.Popen[bytes]] = []
    base = f"http://127.0.0.1:{server_port}"
    receiver_url = f"http://127.0.0.1:{receiver_port}/sms"
    try:
        wait_http(f"{base}/healthz")
        if args.split:  # started once the server has migrated the file
            deliver = ["worker", "--database", str(workdir / "bench.db")]
            for _ in range(args.split):
                workers.append(start([sys.executable, "-m", "switchboard", *deliver], env))
            wait_started(workers)
        wait_http(receiver_url)
        add_number(base, receiver_url)
        roles = {"server": with_children(server.pid), "receiver": [receiver.pid]}
        if workers:  # measured once the workers deliver
            collect(receiver, received_file, asyncio.run(inject(base, 1, None, 1)))
            roles["worker"] = [worker.pid for worker in workers]
        cpu_started = {role: cpu_seconds(pids) for role, pids in roles.items()}
        injector_started = time.process_time()
        started = time.time()
        if args.ndjson:
            sent = asyncio.run(inject_stream(base, args.count, args.rate))
        else:
            sent = asyncio.run(inject(base, args.count, args.rate, args.concurrency))
        injected = time.time()
        if args.inject_only:
            print(f"machine: {os.cpu_count()} cores; count={args.count} "
                  f"{'ndjson stream' if args.ndjson else f'concurrency={args.concurrency}'}; "
                  "serve --no-deliver")  # fmt: skip
            print(f"injection only: {len(sent)} messages stored in {injected - started:.2f} s -> "
                  f"{len(sent) / (injected - started):,.0f} messages/s")  # fmt: skip
            print_cpu(cpu_used(roles, cpu_started, injector_started), len(sent), injected - started)
            return
        received = collect(receiver, received_file, sent)
        # Read once every webhook arrived: the processes are idle again (collect's polls are
        # this process's, and cost it next to nothing).
        cpu = cpu_used(roles, cpu_started, injector_started)
        latencies = [(received[sid] - at) * 1000 for sid, at in sent.items() if sid in received]
        finished = max(received[sid] for sid in sent if sid in received)
        base_rate, base_lat = asyncio.run(baseline(receiver_url, args.count, args.concurrency))
    finally:
        for process in (server, *workers, receiver):
            process.terminate()
            process.wait(10)

    duration = finished - started
    injector = "ndjson stream" if args.ndjson else f"concurrency={args.concurrency}"
    layout = (
        f"serve --no-deliver + {args.split} worker{'s' if args.split > 1 else ''}"
        if args.split
        else f"workers={args.workers}"
    )
    print(f"machine: {os.cpu_count()} cores; count={args.count} rate={args.rate or 'max'} "
          f"{injector} {layout}")  # fmt: skip
    rate = len(latencies) / duration
    took = injected - started
    print(f"switchboard: {len(latencies)}/{args.count} webhooks delivered in {duration:.2f} s "
          f"-> {rate:,.0f} webhooks/s (injection took {took:.2f} s: "
          f"{len(sent) / took:,.0f} messages/s)")  # fmt: skip
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"  injection -> receipt latency ms: p50 {p50:.1f}  p99 {p99:.1f}  "
          f"max {max(latencies):.1f}")  # fmt: skip
    seconds = per_second([received[sid] for sid in sent if sid in received], started)
    if seconds:
        print(f"  per whole second: slowest {min(seconds):,}, median "
              f"{statistics.median(seconds):,.0f}, fastest {max(seconds):,} webhooks")  # fmt: skip
    print_cpu(cpu, len(latencies), duration)
    if args.duration is not None:
        print_timeline(sent, received, started)
    b50, b99 = statistics.median(base_lat), percentile(base_lat, 0.99)
    print(f"baseline (bare signed POSTs): {base_rate:,.0f} requests/s; "
          f"latency ms: p50 {b50:.1f}  p99 {b99:.1f}")  # fmt: skip
    print(
        f"ratio: switchboard runs at {len(latencies) / duration / base_rate:.0%} of the bare client"
    )


if __name__ == "__main__":
    main()
