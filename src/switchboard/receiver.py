"""A webhook receiver for tests: a real HTTP server standing in for the user's app.

:class:`TestReceiver` listens on a random loopback port (stdlib ``ThreadingHTTPServer``,
HTTP/1.1 keep-alive) and records every request exactly as an app framework would see it --
method, full URL rebuilt from the ``Host`` header and the request target, query, headers, raw
body and parsed parameters -- and checks its ``X-Twilio-Signature`` with the official
``twilio.request_validator.RequestValidator`` against the auth token it was given: for GET over
the full URL with params ``{}``, for POST over the URL plus the form parsed into a multi-dict
(:class:`FormParams`, which offers ``getall`` like Flask's MultiDict, so repeated names are
validated the way the SDK validates them).

Answers are programmed per route (the URL path) with :class:`Reply` values (status, body,
content type, headers, delay) or callables ``(Request) -> Reply``; a list of answers is served
in order, its last element repeating. Unprogrammed routes get :attr:`TestReceiver.default`
(``200`` and an empty ``<Response/>``).

Waiting is on a condition, never on a fixed sleep: :meth:`TestReceiver.wait_for` blocks until a
predicate over the recorded requests holds, :meth:`TestReceiver.wait` until N requests reached a
route. Each request also records how it ended (:attr:`Request.end`): ``answered`` once the whole
answer was written, ``aborted`` when the client went away while the answer was held back.

    with TestReceiver(auth_token).start() as receiver:
        url = receiver.route("/sms", "<Response><Message>hi</Message></Response>")
        ...  # point a number's SmsUrl at ``url`` and text it
        [request] = receiver.wait("/sms")
        assert request.signature_valid
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from twilio.request_validator import RequestValidator

__all__ = ["EMPTY_TWIML", "FormParams", "Program", "Reply", "Request", "TestReceiver"]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
TWIML = "text/xml"
WAIT_LIMIT = 10.0  # seconds: how long the waiting helpers wait unless told otherwise
_POLL = 0.05  # how often a held answer looks whether its client is still there

T = TypeVar("T")


class FormParams(dict[str, str]):
    """Parsed form or query parameters: ``params[name]`` is the first value, ``getall`` all.

    ``RequestValidator.get_values`` tries ``getall`` first (Flask's MultiDict), so repeated
    names are signed and validated as the SDK does it.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.pairs = list(pairs)
        for name, value in self.pairs:
            self.setdefault(name, value)

    @classmethod
    def parse(cls, text: str) -> FormParams:
        return cls(parse_qsl(text, keep_blank_values=True))

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


@dataclass(eq=False)
class Request:
    """One request as the app saw it."""

    method: str
    url: str  # scheme://Host + request target: what a framework calls the full URL
    path: str  # the route (no query string)
    query: FormParams
    headers: dict[str, str]  # names lower-cased
    body: bytes
    params: FormParams  # the form body for POST, the query string otherwise
    signature_valid: bool  # a signature was sent and the official validator accepts it
    at: float  # time.monotonic() at arrival: for intervals between requests
    wall: float  # time.time() at arrival: for comparing with events in other processes
    end: str | None = None  # None while being answered, then "answered" or "aborted"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def sid(self) -> str:
        return self.params.get("MessageSid", "")

    @property
    def status(self) -> str:
        return self.params.get("MessageStatus", "")

    def json(self) -> Any:
        """The body parsed as JSON (an Event Streams request: a list of CloudEvents)."""
        return json.loads(self.body)


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


Answer = Reply | Callable[[Request], Reply]
Program = Answer | list[Answer]


class TestReceiver:
    """A programmable, recording, signature-checking HTTP server on a random loopback port."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, auth_token: str, host: str = "127.0.0.1") -> None:
        self.validator = RequestValidator(auth_token)
        self.requests: list[Request] = []
        self.default: Program = Reply(body=EMPTY_TWIML)
        self._routes: dict[str, Program] = {}
        self._served: dict[str, int] = {}
        self._unsigned: set[str] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = _Server((host, 0), _handler(self))
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="test-receiver",
            daemon=True,
        )

    # Lifecycle ----------------------------------------------------------------------------

    def start(self) -> TestReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers holding back an answer
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TestReceiver:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Programming --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/", fragment: str = "") -> str:
        """The absolute URL of ``path`` (which may carry a query), plus ``#fragment``."""
        full = f"{self.base_url}{path}"
        return f"{full}#{fragment}" if fragment else full

    def route(
        self, path: str, answer: Program | str | None = None, *, signed: bool = True, **reply: Any
    ) -> str:
        """Make ``path`` answer with ``answer``; returns its URL.

        ``answer`` is a :class:`Reply`, a callable ``(Request) -> Reply``, a list of those
        (served in turn, the last repeating), a TwiML string, or None; with a string or None the
        keyword arguments are :class:`Reply` fields (``route("/slow", delay=2)``), the body
        defaulting to an empty ``<Response/>``. ``signed=False`` exempts the route from
        :meth:`check_signatures` (its requests are still validated and recorded): for routes
        that other clients call, or requests a test sends unsigned on purpose. (Targets of HTTP
        redirects need no exemption: switchboard signs every hop for its own URL.)
        """
        program: Program
        if answer is None or isinstance(answer, str):
            program = Reply(**{"body": answer or EMPTY_TWIML, **reply})
        else:
            program = answer
        with self._lock:
            self._routes[path] = program
            self._served[path] = 0
            if not signed:
                self._unsigned.add(path)
        return self.url(path)

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            program = self._routes.get(request.path, self.default)
            index = self._served.get(request.path, 0)
            self._served[request.path] = index + 1
        if isinstance(program, list):
            program = program[min(index, len(program) - 1)]
        return program(request) if callable(program) else program

    def _record(self, request: Request) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _ended(self, request: Request, how: str) -> None:
        with self._changed:
            request.end = how
            self._changed.notify_all()

    # Reading what arrived -----------------------------------------------------------------

    def at(self, path: str, sid: str | None = None) -> list[Request]:
        """Requests that reached ``path`` (for one MessageSid), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == path and (sid is None or r.sid == sid)]

    def values(self, path: str, name: str) -> list[str]:
        """The parameter ``name`` of every request to ``path`` ("" where it is missing)."""
        return [r.params.get(name, "") for r in self.at(path)]

    def statuses(self, path: str, sid: str | None = None) -> list[str]:
        """The ``MessageStatus`` of each status callback to ``path``, in arrival order."""
        return [r.status for r in self.at(path, sid)]

    def events(self, path: str) -> list[dict[str, Any]]:
        """Every CloudEvent that reached ``path`` (an Event Streams Sink), in arrival order:
        each request carries a JSON array of them."""
        return _events(self.at(path), path)

    def wait_for_events(
        self,
        path: str,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = WAIT_LIMIT,
        what: str = "the events",
    ) -> list[dict[str, Any]]:
        """Block until ``predicate`` holds over the events received at ``path``; return them."""

        def held(requests: list[Request]) -> list[dict[str, Any]] | None:
            events = _events(requests, path)
            return events if events and predicate(events) else None

        return self.wait_for(held, timeout, what)

    def wait_for(
        self,
        predicate: Callable[[list[Request]], T | None],
        timeout: float = WAIT_LIMIT,
        what: str = "the condition",
    ) -> T:
        """Block until ``predicate(requests)`` is truthy and return its value.

        The predicate is checked again whenever a request arrives or ends, so no time is lost
        polling; it runs under the receiver's lock and must not call back into the receiver.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate(list(self.requests))
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{r.method} {r.path}" for r in self.requests]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; seen: {seen}"
                    )
                self._changed.wait(left)

    def wait(self, path: str, count: int = 1, timeout: float = WAIT_LIMIT) -> list[Request]:
        """Block until at least ``count`` requests reached ``path``; return them all."""

        def arrived(requests: list[Request]) -> list[Request] | None:
            found = [r for r in requests if r.path == path]
            return found if len(found) >= count else None

        return self.wait_for(arrived, timeout, f"{count} request(s) at {path}")

    def quiet(self, path: str, count: int, settle: float = 0.3) -> list[Request]:
        """Wait for ``count`` requests at ``path``, then check that no more follow.

        The one deliberate pause here: proving that nothing *else* arrives takes time.
        """
        self.wait(path, count)
        time.sleep(settle)
        arrived = self.at(path)
        assert len(arrived) == count, f"expected {count} request(s) at {path}, got {len(arrived)}"
        return arrived

    def invalid_signatures(self) -> list[Request]:
        """Requests without a valid ``X-Twilio-Signature`` (``signed=False`` routes aside)."""
        with self._lock:
            return [
                r for r in self.requests if not r.signature_valid and r.path not in self._unsigned
            ]

    def check_signatures(self) -> None:
        """Fail if any request came without a valid signature."""
        bad = self.invalid_signatures()
        assert not bad, "requests with an invalid X-Twilio-Signature: " + ", ".join(
            f"{r.method} {r.url}" for r in bad
        )

    def _hold(self, connection: socket.socket, seconds: float) -> bool:
        """Hold an answer back for ``seconds``; False if the client left or we are stopping."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stopping.is_set():
                return False
            readable, _, _ = select.select([connection], [], [], min(left, _POLL))
            if readable:
                try:
                    if not connection.recv(1, socket.MSG_PEEK):
                        return False  # end of stream: the client hung up
                except OSError:
                    return False
                # A pipelined next request is waiting: it is no news about this one.
                if self._stopping.wait(min(left, _POLL)):
                    return False
        return True

    def _validate(
        self, method: str, url: str, params: FormParams, signature: str, json_body: str | None
    ) -> bool:
        if not signature:
            return False
        if json_body is not None:
            # A JSON webhook (Event Streams): the SDK checks bodySHA256 in the URL against the
            # body and the signature over the URL alone.
            return bool(self.validator.validate(url, json_body, signature))
        return bool(self.validator.validate(url, params if method == "POST" else {}, signature))


def _events(requests: list[Request], path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for request in requests:
        if request.path != path or not request.body:
            continue
        try:
            batch = json.loads(request.body)
        except ValueError:
            continue
        found.extend(e for e in (batch if isinstance(batch, list) else []) if isinstance(e, dict))
    return found


def _json_body(headers: dict[str, str], body: bytes) -> str | None:
    if not headers.get("content-type", "").startswith("application/json"):
        return None
    return body.decode("utf-8", "replace")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Hundreds of connections may open at once under load; the default backlog of 5 would
    # drop SYNs and turn a burst into one-second connect retries.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a slow or huge answer is an expected event here


def _handler(receiver: TestReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a production app server offers
        # Without TCP_NODELAY the small answer of a keep-alive exchange waits for the
        # client's delayed ACK: ~40 ms per request.
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
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._read_body()
            url = (
                f"http://{self.headers.get('Host', f'{receiver.host}:{receiver.port}')}{self.path}"
            )
            split = urlsplit(self.path)
            query = FormParams.parse(split.query)
            headers = {name.lower(): value for name, value in self.headers.items()}
            params = (
                FormParams.parse(body.decode("utf-8", "replace"))
                if self.command == "POST"
                else query
            )
            signature = headers.get("x-twilio-signature", "")
            request = Request(
                method=self.command,
                url=url,
                path=split.path,
                query=query,
                headers=headers,
                body=body,
                params=params,
                signature_valid=receiver._validate(
                    self.command, url, params, signature, _json_body(headers, body)
                ),
                at=time.monotonic(),
                wall=time.time(),
            )
            receiver._record(request)
            reply = receiver._answer(request)
            if reply.delay and not receiver._hold(self.connection, reply.delay):
                self.close_connection = True
                receiver._ended(request, "aborted")
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
                        if not receiver._hold(self.connection, reply.stall):
                            self.close_connection = True
                            receiver._ended(request, "aborted")
                            return
                        payload = payload[half:]
                    self.wfile.write(payload)
                self.wfile.flush()
            except OSError:  # the client gave up (timeout, body too large): expected
                self.close_connection = True
                receiver._ended(request, "aborted")
                return
            receiver._ended(request, "answered")

    return Handler
