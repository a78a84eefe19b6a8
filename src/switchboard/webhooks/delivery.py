"""Send a prepared webhook with Twilio's retry rules and record every attempt.

One delivery = up to ``rc + 1`` attempts, all within the ``tt`` budget, retrying only failure
classes named by ``rp`` (default: a failed TCP connect, once). Every attempt becomes a
:class:`WebhookAttempt` carrying the same idempotency token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from switchboard.domain.connection import RetryCondition, validate_webhook_url
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import WebhookAttempt
from switchboard.domain.sids import SidPrefix
from switchboard.ports import Clock
from switchboard.transport import Failure, HttpResult, Transport
from switchboard.webhooks.prepare import PreparedWebhook, prepare_webhook

_RETRY_CLASS = {
    Failure.CONNECT: RetryCondition.CONNECT,
    Failure.READ: RetryCondition.READ,
    Failure.HTTP_4XX: RetryCondition.HTTP_4XX,
    Failure.HTTP_5XX: RetryCondition.HTTP_5XX,
}


@dataclass(frozen=True, slots=True)
class Target:
    """Who a webhook is for and where it goes."""

    kind: str  # incoming | fallback | redirect | status_callback | action
    url: str
    method: str
    account_sid: str
    message_sid: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    result: HttpResult
    attempts: list[WebhookAttempt]
    prepared: PreparedWebhook | None


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class Deliverer:
    def __init__(
        self,
        transport: Transport,
        clock: Clock,
        new_sid: Callable[[str], str],
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._new_sid = new_sid

    async def deliver(
        self,
        target: Target,
        params: Mapping[str, str],
        auth_token: str,
        idempotency_token: str,
        note: str = "",
        cookie: str | None = None,
    ) -> Delivery:
        try:
            prepared = prepare_webhook(
                target.url, target.method, params, auth_token, idempotency_token, cookie
            )
            validate_webhook_url(prepared.request.url)
        except TwilioError as error:
            result = HttpResult(
                status=None,
                failure=Failure.OTHER,
                error_code=error.code,
                error_detail=error.message,
            )
            attempt = self._record(target, None, 1, result, idempotency_token, note)
            return Delivery(result, [attempt], None)
        policy = prepared.policy
        attempts: list[WebhookAttempt] = []
        started = time.perf_counter()
        result = HttpResult(status=None)
        for number in range(1, policy.max_attempts + 1):
            remaining = policy.total_timeout_ms - (time.perf_counter() - started) * 1000
            result = await self._transport.send(
                prepared.request, policy.connect_timeout_ms, policy.read_timeout_ms, remaining
            )
            attempts.append(self._record(target, prepared, number, result, idempotency_token, note))
            if result.ok or result.failure is None:
                break
            condition = _RETRY_CLASS.get(result.failure)
            if condition is None or not policy.retries(condition):
                break
        return Delivery(result, attempts, prepared)

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
        detail = "; ".join(part for part in (result.error_detail, note) if part)
        return WebhookAttempt(
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
            error_detail=detail,
            idempotency_token=idempotency_token,
            signed_url=prepared.signed_url if prepared else "",
        )
