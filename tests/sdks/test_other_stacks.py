"""The HTTP stacks of the Java, Go, PHP and Ruby SDKs reach ``serve --twilio-hosts`` with only
``switchboard env``'s settings: scripts/sdk-stacks/check.py, run as docs/sdks.md says (about
ten seconds with every toolchain installed). The toolchains are Debian packages (.ci/run
installs them): a missing one skips its stack locally and fails in CI (``CI`` set)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sdk-stacks" / "check.py"


@pytest.mark.slow
def test_java_go_php_and_ruby_stacks_send_through_the_proxy() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    outcomes = dict(line.split()[:2] for line in run.stdout.splitlines() if line.strip())
    assert run.returncode == 0, run.stdout + run.stderr
    missing = [name for name, outcome in outcomes.items() if outcome == "missing"]
    if missing and os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"toolchains missing in CI: {missing}", pytrace=False)
    assert all(outcome in {"pass", "missing"} for outcome in outcomes.values()), run.stdout
    if len(missing) == len(outcomes):
        pytest.skip(f"no Java, Go, PHP or Ruby toolchain on this machine: {outcomes}")
