"""Run the whole test suite several times while busy loops keep every core occupied.

The suite must hold on a loaded laptop or CI runner: a test waits for the condition it asserts,
never for a sleep. This script is how that is checked: it starts one ``while True: pass``
process per core (two on the project's 2-core machines), runs ``pytest`` the given number of
times in a row, stops the busy loops, and prints each run's result line and duration. A
failing run's whole output is kept in a file (its path is printed), since the summary line
alone does not say why a test failed.

    python bench/busy_suite.py               # 3 runs, one busy loop per core
    python bench/busy_suite.py --runs 1 --busy 2 -- tests/acceptance

It exits non-zero if any run failed. docs/reliability.md records the runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

BUSY_LOOP = "while True: pass"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="suite runs in a row (default 3)")
    parser.add_argument(
        "--busy", type=int, default=os.cpu_count() or 2, help="busy loops (default: one a core)"
    )
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args()

    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.busy)]
    failed = 0
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", *args.pytest_args],
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.monotonic() - started
            lines = result.stdout.strip().splitlines()
            summary = lines[-1] if lines else "(no output)"
            print(f"run {run}: exit {result.returncode} in {elapsed:.0f} s: {summary}", flush=True)
            if result.returncode != 0:
                failed += 1
                failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
                for line in failures[:20]:
                    print(f"  {line}")
                with tempfile.NamedTemporaryFile(
                    "w", prefix=f"busy-suite-run{run}-", suffix=".log", delete=False
                ) as log:
                    log.write(result.stdout + result.stderr)
                print(f"  the whole output: {log.name}", flush=True)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    print(f"{args.runs - failed} of {args.runs} runs passed with {args.busy} busy loops")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
