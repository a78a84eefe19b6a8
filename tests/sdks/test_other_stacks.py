"""The HTTP stacks of the Java, Go, PHP and Ruby SDKs reach ``serve --twilio-hosts`` with only
``switchboard env``'s settings: scripts/sdk-stacks/check.py, run as docs/sdks.md says (about
ten seconds with every toolchain installed). A stack whose toolchain is not installed is
skipped: they come from Debian packages a machine may not have (docs/sdks.md names them)."""

from __future__ import annotations

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
    ran = [name for name, outcome in outcomes.items() if outcome == "pass"]
    if not ran:
        pytest.skip(f"no Java, Go, PHP or Ruby toolchain on this machine: {outcomes}")
    assert all(outcome in {"pass", "missing"} for outcome in outcomes.values()), run.stdout
