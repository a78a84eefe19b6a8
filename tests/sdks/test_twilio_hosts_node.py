"""``serve --twilio-hosts``: the official Node SDK and twilio-cli, unchanged, reach switchboard as
``https://*.twilio.com`` with only the environment ``switchboard env --sdk node`` prints (no
base URL, no preload script).

Node and npm are the test's requirements: without them it is skipped locally and fails in CI
(``CI`` set), as the other Node tests do. ``npm install`` runs in tests/sdks/node when its
``node_modules`` lacks the packages (the registry must be reachable then).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from switchboard.testing import TEST_ACCOUNT_SID

NODE_DIR = Path(__file__).parent / "node"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"{reason}; CI is set, so the Node SDK tests must run", pytrace=False)
    pytest.skip(reason)


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the Node SDK and twilio-cli tests")
    wanted = [
        NODE_DIR / "node_modules" / name / "package.json" for name in ("twilio", "twilio-cli")
    ]
    if not all(path.exists() for path in wanted):
        installed = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=NODE_DIR, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if installed.returncode != 0:
            _unavailable(f"npm install failed in {NODE_DIR}: {installed.stderr[-2000:]}")
    return node


def test_node_sdk_unchanged_creates_fetches_and_lists(hosts_server: Any) -> None:
    node = _node()
    run = hosts_server.run(
        "node", [node, "client.js", "+15005550006", "+15558675310"], cwd=NODE_DIR
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["fetched"] == [got["message"], "Hello from Node"]
    assert got["message"] in got["listed"]
    assert got["services"] == [got["service"]]
    assert got["fetched_service"] == [got["service"], "Node hosts"]
    assert got["service_url"] == f"https://messaging.twilio.com/v1/Services/{got['service']}"
    with hosts_server.process.http() as http:
        path = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{got['message']}.json"
        assert http.get(path).json()["body"] == "Hello from Node"


def test_twilio_cli_creates_and_lists_messages(hosts_server: Any, tmp_path: Path) -> None:
    node = _node()
    cli = str(NODE_DIR / "node_modules" / "twilio-cli" / "bin" / "run")
    with hosts_server.process.http() as http:
        http.post(
            f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": "+15005550006"},
        ).raise_for_status()
    # A home of its own: twilio-cli keeps its configuration there.
    home = {"HOME": str(tmp_path), "TWILIO_CLI_NO_UPDATE_NOTIFIER": "1"}
    created = hosts_server.run(
        "node",
        [node, cli, "api:core:messages:create", "--from", "+15005550006",
         "--to", "+15558675310", "--body", "Hello from twilio-cli", "-o", "json"],
        extra=home,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    [message] = json.loads(created.stdout)
    assert message["body"] == "Hello from twilio-cli"
    listed = hosts_server.run(
        "node", [node, cli, "api:core:messages:list", "-o", "json"], extra=home
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert [m["sid"] for m in json.loads(listed.stdout)] == [message["sid"]]
