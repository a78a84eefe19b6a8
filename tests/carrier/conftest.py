"""The carrier simulator suite's machinery: a real callback receiver and a virtual-time driver.

Every test talks to a real switchboard over HTTP: the official ``twilio`` SDK for the REST API,
raw ``httpx`` for ``/_sim``. The server runs with a :class:`~switchboard.clock.VirtualClock`
(frozen at 2026-01-01T12:00:00Z), so nothing here depends on wall time: a test moves time with
``POST /_sim/clock Advance=<seconds>`` and then waits until every job that became due has run
(``Carrier.advance``). Status callbacks go to a :class:`Receiver`, a real HTTP server on a
random loopback port that records each request and validates its ``X-Twilio-Signature`` with
the official ``RequestValidator`` (an invalid signature fails the test at teardown).

Why waiting is exact: a status callback is a job, and the receiver records a request before it
answers, so once the dispatcher has no due or running job every callback of the elapsed virtual
time has been received. Jobs due at the same virtual instant run concurrently, so tests that
check the *order* of callbacks walk the clock in small steps (``Carrier.walk``).

Test modules run under ``--import-mode=importlib`` and cannot import this file; they reach
everything through the fixtures ``receiver``, ``carrier``, ``make_carrier`` and
``server_process``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

from switchboard.clock import VirtualClock
from switchboard.config import Config
from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    free_port,
    live_server,
    sdk_client,
)

# Fictional NANP numbers (555-01xx) for our side, and handsets.
OURS = "+15555550100"
HANDSET = "+15555550199"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


# --- The receiver ----------------------------------------------------------------------------


class FormParams(dict[str, str]):
    """Form parameters: ``params[name]`` is the first value; ``getall`` (what the SDK's
    validator looks for, like Flask's MultiDict) gives every value of a repeated name."""

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.pairs = list(pairs)
        for name, value in self.pairs:
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


@dataclass(frozen=True)
class Request:
    """One request as the app saw it."""

    method: str
    url: str
    path: str
    headers: dict[str, str]  # names lower-cased
    params: FormParams
    signature_valid: bool

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def status(self) -> str:
        return self.params["MessageStatus"]


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = EMPTY_TWIML
    content_type: str = "text/xml"
    delay: float = 0.0  # seconds before answering


class Receiver:
    """A recording, signature-validating HTTP/1.1 server; routes answer ``200 <Response />``
    unless programmed with :meth:`route`."""

    def __init__(self) -> None:
        self.validator = RequestValidator(TEST_AUTH_TOKEN)
        self.requests: list[Request] = []
        self._answers: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        body: str = EMPTY_TWIML,
        *,
        status: int = 200,
        content_type: str = "text/xml",
        delay: float = 0.0,
    ) -> str:
        """Make ``path`` answer with ``body`` (after ``delay`` seconds); returns its URL."""
        with self._lock:
            self._answers[path] = Answer(status, body, content_type, delay)
        return self.url(path)

    def answer_for(self, path: str) -> Answer:
        with self._lock:
            return self._answers.get(path, Answer())

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def at(self, path: str, sid: str | None = None) -> list[Request]:
        """Requests that reached ``path`` (for one MessageSid), in arrival order."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (sid is None or r.params.get("MessageSid") == sid)
            ]

    def statuses(self, path: str, sid: str | None = None) -> list[str]:
        return [r.params.get("MessageStatus", "") for r in self.at(path, sid)]

    def invalid_signatures(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if not r.signature_valid]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up is not this suite's subject


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}"
            split = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            signature = headers.get("x-twilio-signature", "")
            if self.command == "POST":
                params = FormParams(parse_qsl(body, keep_blank_values=True))
                valid = receiver.validator.validate(url, params, signature)
            else:
                params = FormParams(parse_qsl(split.query, keep_blank_values=True))
                valid = receiver.validator.validate(url, {}, signature)
            receiver.record(
                Request(self.command, url, split.path, headers, params, bool(signature) and valid)
            )
            answer = receiver.answer_for(split.path)
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    try:
        yield running
        bad = running.invalid_signatures()
        assert not bad, "invalid X-Twilio-Signature on: " + ", ".join(r.url for r in bad)
    finally:
        running.stop()


# --- The virtual-time driver -----------------------------------------------------------------


class Carrier:
    """One switchboard with a virtual clock, driven through the SDK and ``/_sim``."""

    def __init__(self, server: LiveServer, receiver: Receiver) -> None:
        self.server = server
        self.receiver = receiver
        self.client: Any = sdk_client(server)
        self.http = httpx.Client(
            base_url=server.base_url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=30
        )

    def close(self) -> None:
        self.http.close()

    # Numbers and services (official SDK)

    def number(self, phone_number: str = OURS, **settings: Any) -> Any:
        return self.client.incoming_phone_numbers.create(phone_number=phone_number, **settings)

    def service(self, *numbers: Any, **settings: Any) -> Any:
        settings.setdefault("friendly_name", "carrier")
        service = self.client.messaging.v1.services.create(**settings)
        for number in numbers:
            self.client.messaging.v1.services(service.sid).phone_numbers.create(
                phone_number_sid=number.sid
            )
        return service

    # Scenarios (/_sim/scenarios, JSON)

    def scenario(self, **rule: Any) -> list[dict[str, Any]]:
        """Append one rule (``from_`` stands for the JSON field ``from``)."""
        if "from_" in rule:
            rule["from"] = rule.pop("from_")
        response = self.http.post("/_sim/scenarios", json=rule)
        assert response.status_code == 201, response.text
        scenarios: list[dict[str, Any]] = response.json()["scenarios"]
        return scenarios

    def scenarios(self) -> list[dict[str, Any]]:
        response = self.http.get("/_sim/scenarios")
        assert response.status_code == 200, response.text
        scenarios: list[dict[str, Any]] = response.json()["scenarios"]
        return scenarios

    def replace_scenarios(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.http.put("/_sim/scenarios", json=rules)
        assert response.status_code == 200, response.text
        scenarios: list[dict[str, Any]] = response.json()["scenarios"]
        return scenarios

    # Sending (official SDK)

    def send(
        self,
        to: str = HANDSET,
        from_: str | None = OURS,
        body: str = "hello",
        callback: str | None = "/status",
        **kwargs: Any,
    ) -> Any:
        """Create a message (status callback to the receiver's ``callback`` path) and run
        whatever is due at once."""
        if from_ is not None:
            kwargs["from_"] = from_
        if callback is not None:
            kwargs["status_callback"] = self.receiver.url(callback)
        message = self.client.messages.create(to=to, body=body, **kwargs)
        self.settle()
        return message

    # Time (/_sim/clock)

    def clock(self) -> dict[str, Any]:
        response = self.http.get("/_sim/clock")
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def now(self) -> datetime:
        return datetime.fromisoformat(self.clock()["now"].replace("Z", "+00:00"))

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the virtual clock and wait until everything due by then has run."""
        response = self.http.post("/_sim/clock", data={"Advance": repr(float(seconds))})
        assert response.status_code == 200, response.text
        self.settle()
        state: dict[str, Any] = response.json()
        return state

    def walk(self, seconds: float, step: float = 0.05) -> None:
        """Advance ``seconds`` in steps of ``step``, settling after each (ordered callbacks)."""
        for _ in range(round(seconds / step)):
            self.advance(step)

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until no job is due at the current (virtual) time and none is running."""
        dispatcher = self.server.app.state.dispatcher

        async def drained() -> None:
            async with asyncio.timeout(timeout):
                await dispatcher.drain()

        self.server.call(drained())

    # Observing

    def status(self, sid: str) -> str:
        status: str = self.client.messages(sid).fetch().status
        return status

    def fetch(self, sid: str) -> Any:
        return self.client.messages(sid).fetch()

    def exchange(self, sid: str) -> dict[str, Any]:
        response = self.http.get(f"/_sim/messages/{sid}")
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def timeline(self, sid: str) -> list[tuple[str, str]]:
        """(status, ISO time) for each status the message went through."""
        return [(e["status"], e["at"]) for e in self.exchange(sid)["timeline"]]

    def inbound(self, body: str, to: str = OURS, from_: str = HANDSET) -> dict[str, Any]:
        """A handset texts one of our numbers; returns the exchange once its webhook ran."""
        response = self.http.post(
            "/_sim/inbound",
            content=urlencode({"From": from_, "To": to, "Body": body}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 201, response.text
        self.settle()
        return self.exchange(response.json()["sid"])

    def messages(self, **filters: Any) -> list[Any]:
        return list(self.client.messages.list(**filters))


@contextlib.contextmanager
def running_carrier(receiver: Receiver, **config: Any) -> Iterator[Carrier]:
    base = Config(
        database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN, **config
    )
    with live_server(base, clock=VirtualClock()) as server:
        driver = Carrier(server, receiver)
        try:
            yield driver
        finally:
            driver.close()


@pytest.fixture
def carrier(receiver: Receiver) -> Iterator[Carrier]:
    """A fresh server (in-memory store, virtual clock, default config)."""
    with running_carrier(receiver) as driver:
        yield driver


@pytest.fixture
def make_carrier(receiver: Receiver) -> Iterator[Callable[..., Carrier]]:
    """``make_carrier(seed=1234, throughput=True)``: another fresh server with that Config;
    all of them stop at teardown."""
    with contextlib.ExitStack() as stack:

        def make(**config: Any) -> Carrier:
            return stack.enter_context(running_carrier(receiver, **config))

        yield make


# --- switchboard serve in a subprocess -------------------------------------------------------


@dataclass
class ServerProcess:
    """``python -m switchboard serve`` on a file database, with extra arguments."""

    database: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.database.with_suffix(".log")

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=10)

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "switchboard",
            "serve",
            "--port",
            str(self.port),
            "--database",
            str(self.database),
            *args,
        ]

    @staticmethod
    def env() -> dict[str, str]:
        return {
            **os.environ,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
        }

    def start(self, *args: str) -> ServerProcess:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.command(*args), env=self.env(), stdout=sink, stderr=sink
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
            if self.process.poll() is not None:
                raise RuntimeError(f"switchboard exited early: {self.log.read_text()}")
        raise TimeoutError("switchboard did not start")

    def run_to_exit(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        """Start with ``args`` expecting the server to refuse to start."""
        return subprocess.run(
            self.command(*args),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "switchboard.db")
    yield running
    running.stop()
