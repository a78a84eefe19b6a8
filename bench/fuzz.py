"""The long fuzz run: N generated requests against ``switchboard serve``, counted by status.

It draws from the Hypothesis strategies that tests/conformance/test_fuzz.py runs
(tests/conformance/fuzz_cases.py: every routed OpenAPI operation and ``/_sim``; valid, wrong and
malformed credentials; hostile values and encodings), with a random seed unless ``--seed`` is
given, and sends each case as raw HTTP/1.1 to a server started as a subprocess (SQLite file).
After every request ``/healthz`` is timed.

Every generated case is sent, including those that once locked a run out (closing the main
account, moving the clock to the end of time): they are refused now. docs/reliability.md records
a run.

    python bench/fuzz.py                     # 20,000 requests
    python bench/fuzz.py --count 2000 --seed 1
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

CONFORMANCE = Path(__file__).resolve().parents[1] / "tests" / "conformance"


def load(name: str) -> Any:
    """A module of tests/conformance, imported by name: the directory is not a package, and
    its modules import one another by name (pyproject's pytest pythonpath lists it)."""
    if str(CONFORMANCE) not in sys.path:
        sys.path.insert(0, str(CONFORMANCE))
    return importlib.import_module(name)


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError(url)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="generated requests to send")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default random)")
    args = parser.parse_args()
    run_seed = args.seed if args.seed is not None else random.randrange(2**32)
    cases = load("fuzz_cases")
    fuzz = load("fuzz_wire")
    error_problems = load("conftest").error_problems

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-fuzz-"))
    port = free_port()
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    log = (workdir / "server.log").open("wb")
    serve = ["serve", "--port", str(port), "--database", str(workdir / "fuzz.db")]
    server = subprocess.Popen(
        [sys.executable, "-m", "switchboard", *serve],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )

    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()  # 5xx by known defect, or "unexplained"
    problems: list[str] = []
    slow_health = 0
    slowest = 0.0
    started = time.monotonic()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        wire = fuzz.Wire(port)
        world = fuzz.World(wire)
        judge = make_judge(fuzz, error_problems)

        @seed(run_seed)
        @settings(
            max_examples=args.count,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases.ALL_CASES)
        def run(case: Any) -> None:
            nonlocal slow_health, slowest
            if world.stale:
                world.build()
            request = fuzz.render(case, world)
            reply = wire.send(request.method, request.target, request.headers, request.body)
            statuses[reply.status] += 1
            if reply.status >= 500:
                errors["server error"] += 1
                problems.append(f"{case!r:.600}")
            elif found := judge(request, reply):
                problems.append(f"{found[0]:.300} <- {case!r:.300}")
            if fuzz.mutates(case, reply):
                world.stale = True
            health = wire.send("GET", "/healthz", [], b"")
            slowest = max(slowest, health.seconds)
            if health.status != 200 or health.seconds > fuzz.HEALTH_DEADLINE:
                slow_health += 1

        run()
        wire.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    elapsed = time.monotonic() - started
    sent = sum(statuses.values())
    print(f"machine: nproc={os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}")
    print(f"seed {run_seed}: {sent} requests sent in {elapsed:.0f} s")
    print("by status: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"5xx: {sum(n for code, n in statuses.items() if code >= 500)}")
    for text, n in errors.most_common():
        print(f"  {n} x {text}")
    print(f"/healthz: slowest {slowest * 1000:.0f} ms, {slow_health} over the deadline")
    print(f"non-conforming responses (not 5xx): {len(problems) - errors['server error']}")
    for line in problems[:20]:
        print(f"  {line}")
    print(f"server log: {workdir / 'server.log'}")


def make_judge(fuzz: Any, error_problems: Any) -> Any:
    """The test module's checks, without pytest fixtures: error JSON for every 4xx."""

    def judge(request: Any, reply: Any) -> list[str]:
        if reply.status < 400 or fuzz.is_overlong_target(request, reply):
            return []
        content_type = reply.content_type.split(";")[0].strip()
        if content_type != "application/json":
            return [f"{reply.status} with content-type {content_type!r}"]
        return error_problems(reply.body.decode("utf-8", "replace"), reply.status)

    return judge


if __name__ == "__main__":
    main()
