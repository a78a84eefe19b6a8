"""Send a prepared webhook with Twilio's retry and redirect rules and record every attempt.

One delivery = one request per hop, each hop up to ``rc + 1`` attempts, all within the ``tt``
budget of the configured URL, retrying only failure classes named by ``rp`` (default: a failed
TCP connect, once). An HTTP 3xx answer is followed here, and only here, by the one rule of
``domain/redirects.py``: the next hop is prepared afresh for its URL (so it is signed for the URL
it is sent to) and carries the conversation's cookies that match it, including those set by the
hop before. Every request becomes a :class:`WebhookAttempt` carrying the same idempotency token:
a followed redirect is an attempt without an error, a redirect that cannot be followed carries
11215/11216 and ends the delivery as a failed fetch (so a fallback URL applies where it would).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urldefrag

from switchboard.config import DEFAULTS
from switchboard.domain.connection import ConnectionPolicy, RetryCondition, validate_webhook_url
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import WebhookAttempt
from switchboard.domain.redirects import Hop, is_redirect, next_hop
from switchboard.domain.sids import SidPrefix
from switchboard.logs import line
from switchboard.ports import Clock
from switchboard.transport import Failure, HttpResult, Transport
from switchboard.webhooks.prepare import PreparedWebhook, prepare_json_webhook, prepare_webhook

# One line per attempt in ``switchboard serve``'s log (switchboard/logs.py formats it).
log = logging.getLogger("switchboard.webhooks")

_RETRY_CLASS = {
    Failure.CONNECT: RetryCondition.CONNECT,
    Failure.READ: RetryCondition.READ,
    Failure.HTTP_4XX: RetryCondition.HTTP_4XX,
    Failure.HTTP_5XX: RetryCondition.HTTP_5XX,
}


@dataclass(frozen=True, slots=True)
class Target:
    """Who a webhook is for and where it goes."""

    kind: str  # incoming | fallback | redirect | status_callback | action | replay
    url: str
    method: str
    account_sid: str
    message_sid: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    result: HttpResult  # the last hop's outcome
    attempts: list[WebhookAttempt]


class Cookies(Protocol):
    """A conversation's cookie jar as a delivery uses it, hop by hop."""

    def header(self, url: str) -> str | None:
        """The ``Cookie`` header for a request to ``url`` (None: no cookie applies)."""
        ...

    def remember(self, set_cookies: Sequence[str], url: str) -> list[str]:
        """Keep what an answer from ``url`` set; a note for each header ignored."""
        ...


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


class Deliverer:
    def __init__(
        self,
        transport: Transport,
        clock: Clock,
        new_sid: Callable[[str], str],
        max_redirects: int = DEFAULTS.max_redirects,
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._new_sid = new_sid
        self._max_redirects = max_redirects

    async def deliver(
        self,
        target: Target,
        params: Mapping[str, str],
        auth_token: str,
        idempotency_token: str,
        note: str = "",
        cookies: Cookies | None = None,
    ) -> Delivery:
        started = time.perf_counter()
        attempts: list[WebhookAttempt] = []
        policy: ConnectionPolicy | None = None
        hop = target
        for hops in range(self._max_redirects + 1):
            try:
                cookie = cookies.header(hop.url) if cookies is not None else None
                prepared = prepare_webhook(
                    hop.url, hop.method, params, auth_token, idempotency_token, cookie
                )
                validate_webhook_url(prepared.request.url)
            except TwilioError as error:
                result = HttpResult(
                    status=None,
                    failure=Failure.OTHER,
                    error_code=error.code,
                    error_detail=error.message,
                )
                attempts.append(self._record(hop, None, 1, result, idempotency_token, note))
                return Delivery(result, attempts)
            # The configured URL's fragment governs the whole delivery, its hops included.
            policy = policy or prepared.policy
            result, following = await self._send(
                hop, hops, prepared, policy, started, attempts, idempotency_token, note, cookies
            )
            if following is None:
                return Delivery(result, attempts)
            hop = dataclasses.replace(hop, url=following.url, method=following.method)
        raise AssertionError("unreachable: next_hop raises 11215 past the limit")

    async def deliver_json(
        self,
        target: Target,
        body: bytes,
        auth_token: str,
        idempotency_token: str,
        note: str = "",
    ) -> Delivery:
        """One JSON-bodied request (an Event Streams replay): signed with ``bodySHA256``,
        no redirects followed, no connection overrides."""
        prepared = prepare_json_webhook(
            target.url, target.method, body, auth_token, idempotency_token
        )
        policy = prepared.policy
        result = await self._transport.send(
            prepared.request,
            policy.connect_timeout_ms,
            policy.read_timeout_ms,
            policy.total_timeout_ms,
        )
        attempt = self._record(target, prepared, 1, result, idempotency_token, note)
        return Delivery(result, [attempt])

    async def _send(
        self,
        target: Target,
        hops: int,
        prepared: PreparedWebhook,
        policy: ConnectionPolicy,
        started: float,
        attempts: list[WebhookAttempt],
        idempotency_token: str,
        note: str,
        cookies: Cookies | None,
    ) -> tuple[HttpResult, Hop | None]:
        """One hop: up to ``rc + 1`` attempts, each appended to ``attempts``; the outcome, and
        the next hop when the answer is a redirect to follow."""
        result, following = HttpResult(status=None), None
        for number in range(1, policy.max_attempts + 1):
            remaining = policy.total_timeout_ms - (time.perf_counter() - started) * 1000
            result = await self._transport.send(
                prepared.request, policy.connect_timeout_ms, policy.read_timeout_ms, remaining
            )
            result, following = self._redirect(result, target, hops)
            notes = [note]
            if cookies is not None and result.set_cookies:
                ignored = cookies.remember(result.set_cookies, prepared.request.url)
                notes += [f"warning 11206: {text}" for text in ignored]
            attempts.append(
                self._record(target, prepared, number, result, idempotency_token, _join(*notes))
            )
            if result.ok or result.failure is None:
                break
            condition = _RETRY_CLASS.get(result.failure)
            if condition is None or not policy.retries(condition):
                break
        return result, following

    def _redirect(
        self, result: HttpResult, target: Target, hops: int
    ) -> tuple[HttpResult, Hop | None]:
        """A 3xx answer classified by Twilio's rules: followed (no error, the detail says where
        to) or failed with 11215/11216. Other answers pass through."""
        if result.status is None or not is_redirect(result.status):
            return result, None
        try:
            following = next_hop(
                result.status,
                result.headers.get("location"),
                urldefrag(target.url)[0],
                target.method,
                hops,
                self._max_redirects,
            )
        except TwilioError as error:
            failure = dataclasses.replace(
                result, failure=Failure.OTHER, error_code=error.code, error_detail=error.message
            )
            return failure, None
        detail = f"HTTP {result.status}: redirected to {following.method} {following.url}"
        followed = dataclasses.replace(result, failure=None, error_code=None, error_detail=detail)
        return followed, following

    def _record(
        self,
        target: Target,
        prepared: PreparedWebhook | None,
        number: int,
        result: HttpResult,
        idempotency_token: str,
        note: str,
    ) -> WebhookAttempt:
        now: datetime = self._clock.now()
        request = prepared.request if prepared else None
        attempt = WebhookAttempt(
            sid=self._new_sid(SidPrefix.NOTIFICATION),
            account_sid=target.account_sid,
            message_sid=target.message_sid,
            kind=target.kind,
            attempt=number,
            url=request.url if request else target.url,
            method=request.method if request else target.method.upper(),
            request_headers=dict(request.headers) if request else {},
            request_body=_text(request.body) if request else "",
            date_created=now,
            duration_ms=round(result.duration_ms, 3),
            response_status=result.status,
            response_headers=result.headers,
            response_body=_text(result.body),
            error_code=result.error_code,
            error_detail=_join(result.error_detail, note),
            idempotency_token=idempotency_token,
            signed_url=prepared.signed_url if prepared else "",
        )
        if log.isEnabledFor(logging.INFO):  # nothing is built for a quiet server
            _log(attempt)
        return attempt


def _log(attempt: WebhookAttempt) -> None:
    fields = {
        "event": "webhook", "kind": attempt.kind, "sid": attempt.sid, "attempt": attempt.attempt,
        "message_sid": attempt.message_sid, "method": attempt.method, "url": attempt.url,
        "status": attempt.response_status, "duration_ms": attempt.duration_ms,
        "error_code": attempt.error_code,
    }  # fmt: skip
    line(log, fields, "webhook %s %s %s %s", attempt.kind, attempt.method, attempt.url,
         attempt.response_status)  # fmt: skip
