"""Status callbacks (SPEC §5): one POST (or GET for TwiML ``method``) per status change."""

from __future__ import annotations

from switchboard.domain.models import Job
from switchboard.ports import JobOutcome
from switchboard.webhooks.delivery import Deliverer, Target, delivery_token
from switchboard.webhooks.incoming import TokenLookup


class StatusCallbacks:
    def __init__(self, auth_token: TokenLookup, deliverer: Deliverer) -> None:
        self._auth_token = auth_token
        self._deliverer = deliverer

    async def run(self, job: Job) -> JobOutcome:
        account_sid = job.account_sid or ""
        auth_token = await self._auth_token(account_sid)
        if auth_token is None:
            return JobOutcome()
        payload = job.payload
        target = Target(
            "status_callback",
            str(payload["url"]),
            str(payload.get("method") or "POST"),
            account_sid,
            job.message_sid,
        )
        params = {str(k): str(v) for k, v in payload["params"].items()}
        token = str(
            payload.get("token") or delivery_token(job.message_sid or "", "status", str(job.id))
        )
        delivery = await self._deliverer.deliver(target, params, auth_token, token)
        return JobOutcome(attempts=delivery.attempts)
