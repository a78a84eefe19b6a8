"""A ``switchboard serve --twilio-hosts`` subprocess, and a way to run a client under the
environment ``switchboard env --sdk NAME`` prints (applied with ``eval`` in a POSIX shell, as
docs/sdks.md tells users), with no other change to the client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN


@dataclass(frozen=True)
class HostsServer:
    process: Any  # the ServerProcess of tests/conftest.py
    settings: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.process.url)

    def env_lines(self, sdk: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "switchboard", "env", "--sdk", sdk, "--url", self.url],
            env=self.process.env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout

    def run(
        self, sdk: str, command: Sequence[str], *, cwd: Path | None = None,
        extra: dict[str, str] | None = None, timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """``command`` in a shell that has evaluated ``switchboard env --sdk sdk``: the
        client's own code, with Twilio's usual credential variables and nothing else."""
        env = {
            key: value for key, value in os.environ.items()
            if not key.upper().endswith("_PROXY") and key not in _CA_VARIABLES
        }  # fmt: skip
        env |= {"TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
        env |= extra or {}
        script = 'eval "$SWITCHBOARD_ENV" && exec "$@"'
        env["SWITCHBOARD_ENV"] = self.env_lines(sdk)
        return subprocess.run(
            ["/bin/sh", "-c", script, "sh", *command], cwd=cwd, env=env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip


_CA_VARIABLES = {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"}


@pytest.fixture
def hosts_server(spawn_server: Any) -> HostsServer:
    """``serve --twilio-hosts`` on free ports, its CA beside its database in ``tmp_path``."""
    process = spawn_server(None, "--twilio-hosts", "--proxy-port", "0", "--tls-port", "0")
    process.start()
    with process.http() as http:
        answer = http.get("/_sim/twilio-hosts")
    assert answer.status_code == 200, answer.text
    return HostsServer(process, answer.json())
