"""Acceptance fixtures: switchboard as a real subprocess, and a controllable receiver app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port


@dataclass
class Receiver:
    """A webhook receiver that records every request and can be made slow."""

    port: int = 0
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Every request as it arrives (before the delay): (path, params, idempotency token).
    arrivals: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seen(self, path: str, key: str) -> list[str]:
        with self.lock:
            return [params.get(key, "") for p, params in self.requests if p == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            params = dict(parse_qsl(body))
            token = self.headers.get("I-Twilio-Idempotency-Token", "")
            with receiver.lock:
                receiver.arrivals.append((self.path, params, token))
            if receiver.delay:
                time.sleep(receiver.delay)
            with receiver.lock:
                receiver.requests.append((self.path, params))
            reply = b"<Response/>"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that died mid-request (the killed server) is expected here


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@dataclass
class ServerProcess:
    """``switchboard serve`` in a subprocess on a file database."""

    database: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=10)

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
        }
        command = [sys.executable, "-m", "switchboard", "serve", "--port", str(self.port),
                   "--database", str(self.database)]  # fmt: skip
        log = self.database.with_suffix(".log")
        with log.open("ab") as sink:
            self.process = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
            if self.process.poll() is not None:
                raise RuntimeError(f"switchboard exited early: {log.read_text()}")
        raise TimeoutError("switchboard did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "switchboard.db")
    yield running
    running.stop()
