"""The carrier simulator suite's machinery: a real callback receiver and a virtual-time driver.

Every test talks to a real switchboard over HTTP: the official ``twilio`` SDK for the REST API,
raw ``httpx`` for ``/_sim``. The server runs with a :class:`~switchboard.clock.VirtualClock`
(frozen at 2026-01-01T12:00:00Z), so nothing here depends on wall time: a test moves time with
``POST /_sim/clock Advance=<seconds>`` and then waits until every job that became due has run
(``Carrier.advance``). Status callbacks go to the ``receiver`` fixture, the public
``switchboard.testing.TestTestReceiver`` (tests/conftest.py): a real HTTP server on a random
loopback port that records each request and validates its ``X-Twilio-Signature`` with the
official ``RequestValidator`` (an invalid signature fails the test at teardown).

Why waiting is exact: a status callback is a job, and the receiver records a request before it
answers, so once the dispatcher has no due or running job every callback of the elapsed virtual
time has been received. Jobs due at the same virtual instant run concurrently, so tests that
check the *order* of callbacks walk the clock in small steps (``Carrier.walk``).

Test modules run under ``--import-mode=importlib`` and cannot import this file; they reach
everything through the fixtures ``receiver``, ``carrier``, ``make_carrier`` and (from
tests/conftest.py) ``server_process``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from switchboard.clock import VirtualClock
from switchboard.config import Config
from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    TestReceiver,
    live_server,
    sdk_client,
)

# Fictional NANP numbers (555-01xx) for our side, and handsets.
OURS = "+15555550100"
HANDSET = "+15555550199"


# --- The virtual-time driver -----------------------------------------------------------------


class Carrier:
    """One switchboard with a virtual clock, driven through the SDK and ``/_sim``."""

    def __init__(self, server: LiveServer, receiver: TestReceiver) -> None:
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
def running_carrier(receiver: TestReceiver, **config: Any) -> Iterator[Carrier]:
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
def carrier(receiver: TestReceiver) -> Iterator[Carrier]:
    """A fresh server (in-memory store, virtual clock, default config)."""
    with running_carrier(receiver) as driver:
        yield driver


@pytest.fixture
def make_carrier(receiver: TestReceiver) -> Iterator[Callable[..., Carrier]]:
    """``make_carrier(seed=1234, throughput=True)``: another fresh server with that Config;
    all of them stop at teardown."""
    with contextlib.ExitStack() as stack:

        def make(**config: Any) -> Carrier:
            return stack.enter_context(running_carrier(receiver, **config))

        yield make
