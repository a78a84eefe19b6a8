"""End-to-end machinery for the webhook engine: a real receiver and a simulator driver.

The **receiver** (:class:`Receiver`, fixture ``receiver``) is what a customer's app is to
switchboard: a real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``, keep-alive, Nagle off, see
TOOLING.md) on a random loopback port. It records every request exactly as an app framework
would see it -- method, full URL rebuilt from the ``Host`` header and the request target,
headers, raw body, parsed parameters -- and validates every ``X-Twilio-Signature`` with the
official ``twilio.request_validator.RequestValidator``: for GET over the full URL with params
``{}``, for POST over the URL plus the form parsed into a multi-dict the SDK understands
(:class:`FormParams`, which offers ``getall`` like Flask's MultiDict). A request with an invalid
signature fails the test at teardown even if the test never looked at it.

Answers are programmed per route (the URL path) with :class:`Reply` values (status, content
type, body, delay, extra headers) or callables ``(Request) -> Reply``; a list of replies is
served in order, its last element repeating. Unprogrammed routes answer ``200 <Response/>``.
The helpers build TwiML with the official ``twilio.twiml.messaging_response.MessagingResponse``.

The **simulator driver** (:class:`Sim`, fixture ``sim``) wraps ``/_sim`` (raw httpx with Basic
auth) and the official SDK client: create numbers/services, inject inbound messages, and wait --
by bounded polling (0.02 s steps, 10 s at most), never by fixed sleeps -- until an exchange has
settled (``Sim.settled``), a message reached a status (``Sim.status``) or N requests reached a
route (``Receiver.wait``). The one deliberate pause is ``Receiver.quiet``, which proves that
*no more* requests follow (for "exactly N callbacks" checks).

Test modules run under ``--import-mode=importlib`` and cannot import this file; everything they
need is reached through the fixtures (``receiver``, ``sim``, ``twiml``, ``reply``,
``closed_url``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, free_port

POLL_STEP = 0.02
POLL_LIMIT = 10.0

# Fictional NANP numbers (555-01xx).
OUR_NUMBER = "+14155550100"
HANDSET = "+14155550199"

TWIML = "text/xml"


# --- Parameters ------------------------------------------------------------------------------


class FormParams(dict[str, str]):
    """Parsed form/query parameters: ``params[name]`` is the first value, ``getall`` all of them.

    ``RequestValidator.get_values`` tries ``getall`` first (Flask's MultiDict), so repeated
    names are signed the way the SDK validates them.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.pairs = list(pairs)
        for name, value in self.pairs:
            self.setdefault(name, value)

    @classmethod
    def parse(cls, text: str) -> FormParams:
        return cls(parse_qsl(text, keep_blank_values=True, strict_parsing=False))

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


# --- The receiver ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request as the app saw it."""

    method: str
    url: str  # scheme://Host + request target: what a framework calls the full URL
    path: str  # the route (no query string)
    query: FormParams
    headers: dict[str, str]  # names lower-cased
    body: bytes
    params: FormParams  # the form body for POST, the query string for GET
    signature_valid: bool
    at: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """How a route answers."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = TWIML
    delay: float = 0.0  # seconds before the status line is written
    stall: float = 0.0  # seconds to pause after the headers and half of the body
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


Program = Reply | Callable[[Request], Reply] | list[Reply | Callable[[Request], Reply]]

EMPTY_TWIML = str(MessagingResponse())


class Receiver:
    """A programmable, recording, signature-validating HTTP server on a random loopback port."""

    def __init__(self, auth_token: str = TEST_AUTH_TOKEN) -> None:
        self.validator = RequestValidator(auth_token)
        self.requests: list[Request] = []
        self._routes: dict[str, Program] = {}
        self._served: dict[str, int] = {}
        self._unsigned: set[str] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # Lifecycle

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers sleeping in a slow answer
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # Programming

    def url(self, path: str, fragment: str = "") -> str:
        """The absolute URL of ``path`` (which may carry a query), plus ``#fragment``."""
        full = f"http://127.0.0.1:{self.port}{path}"
        return f"{full}#{fragment}" if fragment else full

    def route(self, path: str, program: Program, *, signed: bool = True) -> str:
        """Make ``path`` answer with ``program``; returns its URL.

        ``signed=False`` exempts the route from the teardown signature check (its requests
        are still validated and recorded): only for targets of HTTP redirects, whose
        signature Twilio computes for the URL it was configured with, not the one it lands on.
        """
        with self._lock:
            self._routes[path] = program
            self._served[path] = 0
            if not signed:
                self._unsigned.add(path)
        return self.url(path)

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            program = self._routes.get(request.path, Reply(body=EMPTY_TWIML))
            index = self._served.get(request.path, 0)
            self._served[request.path] = index + 1
        if isinstance(program, list):
            program = program[min(index, len(program) - 1)]
        return program(request) if callable(program) else program

    def _record(self, request: Request) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    # Reading what arrived

    def at(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait(self, path: str, count: int = 1, timeout: float = POLL_LIMIT) -> list[Request]:
        """Block until at least ``count`` requests reached ``path``; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                arrived = [r for r in self.requests if r.path == path]
                if len(arrived) >= count:
                    return arrived
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{r.method} {r.path}" for r in self.requests]
                    raise AssertionError(
                        f"{len(arrived)} of {count} request(s) reached {path} in {timeout}s; "
                        f"seen: {seen}"
                    )
                self._changed.wait(min(left, POLL_STEP * 5))

    def quiet(self, path: str, count: int, settle: float = 0.3) -> list[Request]:
        """Wait for ``count`` requests at ``path``, then check that no more follow."""
        self.wait(path, count)
        time.sleep(settle)
        arrived = self.at(path)
        assert len(arrived) == count, f"expected {count} request(s) at {path}, got {len(arrived)}"
        return arrived

    def invalid_signatures(self) -> list[Request]:
        with self._lock:
            return [
                r for r in self.requests if not r.signature_valid and r.path not in self._unsigned
            ]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up on a slow or huge answer is an expected event here.
        pass


def _make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._read_body()
            host = self.headers.get("Host", f"127.0.0.1:{receiver.port}")
            url = f"http://{host}{self.path}"
            split = urlsplit(self.path)
            query = FormParams.parse(split.query)
            headers = {name.lower(): value for name, value in self.headers.items()}
            signature = headers.get("x-twilio-signature", "")
            if self.command == "POST":
                params = FormParams.parse(body.decode("utf-8"))
                valid = receiver.validator.validate(url, params, signature)
            else:
                params = query
                valid = receiver.validator.validate(url, {}, signature)
            request = Request(
                method=self.command,
                url=url,
                path=split.path,
                query=query,
                headers=headers,
                body=body,
                params=params,
                signature_valid=bool(signature) and valid,
                at=time.monotonic(),
            )
            receiver._record(request)
            reply = receiver._answer(request)
            if reply.delay and receiver._stopping.wait(reply.delay):
                self.close_connection = True
                return
            payload = reply.encoded()
            try:
                self.send_response(reply.status)
                if reply.content_type is not None:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    if reply.stall:
                        half = len(payload) // 2
                        self.wfile.write(payload[:half])
                        self.wfile.flush()
                        if receiver._stopping.wait(reply.stall):
                            self.close_connection = True
                            return
                        payload = payload[half:]
                    self.wfile.write(payload)
                self.wfile.flush()
            except OSError:  # the client gave up (timeout, body too large): expected
                self.close_connection = True

    return Handler


# --- TwiML -----------------------------------------------------------------------------------


class Twiml:
    """Replies built with the official ``MessagingResponse``."""

    @staticmethod
    def response() -> MessagingResponse:
        return MessagingResponse()

    @staticmethod
    def reply(response: MessagingResponse, status: int = 200) -> Reply:
        return Reply(status=status, body=str(response), content_type=TWIML)

    def message(self, body: str, **attributes: Any) -> Reply:
        response = MessagingResponse()
        response.message(body, **attributes)
        return self.reply(response)

    def empty(self) -> Reply:
        return self.reply(MessagingResponse())

    @staticmethod
    def text(body: str) -> Reply:
        return Reply(body=body, content_type="text/plain; charset=utf-8")


# --- The simulator driver --------------------------------------------------------------------


class Sim:
    """``/_sim`` over httpx (Basic auth) plus the official SDK client."""

    def __init__(self, server: LiveServer, client: Any) -> None:
        self.server = server
        self.client = client
        self.http = httpx.Client(
            base_url=server.base_url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=15
        )

    def close(self) -> None:
        self.http.close()

    # Configuration through the official SDK

    def number(self, phone_number: str = OUR_NUMBER, **settings: Any) -> Any:
        return self.client.incoming_phone_numbers.create(phone_number=phone_number, **settings)

    def service(self, **settings: Any) -> Any:
        settings.setdefault("friendly_name", "integration")
        return self.client.messaging.v1.services.create(**settings)

    def add_to_service(self, service: Any, number: Any) -> Any:
        return self.client.messaging.v1.services(service.sid).phone_numbers.create(
            phone_number_sid=number.sid
        )

    # The handset side

    def inbound(
        self,
        body: str = "Hello",
        *,
        to: str = OUR_NUMBER,
        from_: str = HANDSET,
        extra: Sequence[tuple[str, str]] = (),
        files: Any = None,
    ) -> dict[str, Any]:
        data = [("From", from_), ("To", to), ("Body", body), *extra]
        if files is not None:
            fields: dict[str, list[str]] = {}
            for name, value in data:
                fields.setdefault(name, []).append(value)
            response = self.http.post("/_sim/inbound", data=fields, files=files)
        else:
            response = self.http.post(
                "/_sim/inbound",
                content=urlencode(data).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    # Observing

    def exchange(self, sid: str) -> dict[str, Any]:
        response = self.http.get(f"/_sim/messages/{sid}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def webhooks(self, sid: str | None = None) -> list[dict[str, Any]]:
        params = {"MessageSid": sid} if sid else {}
        response = self.http.get("/_sim/webhooks", params=params)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()["webhooks"]
        return result

    def settled(
        self,
        sid: str,
        *,
        replies: int = 0,
        attempts: int = 1,
        timeout: float = POLL_LIMIT,
    ) -> dict[str, Any]:
        """Poll ``GET /_sim/messages/{sid}`` until the incoming exchange is done: no webhook
        job pending, at least ``attempts`` recorded attempts and ``replies`` replies.

        Both conditions matter: an exchange's attempts and replies are committed together with
        the removal of its job, but the endpoint reads them and the pending flag in separate
        queries, so "not pending" alone can be reported with a stale, empty attempt list
        (see test_sim_control.py). Once one attempt is visible, all of the job's are.
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self.exchange(sid)
            if (
                not state["webhook_pending"]
                and len(state["webhooks"]) >= attempts
                and len(state["replies"]) >= replies
            ):
                return state
            if time.monotonic() > deadline:
                summary = [
                    (a["kind"], a["attempt"], a["error_code"], a["error_detail"])
                    for a in state["webhooks"]
                ]
                raise AssertionError(
                    f"exchange {sid} did not settle in {timeout}s: pending="
                    f"{state['webhook_pending']}, {len(state['replies'])} of {replies} "
                    f"replies, attempts {summary} (expected {attempts})"
                )
            time.sleep(POLL_STEP)

    def status(self, sid: str, wanted: str, timeout: float = POLL_LIMIT) -> Any:
        """Poll the SDK until message ``sid`` reaches ``wanted``; return the SDK instance."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.client.messages(sid).fetch()
            if message.status == wanted:
                return message
            if time.monotonic() > deadline:
                raise AssertionError(f"{sid} is {message.status!r}, never became {wanted!r}")
            time.sleep(POLL_STEP)

    def healthy(self, receiver: Receiver, number: Any) -> None:
        """The server still works: point ``number`` at a good route and run one exchange."""
        url = receiver.route("/healthy", Twiml().message("still alive"))
        self.client.incoming_phone_numbers(number.sid).update(
            sms_url=url, sms_method="POST", sms_fallback_url=""
        )
        inbound = self.inbound("are you there?", to=number.phone_number)
        state = self.settled(inbound["sid"], replies=1)
        assert state["webhooks"][-1]["error_code"] is None
        assert [r["body"] for r in state["replies"]] == ["still alive"]
        assert self.server.loop is not None
        assert self.server.loop.is_running()


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    try:
        yield running
        bad = running.invalid_signatures()
        assert not bad, "requests with an invalid X-Twilio-Signature: " + ", ".join(
            f"{r.method} {r.url}" for r in bad
        )
    finally:
        running.stop()


@pytest.fixture
def sim(server: LiveServer, client: Any) -> Iterator[Sim]:
    driver = Sim(server, client)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def twiml() -> Twiml:
    return Twiml()


@pytest.fixture
def closed_url() -> Callable[[str], str]:
    """A URL on a loopback port where nothing listens (connections are refused)."""
    port = free_port()

    def make(path: str = "/refused") -> str:
        return f"http://127.0.0.1:{port}{path}"

    return make


@pytest.fixture
def reply() -> type[Reply]:
    """The :class:`Reply` type, for programming receiver routes in test modules."""
    return Reply
