"""Fixtures shared by every suite: a live server, an SDK client, the test receiver, a
``switchboard serve`` subprocess and a fresh PostgreSQL database.

Test modules run under ``--import-mode=importlib`` and cannot import conftest files; they reach
these helpers through the fixtures (``server``, ``client``, ``receiver``, ``server_process``,
``spawn_server``, ``postgres_dsn``, ``postgres_database``). The receiver itself is public:
``switchboard.testing.TestReceiver`` (and its ``Reply``, importable from ``switchboard.receiver``).

PostgreSQL is found at ``SWITCHBOARD_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``). When it is unreachable the tests that need it
skip, except in CI (``CI`` set), where they fail: there they must run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    TestReceiver,
    free_port,
    live_server,
    sdk_client,
)

pytest_plugins = ["pytester"]

# Both rewrite the SDK's host ("127.0.0.1" -> "127.us1.0.1"); tests must never inherit them.
for _name in ("TWILIO_EDGE", "TWILIO_REGION"):
    os.environ.pop(_name, None)


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server() as running:
        yield running


@pytest.fixture
def client(server: LiveServer) -> Any:
    return sdk_client(server)


# --- The receiver ------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[TestReceiver]:
    """The user's app: records and answers webhooks. A request without a valid
    ``X-Twilio-Signature`` fails the test at teardown even if the test never looked at it."""
    with TestReceiver(TEST_AUTH_TOKEN).start() as running:
        yield running
        running.check_signatures()


# --- switchboard serve in a subprocess ---------------------------------------------------------


@dataclass
class ServerProcess:
    """``python -m switchboard serve`` on ``database`` (a SQLite path or a PostgreSQL DSN) and
    a fixed free port, so it can be killed and started again at the same URL. ``args`` go with
    every start; ``start(*more)`` adds more for that start."""

    database: str | Path
    log: Path
    args: tuple[str, ...] = ()
    name: str = "switchboard"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dsn(self) -> str:
        """The database as given: a PostgreSQL DSN for the scale-out nodes."""
        return str(self.database)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=10)

    def command(self, *more: str) -> list[str]:
        return [sys.executable, "-m", "switchboard", "serve", "--port", str(self.port),
                "--database", str(self.database), *self.args, *more]  # fmt: skip

    @staticmethod
    def env() -> dict[str, str]:
        return {
            **os.environ,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
        }

    def start(self, *more: str, timeout: float = 30) -> ServerProcess:
        """Start and wait until ``/healthz`` answers (the log says why if it never does)."""
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.command(*more), env=self.env(), stdout=sink, stderr=sink
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if _is_switchboard_health(httpx.get(f"{self.url}/healthz", timeout=0.5)):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
            if self.process.poll() is not None:
                raise RuntimeError(f"switchboard exited early:\n{self.log.read_text()}")
        raise TimeoutError(f"switchboard did not start in {timeout} s:\n{self.log.read_text()}")

    def restart(self, *more: str) -> ServerProcess:
        self.stop()
        return self.start(*more)

    def run_to_exit(self, *more: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        """Run with ``more`` expecting the server to refuse to start."""
        return subprocess.run(self.command(*more), env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease released, connections dropped mid-request."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), SIGKILL if it takes over 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _is_switchboard_health(answer: httpx.Response) -> bool:
    """Whether ``answer`` is a switchboard saying it can serve (not some other listener)."""
    try:
        body = answer.json()
    except ValueError:
        return False
    return answer.status_code == 200 and isinstance(body, dict) and body.get("status") == "ok"


SpawnServer = Callable[..., ServerProcess]


@pytest.fixture
def spawn_server(tmp_path: Path) -> Iterator[SpawnServer]:
    """``spawn_server(database=None, *args, name="switchboard")``: a ServerProcess (not started),
    its log in ``tmp_path``; every one is stopped at teardown."""
    spawned: list[ServerProcess] = []

    def spawn(
        database: str | Path | None = None, *args: str, name: str = "switchboard"
    ) -> ServerProcess:
        target = database if database is not None else tmp_path / f"{name}.db"
        process = ServerProcess(target, tmp_path / f"{name}.log", args, name)
        spawned.append(process)
        return process

    yield spawn
    for process in spawned:
        process.stop()


@pytest.fixture
def server_process(spawn_server: SpawnServer) -> ServerProcess:
    """One ``switchboard serve`` on a SQLite file in ``tmp_path`` (not started yet)."""
    return spawn_server()


# --- PostgreSQL ----------------------------------------------------------------------------------

ADMIN_DSN = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


async def _admin_connection() -> Any:
    """A connection to the maintenance database, or skip (locally) / fail (in CI)."""
    try:
        return await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL is not reachable at {ADMIN_DSN} ({exc!r})"
        if _in_ci():
            pytest.fail(f"{reason}; CI is set, so the PostgreSQL tests must run", pytrace=False)
        pytest.skip(f"{reason}; set SWITCHBOARD_TEST_POSTGRES to run the PostgreSQL tests")


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty, uniquely named database; yields its DSN and drops it afterwards (after
    disconnecting whatever is still connected, e.g. a killed node's sessions)."""
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


@pytest.fixture
def postgres_database() -> Callable[[], contextlib.AbstractAsyncContextManager[str]]:
    """``async with postgres_database() as dsn``: for fixtures that need one only sometimes."""
    return fresh_postgres_database


@pytest.fixture
async def postgres_dsn() -> AsyncIterator[str]:
    """A new, empty database for one test; its DSN. Dropped afterwards."""
    async with fresh_postgres_database() as dsn:
        yield dsn
