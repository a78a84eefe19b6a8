"""The incoming-message exchange (webhooks/incoming.py) without sockets.

The services run over an in-memory SQLite store with a virtual clock; the webhook exchange
talks to :class:`FakeApp`, an implementation of the ``Transport`` port that answers each path
as programmed and records every request (checking its ``X-Twilio-Signature`` with the official
validator). An inbound message is received by the inbound service, its job claimed, run by
``IncomingWebhooks`` and finished in the store, as the dispatcher would: milliseconds a test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from switchboard.clock import VirtualClock
from switchboard.compose import sid_factory
from switchboard.config import Config
from switchboard.domain.jobs import IncomingDelivery
from switchboard.domain.models import Account, Message, WebhookAttempt
from switchboard.services.container import Services
from switchboard.services.inbound import InboundMessage
from switchboard.services.runtime import Runtime
from switchboard.storage.sqlite import SqliteStore
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from switchboard.transport import Failure, HttpResult, OutboundRequest, answered, failed
from switchboard.webhooks.delivery import Deliverer
from switchboard.webhooks.incoming import MAX_DOCUMENTS, IncomingWebhooks
from switchboard.webhooks.replay import Replay

APP = "https://app.example"
OURS = "+15555550100"
HANDSET = "+14155550123"


def twiml(inner: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


@dataclass(frozen=True)
class Sent:
    """One request the app received."""

    method: str
    url: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    signature_valid: bool


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = twiml()
    content_type: str = "text/xml"
    set_cookies: tuple[str, ...] = ()
    failure: Failure | None = None  # instead of an answer: the transport failed this way


TIMEOUT = Answer(failure=Failure.READ)


@dataclass
class FakeApp:
    """The ``Transport`` port as the user's app: answers by path, records every request."""

    routes: dict[str, Answer | Callable[[Sent], Answer]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    validator: RequestValidator = field(default_factory=lambda: RequestValidator(TEST_AUTH_TOKEN))

    def route(self, path: str, answer: Answer | Callable[[Sent], Answer] | str) -> str:
        self.routes[path] = Answer(body=answer) if isinstance(answer, str) else answer
        return APP + path

    def at(self, path: str) -> list[Sent]:
        return [s for s in self.sent if s.path == path]

    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult:
        split = urlsplit(request.url)
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        params = form if request.method == "POST" else dict(parse_qsl(split.query))
        headers = {name.lower(): value for name, value in request.headers.items()}
        signature = headers.get("x-twilio-signature", "")
        valid = self.validator.validate(request.url, form, signature)
        sent = Sent(request.method, request.url, split.path, params, headers, valid)
        self.sent.append(sent)
        program = self.routes.get(split.path, Answer())
        answer = program(sent) if callable(program) else program
        started = 0.0
        if answer.failure is not None:
            return failed(answer.failure, 11205, "no response within the read timeout", started)
        return answered(
            answer.status,
            {"content-type": answer.content_type},
            answer.body.encode(),
            False,
            started,
            answer.set_cookies,
        )

    async def aclose(self) -> None:
        pass


@dataclass
class Exchange:
    """Services, store and clock of one test, and the app they talk to."""

    services: Services
    account: Account
    app: FakeApp
    clock: VirtualClock
    incoming: IncomingWebhooks

    async def number(self, sms_url: str, **settings: str) -> None:
        params = {"PhoneNumber": OURS, "SmsUrl": sms_url, **settings}
        await self.services.numbers.create(self.account, params)

    async def text(self, body: str = "hello") -> tuple[list[WebhookAttempt], list[Message]]:
        """The handset texts our number; run its webhook job; the attempts and replies."""
        inbound = await self.services.inbound.receive(
            self.account, False, InboundMessage(from_=HANDSET, to=OURS, body=body)
        )
        store = self.services.runtime.store
        [job] = [
            j
            for j in await store.claim_jobs(self.clock.now(), 100, 60)
            if j.message_sid == inbound.sid and j.kind == "incoming"
        ]
        outcome = await self.incoming.run(IncomingDelivery.from_payload(job.payload))
        await store.finish_job(job, outcome)
        return list(outcome.attempts), await store.list_replies(inbound.sid)


@pytest.fixture
async def exchange() -> AsyncIterator[Exchange]:
    store = await SqliteStore.open(":memory:")
    config = Config(database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN)
    clock = VirtualClock()
    app = FakeApp()
    runtime = Runtime(store=store, clock=clock, new_sid=sid_factory(config), config=config)
    deliverer = Deliverer(app, clock, runtime.new_sid)
    services = Services.build(runtime, replay=Replay(deliverer, store))
    account, _ = await services.accounts.bootstrap_main_account(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)

    async def auth_token(account_sid: str) -> str | None:
        found = await services.accounts.account(account_sid)
        return None if found is None else found.auth_token

    incoming = IncomingWebhooks(
        store,
        auth_token,
        deliverer,
        runtime.new_sid,
        clock.now,
        services.timeline.first_job,
    )
    try:
        yield Exchange(services, account, app, clock, incoming)
    finally:
        await store.close()


def kinds(attempts: list[WebhookAttempt]) -> list[str]:
    return [a.kind for a in attempts]


async def test_a_redirect_fetches_the_next_document_with_the_same_parameters(
    exchange: Exchange,
) -> None:
    app = exchange.app
    await exchange.number(app.route("/sms", twiml("<Redirect>/next?step=2</Redirect>")))
    app.route("/next", twiml("<Message>from next</Message>"))

    attempts, replies = await exchange.text("hi there")

    assert kinds(attempts) == ["incoming", "redirect"]
    first, second = app.sent
    assert second.url == f"{APP}/next?step=2"  # resolved against the document's URL
    assert second.method == "POST"
    assert second.params == first.params
    assert second.params["Body"] == "hi there"
    assert all(s.signature_valid for s in app.sent)
    assert [r.body for r in replies] == ["from next"]


async def test_a_get_redirect_carries_the_parameters_in_the_query(exchange: Exchange) -> None:
    app = exchange.app
    await exchange.number(app.route("/sms", twiml('<Redirect method="GET">/next</Redirect>')))

    attempts, _ = await exchange.text("by get")

    redirect = app.at("/next")[0]
    assert redirect.method == "GET"
    assert redirect.params["Body"] == "by get"
    assert redirect.signature_valid
    assert attempts[-1].error_code is None


async def test_a_redirect_loop_stops_after_the_document_limit_with_14106(
    exchange: Exchange,
) -> None:
    app = exchange.app
    await exchange.number(app.route("/loop", twiml("<Redirect>/loop</Redirect>")))

    attempts, replies = await exchange.text()

    assert len(app.sent) == MAX_DOCUMENTS
    assert attempts[-1].error_code == 14106
    assert replies == []


@pytest.mark.parametrize(
    ("primary", "error_code"),
    [(Answer(status=500, body="down", content_type="text/plain"), 11200), (TIMEOUT, 11205)],
    ids=["http-500", "timeout"],
)
async def test_the_fallback_url_gets_the_error_and_its_twiml_is_carried_out(
    exchange: Exchange, primary: Answer, error_code: int
) -> None:
    app = exchange.app
    primary_url = app.route("/sms", primary)
    fallback_url = app.route("/fallback", twiml("<Message>fallback reply</Message>"))
    await exchange.number(primary_url, SmsFallbackUrl=fallback_url)

    attempts, replies = await exchange.text()

    assert kinds(attempts) == ["incoming", "fallback"]
    [fallback] = app.at("/fallback")
    assert fallback.params["ErrorCode"] == str(error_code)
    assert fallback.params["ErrorUrl"] == primary_url
    assert fallback.signature_valid
    assert attempts[0].error_code == error_code
    assert [r.body for r in replies] == ["fallback reply"]


async def test_unparseable_twiml_goes_to_the_fallback_too(exchange: Exchange) -> None:
    app = exchange.app
    primary_url = app.route("/sms", Answer(body="<Response><Message>", content_type="text/xml"))
    await exchange.number(primary_url, SmsFallbackUrl=app.route("/fallback", twiml()))

    attempts, _ = await exchange.text()

    assert kinds(attempts) == ["incoming", "fallback"]
    assert app.at("/fallback")[0].params["ErrorCode"] == str(attempts[0].error_code)
    assert attempts[0].error_code is not None


async def test_without_a_fallback_a_failure_ends_the_exchange(exchange: Exchange) -> None:
    app = exchange.app
    await exchange.number(app.route("/sms", TIMEOUT))

    attempts, replies = await exchange.text()

    assert kinds(attempts) == ["incoming"]
    assert attempts[0].error_code == 11205
    assert replies == []


async def test_a_message_action_gets_the_reply_status_and_continues_the_session(
    exchange: Exchange,
) -> None:
    app = exchange.app
    await exchange.number(app.route("/sms", twiml('<Message action="/after">first</Message>')))
    app.route("/after", twiml("<Message>second</Message>"))

    attempts, replies = await exchange.text()

    assert kinds(attempts) == ["incoming", "action"]
    [action] = app.at("/after")
    first = next(r for r in replies if r.body == "first")
    assert action.params["MessageSid"] == first.sid
    assert action.params["MessageStatus"] == "queued"
    assert action.signature_valid
    assert sorted(r.body for r in replies) == ["first", "second"]
    assert first.status_callback == f"{APP}/after"  # later status callbacks go there too


async def test_cookies_set_by_the_app_come_back_on_the_next_exchange_until_they_expire(
    exchange: Exchange,
) -> None:
    app = exchange.app
    await exchange.number(
        app.route(
            "/sms",
            Answer(set_cookies=("session=abc; Path=/; Max-Age=3600", "theme=dark; Path=/")),
        )
    )

    await exchange.text("one")
    await exchange.text("two")
    exchange.clock.advance(7200)  # the session cookie's Max-Age is over
    await exchange.text("three")

    cookies = [s.headers.get("cookie") for s in app.at("/sms")]
    assert cookies[0] is None
    assert cookies[1] is not None
    assert sorted(cookies[1].split("; ")) == ["session=abc", "theme=dark"]
    assert cookies[2] == "theme=dark"


async def test_cookies_reach_the_redirect_within_one_exchange(exchange: Exchange) -> None:
    app = exchange.app
    await exchange.number(
        app.route(
            "/sms",
            Answer(body=twiml("<Redirect>/next</Redirect>"), set_cookies=("step=1; Path=/",)),
        )
    )

    await exchange.text()

    assert app.at("/next")[0].headers.get("cookie") == "step=1"


async def test_loop_protection_counts_the_replies_of_the_exchange_not_stored_yet(
    exchange: Exchange,
) -> None:
    """25 replies stored, then one exchange of 10: its 6th is the conversation's 31st (the
    replies of an exchange are stored together at its end, so the check counts them too)."""
    app = exchange.app
    ten = twiml("<Message>pong</Message>" * 10)
    await exchange.number(app.route("/sms", ten))
    for _ in range(2):
        await exchange.text()
    app.route("/sms", twiml("<Message>pong</Message>" * 5))
    await exchange.text()
    app.route("/sms", ten)

    attempts, replies = await exchange.text()

    assert [r.error_code for r in replies] == [None] * 5 + [14107] * 5
    assert all(r.status == "failed" and r.price is None for r in replies[5:])
    [attempt] = attempts
    assert attempt.error_code is None
    assert attempt.error_detail.count("warning 14107") == 5
