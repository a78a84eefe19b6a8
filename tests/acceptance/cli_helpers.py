"""What the acceptance tests of the client commands share: the numbers they text between,
the command runner and waits on the server's state.

Every command runs as ``python -m switchboard ...`` in a subprocess with its output piped, so
it must print plain text (no ANSI codes). Test modules import this file by name: pyproject's
pytest ``pythonpath`` lists this directory (under the importlib import mode test modules
cannot import one another).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import httpx

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

NUMBER = "+15555550100"
OTHER = "+15555550101"
HANDSET = "+14155550123"
API = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
CREDENTIALS = ["--account-sid", TEST_ACCOUNT_SID, "--auth-token", TEST_AUTH_TOKEN]
# A terminal-looking environment: piped output must still come out plain.
PLAIN_ENV = {
    **{k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}},
    "TERM": "xterm-256color",
    "COLUMNS": "200",
}


def own_number(http: httpx.Client, receiver: Any) -> None:
    """Buy NUMBER for the main account, its messages going to the receiver's ``/sms``."""
    number = {"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"}
    created = http.post(f"{API}/IncomingPhoneNumbers.json", data=number)
    assert created.status_code == 201, created.text


def switchboard(server: Any, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the CLI piped, with --url and credential flags; no ANSI codes may appear."""
    result = subprocess.run(
        [sys.executable, "-m", "switchboard", *args, "--url", server.url, *CREDENTIALS],
        capture_output=True, text=True, env=PLAIN_ENV, timeout=timeout, check=False,
    )  # fmt: skip
    assert "\x1b[" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def settled(http: httpx.Client, sid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        exchange: dict[str, Any] = http.get(f"/_sim/messages/{sid}").json()
        done = not exchange["webhook_pending"] and exchange["message"]["status"] in {
            "received", "delivered", "failed", "undelivered",
        }  # fmt: skip
        if done or time.monotonic() > deadline:
            return exchange
        time.sleep(0.05)


def inbound(http: httpx.Client, body: str, to: str = NUMBER) -> str:
    response = http.post("/_sim/inbound", data={"From": HANDSET, "To": to, "Body": body})
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    settled(http, sid)
    return sid


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI piped with exactly ``args`` (no options added)."""
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *args], capture_output=True, text=True,
        env={**PLAIN_ENV, **(env or {})}, timeout=60, check=False,
    )  # fmt: skip


EXIT_FAILED = 4  # the command did its job and something in it failed (docs/cli.md#exit-status)


def rows(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The data lines of a piped table (its header dropped); [] for its empty message."""
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    return [] if lines[0].startswith("No ") else lines[1:]


def server_now(http: httpx.Client) -> str:
    now: str = http.get("/_sim/clock").json()["now"]
    return now


def next_second(http: httpx.Client, then: datetime) -> str:
    """The server's time once its clock has passed ``then`` (a time to the second)."""
    while datetime.fromisoformat(now := server_now(http)) <= then:
        time.sleep(0.05)  # the condition is the clock's next second: at most one second away
    return now


def wait_for_log(server: Any, condition: Any, timeout: float = 20) -> str:
    """The server's log once ``condition(log)`` holds (fails with the log after ``timeout``):
    its request lines are written up to 0.1 s after the answers (logs.py)."""
    deadline = time.monotonic() + timeout
    while True:
        log: str = server.log.read_text()
        if condition(log):
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
