"""Running a real switchboard server inside a test process.

``LiveServer`` starts the full ASGI app under uvicorn on a free loopback port, in a thread
with its own event loop, so synchronous clients (the official SDK) can talk to it over real
HTTP while the test keeps running.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import uvicorn

from switchboard.app import Ready, create_app
from switchboard.clock import VirtualClock
from switchboard.config import Config
from switchboard.domain.models import Account
from switchboard.ports import Clock

TEST_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        if not isinstance(clock, VirtualClock):
            raise TypeError("advance() needs a server started with a VirtualClock")
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
    return client
