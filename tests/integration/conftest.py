"""End-to-end machinery for the webhook engine: TwiML helpers and a simulator driver.

The receiver (fixture ``receiver``, tests/conftest.py) is ``switchboard.testing.TestReceiver``:
a real HTTP/1.1 server on a random loopback port that records every request, validates its
``X-Twilio-Signature`` with the official ``RequestValidator`` (an invalid one fails the test at
teardown) and answers each route as programmed with ``Reply`` values. The helpers here build
TwiML with the official ``twilio.twiml.messaging_response.MessagingResponse``.

The **simulator driver** (:class:`Sim`, fixture ``sim``) wraps ``/_sim`` (raw httpx with Basic
auth) and the official SDK client: create numbers/services, inject inbound messages, and wait --
by bounded polling (0.02 s steps, 10 s at most), never by fixed sleeps -- until an exchange has
settled (``Sim.settled``), a message reached a status (``Sim.status``) or N requests reached a
route (``receiver.wait``). The one deliberate pause is ``receiver.quiet``, which proves that
*no more* requests follow (for "exactly N callbacks" checks).

Test modules run under ``--import-mode=importlib`` and cannot import this file; everything they
need is reached through the fixtures (``receiver``, ``sim``, ``twiml``, ``reply``,
``closed_url``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from twilio.twiml.messaging_response import MessagingResponse

from switchboard.receiver import Reply
from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    TestReceiver,
    free_port,
)

POLL_STEP = 0.02
POLL_LIMIT = 10.0

# Fictional NANP numbers (555-01xx).
OUR_NUMBER = "+14155550100"
HANDSET = "+14155550199"

TWIML = "text/xml"


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

    def healthy(self, receiver: TestReceiver, number: Any) -> None:
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
