"""Running a real switchboard server inside a test process.

``LiveServer`` starts the full ASGI app under uvicorn on a free loopback port, in a thread
with its own event loop, so synchronous clients (the official SDK) can talk to it over real
HTTP while the test keeps running.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import uvicorn

from switchboard.app import Ready, create_app
from switchboard.clock import ControllableClock, VirtualClock
from switchboard.config import (
    DEFAULT_HANDSET,
    DEFAULTS,
    PLUGIN_LOOP_PROTECTION,
    SERVER_IDLE_SECONDS,
    Config,
)
from switchboard.domain.content import WINDOW
from switchboard.domain.events import EVENT_TYPES, TEST_EVENT_TYPE
from switchboard.domain.models import Account
from switchboard.ports import Clock
from switchboard.receiver import TestReceiver as TestReceiver  # public: users' tests reuse it
from switchboard.services.search import MAX_WAIT_SECONDS, TIMED_OUT
from switchboard.simclient import SimClient, SimError, SimRequest

TEST_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"


# Ports handed out for a server to bind later lie below every system's default ephemeral range
# (Linux 32768-60999, macOS and Windows 49152-65535). A port the kernel handed out for ``bind(0)``
# comes from that range, so a free port found the old way (bind to 0, close) could be handed to
# the next ``bind(0)`` -- a test receiver's, a client's source port -- before the server took it,
# and the server's health check would then hear the wrong process.
_FIXED_PORTS = range(20000, 32768)
_PICK = random.SystemRandom()  # not the seeded module RNG: parallel workers would pick alike


def free_port() -> int:
    """A loopback port free now, for a server to bind a moment later (see ``_FIXED_PORTS``)."""
    low = min(_FIXED_PORTS.stop, _ephemeral_floor())
    for _ in range(200):
        port = _PICK.randrange(_FIXED_PORTS.start, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken: another listener, or a socket still in TIME_WAIT
            return port
    raise RuntimeError(f"no free loopback port in {_FIXED_PORTS.start}-{low - 1}")


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out for ``bind(0)`` (Linux tells; elsewhere 49152)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            return max(_FIXED_PORTS.start + 1000, int(ranges.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return 49152


class LiveServer:
    """A running server: its base URL, main account and the app (for its services)."""

    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock
        self._ready = threading.Event()
        self._account: Account | None = None
        self.app = create_app(config, clock=clock, on_ready=self._on_ready)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=config.host,
                port=config.port,
                log_level="warning",
                lifespan="on",
                access_log=False,
                timeout_keep_alive=SERVER_IDLE_SECONDS,
            )
        )
        self._thread = threading.Thread(target=self._serve, name="switchboard-live", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def _on_ready(self, ready: Ready) -> None:
        self._account = ready.account

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._server.serve())
        finally:
            self.loop.close()

    def start(self, timeout: float = 10.0) -> LiveServer:
        self._thread.start()
        deadline = timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("switchboard failed to start")
            deadline -= 0.01
            if deadline <= 0:
                raise TimeoutError("switchboard did not start in time")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self.app.state.shutdown.give()  # streams end first (shutdown.py)
        self._server.should_exit = True
        self._thread.join(timeout=10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    @property
    def account(self) -> Account:
        assert self._account is not None, "the server has not started"
        return self._account

    def call(self, coro: object) -> object:
        """Run a coroutine on the server's loop (for reaching its services from a test)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)  # type: ignore[arg-type]

    def advance(self, seconds: float) -> None:
        """Move a virtual clock forward, waking whatever was waiting on it."""
        clock = self.clock
        if not isinstance(clock, ControllableClock):
            raise TypeError("advance() needs a server started with a ControllableClock")
        assert self.loop is not None

        async def step() -> None:
            clock.advance(seconds)

        asyncio.run_coroutine_threadsafe(step(), self.loop).result(timeout=10)


@contextmanager
def live_server(config: Config | None = None, clock: Clock | None = None) -> Iterator[LiveServer]:
    """A started server on a free port (in-memory SQLite unless the config says otherwise)."""
    base = config or Config(
        database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN
    )
    server = LiveServer(replace(base, port=free_port()), clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sdk_client(
    server: LiveServer,
    username: str = TEST_ACCOUNT_SID,
    password: str = TEST_AUTH_TOKEN,
    account_sid: str | None = None,
    **kwargs: object,
) -> object:
    """An official ``twilio.rest.Client`` pointed at ``server`` (the SDK is imported lazily)."""
    from twilio.rest import Client

    client = Client(username, password, account_sid, **kwargs)
    client.api.base_url = server.base_url
    client.messaging.base_url = server.base_url
    client.events.base_url = server.base_url
    client.content.base_url = server.base_url
    return client


# ---------------------------------------------------------------------------------------------
# The pytest plugin's harness: one switchboard per test, driven like a phone.

DEFAULT_NUMBER = "+15005550006"


@dataclass(frozen=True, slots=True)
class Reply:
    """A message the app sent back (an ``outbound-reply``)."""

    sid: str
    to: str
    from_: str
    body: str
    status: str
    num_media: int


class Replies(list[Reply]):
    @property
    def bodies(self) -> list[str]:
        return [reply.body for reply in self]


class ThreadedWSGITransport(httpx.AsyncBaseTransport):
    """Calls a WSGI app (Flask, Django, ...) on a worker thread, so the event loop stays free."""

    def __init__(self, app: Any) -> None:
        self._sync = httpx.WSGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()

        def call() -> tuple[int, httpx.Headers, bytes]:
            response = self._sync.handle_request(request)
            return response.status_code, response.headers, response.read()

        status, headers, content = await asyncio.to_thread(call)
        return httpx.Response(status, headers=headers, content=content)


class ThreadedASGITransport(httpx.AsyncBaseTransport):
    """Calls an ASGI app on an event loop of its own, in its own thread.

    The app under test may make blocking calls back to switchboard (the synchronous twilio
    Client); on the server's loop that would deadlock.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="switchboard-asgi-app", daemon=True
        )
        self._thread.start()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            response = await self._inner.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        status, headers, content = await asyncio.wrap_future(future)
        return httpx.Response(status, headers=headers, content=content)

    async def aclose(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


def is_asgi(app: Any) -> bool:
    call = app if inspect.isfunction(app) else getattr(app, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app)


ALL_EVENT_TYPES: tuple[str, ...] = tuple(EVENT_TYPES)
MAX_EVENT_ATTEMPTS = 5000  # the most /_sim/webhooks lists at once


class Switchboard:
    """switchboard for one test: numbers wired to your app, texts, messages, the clock."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self._sim = _AssertingSimClient(server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
        self._client: Any = None
        self._apps = 0
        self._numbers: list[str] = []
        self.expected_webhook_errors = 0

    @classmethod
    @contextmanager
    def running(
        cls,
        *,
        loop_protection: bool = PLUGIN_LOOP_PROTECTION,
        content_approval: str = DEFAULTS.content_approval,
    ) -> Iterator[Switchboard]:
        """A switchboard on a frozen virtual clock; ``loop_protection`` and
        ``content_approval`` as in config.py."""
        config = Config(
            database=":memory:",
            account_sid=TEST_ACCOUNT_SID,
            auth_token=TEST_AUTH_TOKEN,
            loop_protection=loop_protection,
            content_approval=content_approval,
        )
        with live_server(config, clock=VirtualClock()) as server:
            harness = cls(server)
            try:
                yield harness
            finally:
                harness._sim.close()

    # Credentials and clients ----------------------------------------------------------------

    base_url = property(lambda self: self.server.base_url)
    account_sid = TEST_ACCOUNT_SID
    auth_token = TEST_AUTH_TOKEN

    @property
    def client(self) -> Any:
        """An official ``twilio.rest.Client`` pointed at this switchboard."""
        if self._client is None:
            self._client = sdk_client(self.server)
        return self._client

    # Numbers ----------------------------------------------------------------------------------

    def number(
        self,
        app: Any = None,
        *,
        phone_number: str | None = None,
        path: str = "/",
        method: str = "POST",
        fallback: str | None = None,
    ) -> str:
        """Claim a number whose incoming messages go to ``app``: a URL, or an ASGI or WSGI
        application object called in-process (no port needed). Returns the number."""
        phone = phone_number or (DEFAULT_NUMBER if not self._numbers else None)
        if phone is None:
            phone = f"+1555010{len(self._numbers):04d}"
        data = {"PhoneNumber": phone, "SmsMethod": method}
        if app is not None:
            data["SmsUrl"] = app if isinstance(app, str) else self.mount(app) + path
        if fallback:
            data["SmsFallbackUrl"] = fallback
        self._sim.request("POST", self._v2010("IncomingPhoneNumbers.json"), data=data)
        self._numbers.append(phone)
        return phone

    def mount(self, app: Any) -> str:
        """Serve ``app`` in-process at a private origin and return that origin."""
        self._apps += 1
        origin = f"http://app{self._apps}.switchboard.test"
        transport: httpx.AsyncBaseTransport = (
            ThreadedASGITransport(app) if is_asgi(app) else ThreadedWSGITransport(app)
        )
        self.server.app.state.transport.mount(origin, transport)
        return origin

    # Texting --------------------------------------------------------------------------------

    def text(
        self,
        body: str = "",
        *,
        to: str | None = None,
        from_: str = DEFAULT_HANDSET,
        media_urls: Sequence[str] = (),
        **extras: str,
    ) -> Replies:
        """Send ``body`` from a handset to one of your numbers; return the app's replies."""
        if to is None:
            if not self._numbers:
                raise RuntimeError("create a number first: switchboard.number(app)")
            to = self._numbers[-1]
        message = self._sim.inbound(from_, to, body, media_urls=media_urls, **extras)
        self.settle()
        exchange = self._sim.exchange(message["sid"])
        return Replies(
            Reply(r["sid"], r["to"], r["from"], r["body"], r["status"], int(r["num_media"]))
            for r in exchange["replies"]
        )

    def whatsapp(
        self, body: str = "", *, to: str | None = None, from_: str = DEFAULT_HANDSET, **extras: str
    ) -> Replies:
        """Like :meth:`text`, on WhatsApp: ``whatsapp:`` addresses for both ends."""
        if to is None:
            if not self._numbers:
                raise RuntimeError("create a number first: switchboard.number(app)")
            to = self._numbers[-1]
        return self.text(body, to=_whatsapp(to), from_=_whatsapp(from_), **extras)

    def tap(self, message: str | dict[str, Any], button: str) -> Replies:
        """The recipient of ``message`` (a SID or its JSON) taps the button or list item
        ``button`` (its id) of the template it was sent from; return the app's replies."""
        sid = message if isinstance(message, str) else str(message["sid"])
        sent = self._sim.exchange(sid)["message"]
        return self.text(
            to=sent["from"],
            from_=sent["to"],
            OriginalRepliedMessageSid=sid,
            ButtonPayload=button,
        )

    # WhatsApp templates -----------------------------------------------------------------------

    def template(
        self,
        types: dict[str, Any],
        *,
        variables: dict[str, str] | None = None,
        friendly_name: str = "",
        language: str = "en",
    ) -> str:
        """Create a Content API template; returns its SID (HX...)."""
        body = {"friendly_name": friendly_name, "language": language, "types": types,
                "variables": variables or {}}  # fmt: skip
        created = self._sim.request("POST", "/v1/Content", json=body)
        return str(created["sid"])

    def approve(self, content_sid: str) -> None:
        """WhatsApp approves the template (submitted first if it never was)."""
        self._sim.content_approval(content_sid, "approved")

    def reject(self, content_sid: str, reason: str | None = None) -> None:
        self._sim.content_approval(content_sid, "rejected", reason)

    def jump_past_window(self) -> None:
        """Advance the clock past the WhatsApp customer service window (24 hours after the
        user's last message): free-form WhatsApp messages now fail with 63016."""
        self.advance(WINDOW.total_seconds() + 1)

    # Looking around -------------------------------------------------------------------------

    def messages(self, **filters: str) -> list[dict[str, Any]]:
        """Messages as Twilio JSON, newest first (filters: To, From, DateSent...)."""
        params = {"PageSize": "1000", **filters}
        page = self._sim.request("GET", self._v2010("Messages.json"), params=params)
        messages: list[dict[str, Any]] = page["messages"]
        return messages

    def webhooks(self, message_sid: str | None = None) -> list[dict[str, Any]]:
        """Every webhook attempt (requests to your app and their responses)."""
        attempts: list[dict[str, Any]] = self._sim.webhooks(message_sid or None)["webhooks"]
        return attempts

    def failed_webhooks(self) -> list[dict[str, Any]]:
        return [attempt for attempt in self.webhooks() if attempt["error_code"]]

    def wait_for_message(
        self,
        *,
        body: str | None = None,
        to: str | None = None,
        status: str | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The newest message matching a body regex, recipient and/or status; if none does yet,
        the server answers as soon as one does (``GET /_sim/messages`` with ``Wait``)."""
        self.settle()
        deadline = time.monotonic() + timeout
        while True:
            wait = min(max(deadline - time.monotonic(), 0.0), MAX_WAIT_SECONDS)
            try:
                found = self._sim.messages(body=body, to=to, status=status, limit=1, wait=wait)
            except SimError:  # only a Wait's 408 gets here (see _AssertingSimClient)
                found = {"messages": []}
            if found["messages"]:
                message: dict[str, Any] = found["messages"][0]
                return message
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no message matched body={body!r} to={to!r} status={status!r}"
                )

    # Event Streams ------------------------------------------------------------------------------

    def event_sink(
        self,
        app: Any,
        *,
        types: Sequence[str] = ALL_EVENT_TYPES,
        batch: bool = False,
        path: str = "/",
    ) -> EventSink:
        """Subscribe ``app`` (a URL, or an ASGI/WSGI app called in-process) as an active Event
        Streams Sink for ``types``, validated the way a user would (test event, then its
        ``test_id``), and return it to assert on the events it was sent."""
        url = app if isinstance(app, str) else self.mount(app) + path
        config = json.dumps({"destination": url, "method": "POST", "batch_events": batch})
        sink = self._sim.request(
            "POST",
            "/v1/Sinks",
            data={"Description": "pytest", "SinkType": "webhook", "SinkConfiguration": config},
        )
        self._sim.request("POST", f"/v1/Sinks/{sink['sid']}/Test", data={})
        self.settle()
        [test] = [e for e in _sent_events(self, sink["sid"]) if e["type"] == TEST_EVENT_TYPE]
        test_id = test["data"]["test_id"]
        self._sim.request("POST", f"/v1/Sinks/{sink['sid']}/Validate", data={"TestId": test_id})
        first, *others = types
        subscription = self._sim.request(
            "POST",
            "/v1/Subscriptions",
            data={
                "Description": "pytest",
                "SinkSid": sink["sid"],
                "Types": json.dumps({"type": first}),
            },
        )
        for type_ in others:
            path = f"/v1/Subscriptions/{subscription['sid']}/SubscribedEvents"
            self._sim.request("POST", path, data={"Type": type_})
        return EventSink(self, sink["sid"])

    # The carrier --------------------------------------------------------------------------------

    def scenario(self, **rule: Any) -> None:
        """Add a carrier scenario, e.g. ``scenario(to="+1555*", outcome="undelivered",
        error_code=30003)`` (use ``from_`` for the sender pattern; see docs/carrier.md)."""
        if "from_" in rule:
            rule["from"] = rule.pop("from_")
        self._sim.add_scenario(rule)

    def clear_scenarios(self) -> None:
        self._sim.clear_scenarios()

    # Time -------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the virtual clock; everything due by then (carrier steps, callbacks) runs."""
        self.server.advance(seconds)
        self.settle()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until no job is due now and none is running."""
        dispatcher = self.server.app.state.dispatcher

        async def drained() -> None:
            async with asyncio.timeout(timeout):
                await dispatcher.drain()

        self.server.call(drained())

    # ------------------------------------------------------------------------------------------

    def _v2010(self, path: str) -> str:
        return f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/{path}"


def _sent_events(harness: Switchboard, sink_sid: str) -> list[dict[str, Any]]:
    """Every event sent to the Sink, from the attempt log (whatever the app answered), each
    once (de-duplicated by ``id``), in the order they were first sent."""
    attempts = harness._sim.webhooks(kind="event", limit=MAX_EVENT_ATTEMPTS)["webhooks"]
    seen: dict[str, dict[str, Any]] = {}
    for attempt in attempts:
        if f"Sink {sink_sid}" not in attempt["error_detail"]:
            continue
        for event in json.loads(attempt["request"]["body"] or "[]"):
            seen.setdefault(event["id"], event)
    return list(seen.values())


class EventSink:
    """An Event Streams Sink subscribed by :meth:`Switchboard.event_sink`."""

    def __init__(self, harness: Switchboard, sid: str) -> None:
        self._harness = harness
        self.sid = sid

    def events(
        self, type: str | None = None, *, message_sid: str | None = None
    ) -> list[dict[str, Any]]:
        """The CloudEvents sent to this Sink so far (after running what is due), test event
        aside; ``type`` and ``message_sid`` narrow them. A batching Sink's events wait a second
        of the virtual clock for company: ``switchboard.advance(1)`` sends them."""
        self._harness.settle()
        return [
            event
            for event in _sent_events(self._harness, self.sid)
            if event["type"] != TEST_EVENT_TYPE
            and (type is None or event["type"] == type)
            and (message_sid is None or event["data"].get("messageSid") == message_sid)
        ]

    def types(self, message_sid: str | None = None) -> list[str]:
        """The types of the events sent, in order (``message_sid``: one message's)."""
        return [event["type"] for event in self.events(message_sid=message_sid)]


def _whatsapp(address: str) -> str:
    return address if address.startswith("whatsapp:") else f"whatsapp:{address}"


class _AssertingSimClient(SimClient):
    """In a test, a request switchboard refuses is a failed assertion, with its answer."""

    def _send(self, request: SimRequest) -> dict[str, Any]:
        try:
            return super()._send(request)
        except SimError as error:
            if error.code == TIMED_OUT:
                raise  # a Wait that ended with no match: the caller words the assertion
            raise AssertionError(f"switchboard answered {error.status}: {error.text}") from None
