"""Status callbacks (SPEC §5): one POST (or GET for TwiML ``method``) per status change."""

from __future__ import annotations

from switchboard.domain.models import Job
from switchboard.ports import JobOutcome, Store
from switchboard.webhooks.delivery import Deliverer, Target, delivery_token


class StatusCallbacks:
    def __init__(self, store: Store, deliverer: Deliverer) -> None:
        self._store = store
        self._deliverer = deliverer

    async def run(self, job: Job) -> JobOutcome:
        account = await self._store.get_account(job.account_sid or "")
        if account is None:
            return JobOutcome()
        payload = job.payload
        target = Target(
            "status_callback",
            str(payload["url"]),
            str(payload.get("method") or "POST"),
            account.sid,
            job.message_sid,
        )
        params = {str(k): str(v) for k, v in payload["params"].items()}
        token = str(
            payload.get("token") or delivery_token(job.message_sid or "", "status", str(job.id))
        )
        delivery = await self._deliverer.deliver(target, params, account.auth_token, token)
        return JobOutcome(attempts=delivery.attempts)
