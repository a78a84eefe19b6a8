"""The incoming-message webhook and the reply contract (SPEC §1, §4).

Theory of operation. One ``incoming`` job = one inbound message. We request the primary URL;
if that fails to produce executable TwiML (network failure, timeout, non-2xx, bad content type,
unparseable TwiML) we request the fallback URL with ``ErrorCode`` and ``ErrorUrl`` added.
The TwiML that comes back is carried out: each ``<Message>`` becomes an ``outbound-reply``
message (with its first carrier step), ``<Redirect>`` fetches the next document with the same
parameters, and a final ``<Message action>`` requests its action URL with the reply's status
(``queued``) and carries on with the TwiML that returns; the action URL also gets the reply's
later status callbacks. The conversation's cookies go with every document request (with every
HTTP redirect hop of it, by the hop's URL) and come back updated in the outcome
(domain/cookies.py). Everything -- attempts, replies, carrier jobs, cookies -- is returned as
one JobOutcome and committed together with the job's removal, so a crash replays the whole
exchange (at-least-once).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from switchboard.config import DEFAULTS
from switchboard.domain.callbacks import status_params
from switchboard.domain.cookies import CookieJar, StoredCookie, cookie_header, live, remember
from switchboard.domain.errors import TwilioError
from switchboard.domain.jobs import IncomingDelivery, delivery_token
from switchboard.domain.models import Direction, Media, Message, NewJob, WebhookAttempt
from switchboard.domain.outbound import Draft, Outbound, build
from switchboard.domain.phone import (
    SEND_ONLY_KINDS,
    Address,
    AddressKind,
    parse_address,
    parse_from,
)
from switchboard.ports import JobOutcome, Store
from switchboard.sending import account_number, loop_held, opted_out
from switchboard.twiml import Message as MessageVerb
from switchboard.twiml import TwimlResponse, interpret_reply
from switchboard.webhooks.delivery import Deliverer, Delivery, Target

# Per reply session, counting <Redirect> and action documents (14106). HTTP 3xx hops are not
# documents (SPEC §15.4 leaves it open): they have their own limit (Config.max_redirects, 11215)
# and one document request is one document however many hops it takes.
MAX_DOCUMENTS = 50
MAX_REPLIES = 10  # per incoming message (14109)
TWIML_FAILURES = frozenset({12100, 12101, 12102, 12300, 11750})


@dataclass(frozen=True, slots=True)
class InboundContext:
    """The inbound message a webhook is about, read back from the job's own parameters so
    the hot path needs no store read."""

    sid: str
    account_sid: str
    from_: str
    to: str
    messaging_service_sid: str | None

    @classmethod
    def from_params(cls, params: dict[str, str]) -> InboundContext:
        return cls(
            sid=params["MessageSid"],
            account_sid=params["AccountSid"],
            from_=params["From"],
            to=params["To"],
            messaging_service_sid=params.get("MessagingServiceSid") or None,
        )


TokenLookup = Callable[[str], Awaitable[str | None]]
# The carrier's first step for a reply just created (the timeline's ``first_job``), injected so
# that webhooks do not depend on the timeline.
FirstStep = Callable[[Message, datetime], Awaitable[NewJob | None]]


@dataclass
class _Session:
    """What one incoming exchange has done so far."""

    attempts: list[WebhookAttempt] = field(default_factory=list)
    replies: list[tuple[Message, list[Media]]] = field(default_factory=list)
    jobs: list[NewJob] = field(default_factory=list)
    documents: int = 0
    cookies: list[StoredCookie] = field(default_factory=list)  # the conversation's jar


@dataclass(frozen=True, slots=True)
class _SessionCookies:
    """The session's jar for the deliverer: each HTTP hop of a document request sends the
    cookies that match its URL and keeps those its answer sets (``webhooks.delivery.Cookies``)."""

    session: _Session
    now: datetime

    def header(self, url: str) -> str | None:
        return cookie_header(self.session.cookies, url, self.now)

    def remember(self, set_cookies: Sequence[str], url: str) -> list[str]:
        self.session.cookies, ignored = remember(
            self.session.cookies, list(set_cookies), url, self.now
        )
        return ignored


def resolve(base: str, url: str) -> str:
    """A TwiML URL relative to the document that named it (absolute URLs pass through)."""
    return urljoin(base, url)


class IncomingWebhooks:
    def __init__(
        self,
        store: Store,
        auth_token: TokenLookup,
        deliverer: Deliverer,
        new_sid: Callable[[str], str],
        now: Callable[[], datetime],
        first_step: FirstStep,
        *,
        loop_protection: bool = DEFAULTS.loop_protection,
    ) -> None:
        self._store = store
        self._auth_token = auth_token
        self._deliverer = deliverer
        self._new_sid = new_sid
        self._now = now
        self._first_step = first_step
        self._loop_protection = loop_protection

    async def run(self, job: IncomingDelivery, read_cookies: bool = True) -> JobOutcome:
        """Deliver ``job``. ``read_cookies=False``: the conversation had no cookies when the
        message was written (see ``Job.cookies_known_absent``), so none are read."""
        params, route = job.params, job.route
        message = InboundContext.from_params(params)
        auth_token = await self._auth_token(message.account_sid)
        if auth_token is None:
            return JobOutcome()  # the account is gone
        token = job.token
        jar = await self._store.get_cookie_jar(message.to, message.from_) if read_cookies else None
        session = _Session(cookies=list(jar.cookies) if jar else [])
        primary = Target("incoming", route.url, route.method, message.account_sid, message.sid)
        twiml, failure = await self._fetch(session, primary, params, auth_token, token)
        if failure is not None and route.fallback_url:
            fallback = Target(
                "fallback",
                route.fallback_url,
                route.fallback_method,
                message.account_sid,
                message.sid,
            )
            extra = {
                **params,
                "ErrorCode": str(failure.code),
                "ErrorUrl": primary.url.split("#")[0],
            }
            twiml, failure = await self._fetch(session, fallback, extra, auth_token, token)
            primary = fallback
        document_url = primary.url
        while twiml is not None and failure is None:
            action_reply = await self._carry_out(session, twiml, message, document_url)
            handover = self._next_document(twiml, action_reply, message, document_url, params)
            if handover is None:
                break
            if session.documents >= MAX_DOCUMENTS:
                # An error, not a note: a loop is a bug in the app, and the attempt log, the
                # dashboard and the CLI show an attempt as failed by its error code.
                self._amend_last(session, 14106, f"14106: stopped after {MAX_DOCUMENTS} documents")
                break
            target, document_params = handover
            document_url = target.url
            twiml, failure = await self._fetch(session, target, document_params, auth_token, token)
        new_messages = [(reply, media) for reply, media in session.replies]
        return JobOutcome(
            attempts=session.attempts,
            new_messages=new_messages,
            new_jobs=session.jobs,
            cookie_jar=self._jar_to_save(jar, session, message),
        )

    def _next_document(
        self,
        twiml: TwimlResponse,
        action_reply: Message | None,
        inbound: InboundContext,
        document_url: str,
        params: dict[str, str],
    ) -> tuple[Target, dict[str, str]] | None:
        """Where the reply session continues, and with which parameters: a ``<Redirect>``
        fetches its URL with the incoming message's parameters; a final ``<Message action>``
        requests the action URL with the reply's status parameters right after the reply is
        queued, and its TwiML carries on the session (SPEC §4.2). None: the session ends."""
        following = twiml.next_document
        if following is None:
            return None
        url, method = following
        kind = "redirect" if twiml.redirect is not None else "action"
        if kind == "action":
            if action_reply is None:  # the reply was not created (its warning is noted)
                return None
            params = status_params(action_reply, self._now())
        target = Target(kind, resolve(document_url, url), method, inbound.account_sid, inbound.sid)
        return target, params

    def _jar_to_save(
        self, loaded: CookieJar | None, session: _Session, message: InboundContext
    ) -> CookieJar | None:
        """The conversation's jar if the exchange changed it (None: nothing to write)."""
        now = self._now()
        cookies = tuple(live(session.cookies, now))
        if cookies == (loaded.cookies if loaded else ()):
            return None
        return CookieJar(message.account_sid, message.to, message.from_, cookies, now)

    async def _fetch(
        self,
        session: _Session,
        target: Target,
        params: dict[str, str],
        auth_token: str,
        token: str,
    ) -> tuple[TwimlResponse | None, TwilioError | None]:
        """Request one TwiML document; (twiml, None) on success, (None, error) on failure."""
        session.documents += 1
        # Each document request is a delivery of its own (its retries share the token); the
        # token is derived, so a replay after a crash sends the same tokens again.
        document_token = delivery_token(token, target.kind, str(session.documents))
        delivery: Delivery = await self._deliverer.deliver(
            target,
            params,
            auth_token,
            document_token,
            cookies=_SessionCookies(session, self._now()),
        )
        session.attempts.extend(delivery.attempts)
        result = delivery.result
        if not result.ok:
            return None, TwilioError(result.error_code or 11200, result.error_detail or None)
        try:
            twiml = interpret_reply(result.headers.get("content-type"), result.body)
        except TwilioError as error:
            self._amend_last(session, error.code, f"{error.code}: {error.message}")
            return None, error
        if twiml.warnings:
            notes = "; ".join(f"warning {w.code}: {w.detail}" for w in twiml.warnings)
            self._amend_last(session, None, notes)
        return twiml, None

    @staticmethod
    def _amend_last(session: _Session, code: int | None, detail: str) -> None:
        last = session.attempts[-1]
        session.attempts[-1] = dataclasses.replace(
            last,
            error_code=code if code is not None else last.error_code,
            error_detail="; ".join(p for p in (last.error_detail, detail) if p),
        )

    def _note(self, session: _Session, code: int, detail: str) -> None:
        if session.attempts:
            self._amend_last(session, None, f"warning {code}: {detail}")

    async def _carry_out(
        self, session: _Session, twiml: TwimlResponse, inbound: InboundContext, document_url: str
    ) -> Message | None:
        """Send the document's replies; returns the one whose ``<Message>`` has an ``action``
        (only ever the last), if it was sent."""
        action_reply = None
        for verb in twiml.messages:
            if len(session.replies) >= MAX_REPLIES:
                self._note(session, 14109, f"more than {MAX_REPLIES} replies; the rest dropped")
                return None
            try:
                earlier = [reply for reply, _ in session.replies]
                built = await self._reply(verb, inbound, document_url, earlier)
            except TwilioError as error:
                self._note(session, error.code, error.message)
                continue
            reply = built.message
            session.replies.append((reply, built.media))
            first = await self._first_step(reply, reply.date_created)
            if first is not None:
                session.jobs.append(first)
            # The ``action`` request already carries ``MessageStatus=failed`` and ``ErrorCode``
            # (and continues the session), so a callback would only repeat it.
            if built.callback is not None and verb.action is None:
                session.jobs.append(built.callback)
            # 21612 is the app's reply going nowhere, so the attempt counts as failed; 21610
            # (the handset opted out) is the handset's choice and stays the message's alone.
            if reply.error_code == 21612:
                self._amend_last(
                    session,
                    21612,
                    f"21612: the reply {reply.sid} to {reply.to!r} failed: a sender ID "
                    "(alphanumeric or RCS agent) can send but cannot receive messages",
                )
            if reply.error_code == 14107:
                self._note(session, 14107, f"the reply {reply.sid} to {reply.to!r} was held")
            if verb.action is not None:
                action_reply = reply
        return action_reply

    async def _refusal(
        self,
        to: Address,
        sender: Address,
        inbound: InboundContext,
        now: datetime,
        earlier: Sequence[Message],
    ) -> int | None:
        """Why a reply to ``to`` fails at once, stored as a ``failed`` message (None: it goes).

        An address that can only send (an alphanumeric sender ID, an RCS agent) cannot be
        routed to (21612): the reply is kept, failed, rather than dropped, so a handset that
        texted from such an ID sees why it got no answer. A handset that texted STOP gets
        21610, as a REST send would; a conversation in a reply loop, 14107 (sending.py)."""
        if to.kind in SEND_ONLY_KINDS:
            return 21612
        account, service = inbound.account_sid, inbound.messaging_service_sid
        if await opted_out(self._store, account, to, sender.identity, service):
            return 21610
        if self._loop_protection:
            return await loop_held(self._store, sender, to, now, earlier)
        return None

    async def _reply(
        self,
        verb: MessageVerb,
        inbound: InboundContext,
        document_url: str,
        earlier: Sequence[Message] = (),
    ) -> Outbound:
        """The reply ``verb`` asks for, built like every outbound message (domain/outbound.py,
        which lists how a reply differs from a REST send); 14101, 14102 and 14108 are raised
        for the caller to note on the attempt."""
        to_raw = verb.to if verb.to is not None else inbound.from_
        to = parse_address(to_raw)
        if to is None:
            raise TwilioError(14101, f"invalid 'to' attribute {to_raw!r}")
        from_raw = verb.from_ if verb.from_ is not None else inbound.to
        try:
            sender = parse_from(from_raw)
        except TwilioError:
            raise TwilioError(14102, f"invalid 'from' attribute {from_raw!r}") from None
        named_number = verb.from_ is not None and sender.kind is not AddressKind.ALPHANUMERIC
        if named_number and not await account_number(
            self._store, inbound.account_sid, sender.identity
        ):
            raise TwilioError(14108, f"{from_raw} is not a number of this account")
        now = self._now()
        refusal = await self._refusal(to, sender, inbound, now, earlier)
        callback = verb.action or verb.status_callback
        draft = Draft(
            account_sid=inbound.account_sid,
            direction=Direction.OUTBOUND_REPLY,
            to=to,
            sender=sender,
            body=verb.body,
            media_urls=[resolve(document_url, url) for url in verb.media],
            messaging_service_sid=inbound.messaging_service_sid,
            status_callback=resolve(document_url, callback) if callback else None,
            status_callback_method=verb.callback_method,
            refusal=refusal,
            in_reply_to=inbound.sid,
        )
        return build(draft, now=now, new_sid=self._new_sid)
