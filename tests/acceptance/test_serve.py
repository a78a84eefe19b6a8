"""``switchboard serve`` as a real subprocess: it announces only what is true.

The banner comes once the port is bound, names what is bound, and a port that cannot be bound
is one line on stderr and a non-zero exit, before any database or credentials are made.
"""

from __future__ import annotations

import http.client
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard import __version__
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

ENV = {
    **os.environ,
    "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
    "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
}


def serve(*args: str) -> list[str]:
    return [sys.executable, "-m", "switchboard", "serve", *args]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_port_is_one_clear_line_and_a_failure(
    tmp_path: Path, taken_port: int, workers: str
) -> None:
    database = tmp_path / "switchboard.db"
    args = ["--port", str(taken_port), "--database", str(database), "--workers", workers]
    result = subprocess.run(
        serve(*args), capture_output=True, text=True, env=ENV, timeout=60, check=False
    )
    assert result.returncode != 0
    assert result.stdout == ""  # no banner, no credentials
    assert result.stderr == (
        f"switchboard: cannot listen on 127.0.0.1:{taken_port}: address already in use\n"
    )
    assert not database.exists()  # nothing was created for a server that never ran


class Banner:
    """``serve`` running, its stdout read line by line off the pipe."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            serve(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, prefix: str, timeout: float = 30) -> list[str]:
        """Every line up to and including the first that starts with ``prefix``."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while not seen or not seen[-1].lstrip().startswith(prefix):
            try:
                seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} line; got {seen!r}") from None
        return seen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)  # the pipe ends with the process
        assert self.process.stdout is not None
        self.process.stdout.close()


def test_the_banner_comes_once_the_port_is_bound_and_names_it() -> None:
    # Port 0: the system picks one, so the banner can only know it after binding.
    server = Banner("--port", "0", "--database", ":memory:")
    try:
        first, *_ = lines = server.until("Database")
        assert first.startswith(f"switchboard {__version__} listening on http://127.0.0.1:")
        port = int(first.rsplit(":", 1)[1])
        assert port != 0
        assert f"  Dashboard      http://127.0.0.1:{port}/" in lines
        # Listening by the time it says so: a connection made right now is accepted.
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
    finally:
        server.stop()


def test_all_interfaces_are_named_as_such() -> None:
    server = Banner("--host", "0.0.0.0", "--port", "0", "--database", ":memory:")
    try:
        first, *rest = lines = server.until("Database")
        assert "listening on all interfaces (0.0.0.0), port " in first
        port = int(first.rsplit(" ", 1)[1])
        assert any(
            line.startswith(f"  Dashboard      http://127.0.0.1:{port}/") and "sign in" in line
            for line in rest
        ), lines
        assert f"  Other machines http://<this machine's address>:{port}" in rest
        overview = httpx.get(
            f"http://127.0.0.1:{port}/_dashboard/api/overview",
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
            timeout=10,
        )
        assert overview.status_code == 200
    finally:
        server.stop()


BAD_SCENARIOS = {
    "not JSON": ("{", "cannot read scenarios from {path}: Expecting property name"),
    "not a list": ('{"scenarios": 5}', "{path}: expected a list of scenarios"),
    "invalid rule": ('[{"outcome": "lost"}]', "{path}: scenario 0: "),
}


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_a_bad_scenarios_file_is_one_clear_line_and_exit_status_3(
    tmp_path: Path, case: str, workers: str
) -> None:
    content, reason = BAD_SCENARIOS[case]
    path = tmp_path / "scenarios.json"
    path.write_text(content, encoding="utf-8")
    database = tmp_path / "switchboard.db"
    args = ["--port", "0", "--database", str(database), "--scenarios", str(path)]
    result = subprocess.run(
        serve(*args, "--workers", workers),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3  # a configuration error (docs/configuration.md)
    assert result.stdout == ""  # no banner, no credentials
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert lines[0].startswith("switchboard: " + reason.format(path=path)), lines
    assert not database.exists()  # nothing was created for a server that never ran


def test_an_idle_connection_stays_open_past_the_clients_idle_times(
    server_process: Any,
) -> None:
    """Clients keep idle connections 5-15 s (httpx, Node, aiohttp in the Twilio SDK's async
    client). A server closing first fails a request sent as it closes; ``serve`` keeps them
    75 s (``config.SERVER_IDLE_SECONDS``)."""
    server_process.start()
    connection = http.client.HTTPConnection("127.0.0.1", server_process.port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read()
        socket_before = connection.sock
        time.sleep(5.5)  # idle past uvicorn's default of 5 s
        connection.request("GET", "/healthz")  # http.client sends on the same socket
        assert connection.getresponse().status == 200
        assert connection.sock is socket_before
    finally:
        connection.close()
