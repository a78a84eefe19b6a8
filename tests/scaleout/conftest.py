"""Scale-out fixtures: a fresh PostgreSQL database, ``switchboard serve`` nodes on it, and a
fast recording receiver (tests/scaleout/receiver.py), all real processes.

PostgreSQL is found at ``SWITCHBOARD_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``). When it is unreachable these tests skip,
except in CI (``CI`` set), where they fail: there they must run.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

ADMIN_DSN = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
HERE = Path(__file__).parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


async def _admin_connection() -> Any:
    try:
        return await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL is not reachable at {ADMIN_DSN} ({exc!r})"
        if _in_ci():
            pytest.fail(f"{reason}; CI is set, so the PostgreSQL tests must run", pytrace=False)
        pytest.skip(f"{reason}; set SWITCHBOARD_TEST_POSTGRES to run the PostgreSQL tests")


@pytest.fixture
async def postgres_dsn() -> AsyncIterator[str]:
    """A new, empty database for one test; its DSN. Dropped afterwards."""
    admin = await _admin_connection()
    name = f"switchboard_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlsplit(ADMIN_DSN)._replace(path=f"/{name}").geturl()
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited early:\n{log.read_text()}")
    raise TimeoutError(f"{url} did not answer")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Node:
    """One ``switchboard serve`` process on the shared database; restartable on its port."""

    name: str
    dsn: str
    log: Path
    lease_seconds: float = 5.0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        env = {
            **os.environ,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
        }
        command = [sys.executable, "-m", "switchboard", "serve", "--port", str(self.port),
                   "--database", self.dsn, "--lease-seconds", str(self.lease_seconds)]  # fmt: skip
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
        _wait_healthy(f"{self.url}/healthz", self.process, self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease released, connections dropped mid-request."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class ReceiverProcess:
    log: Path
    slow_seconds: float = 8.0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ReceiverProcess:
        command = [sys.executable, str(HERE / "receiver.py"), str(self.port),
                   str(self.slow_seconds)]  # fmt: skip
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=sink)
        _wait_healthy(f"{self.url}/", self.process, self.log)
        return self

    async def records(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await http.get(f"{self.url}/records", timeout=30)
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class Cluster:
    """The processes of one test, all stopped at teardown."""

    dsn: str
    workdir: Path
    nodes: list[Node] = field(default_factory=list)
    receivers: list[ReceiverProcess] = field(default_factory=list)

    def node(self, name: str, lease_seconds: float = 5.0) -> Node:
        node = Node(name, self.dsn, self.workdir / f"node-{name}.log", lease_seconds)
        self.nodes.append(node)
        return node.start()

    def receiver(self, slow_seconds: float = 8.0) -> ReceiverProcess:
        receiver = ReceiverProcess(self.workdir / "receiver.log", slow_seconds)
        self.receivers.append(receiver)
        return receiver.start()

    def close(self) -> None:
        for node in self.nodes:
            node.stop()
        for receiver in self.receivers:
            receiver.stop()


@pytest.fixture
def cluster(postgres_dsn: str, tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(postgres_dsn, tmp_path)
    try:
        yield running
    finally:
        running.close()
