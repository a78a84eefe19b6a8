"""Status callbacks (SPEC §5): one POST (or GET for TwiML ``method``) per status change.

One message's callbacks go out one at a time, in the order their jobs started: when a jump of
the clock makes several carrier steps due at once, the ``delivered`` callback would otherwise
race the ``sent`` one still in flight and could arrive first. Twilio promises no order, but a
simulator should not invent disorder: the carrier's chaos ``reorder`` is the way to ask for it.
(Per process: callbacks of one message run by two nodes are not ordered.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from switchboard.domain.jobs import StatusCallback, delivery_token
from switchboard.domain.models import Job
from switchboard.ports import JobOutcome
from switchboard.webhooks.delivery import Deliverer, Target
from switchboard.webhooks.incoming import TokenLookup


class _PerMessage:
    """One asyncio.Lock per message SID while anyone holds or awaits it (FIFO, like Lock)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, message_sid: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(message_sid, (asyncio.Lock(), 0))
        self._locks[message_sid] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[message_sid]
            if users == 1:
                del self._locks[message_sid]
            else:
                self._locks[message_sid] = (lock, users - 1)


class StatusCallbacks:
    def __init__(self, auth_token: TokenLookup, deliverer: Deliverer) -> None:
        self._auth_token = auth_token
        self._deliverer = deliverer
        self._ordering = _PerMessage()

    async def run(self, job: Job) -> JobOutcome:
        # Taken before any await, so the order of the jobs' start is the order of delivery.
        async with self._ordering.one_at_a_time(job.message_sid or f"job:{job.id}"):
            return await self._deliver(job)

    async def _deliver(self, job: Job) -> JobOutcome:
        account_sid = job.account_sid or ""
        auth_token = await self._auth_token(account_sid)
        if auth_token is None:
            return JobOutcome()
        callback = StatusCallback.from_payload(job.payload)
        target = Target(
            "status_callback", callback.url, callback.method, account_sid, job.message_sid
        )
        token = callback.token or delivery_token(job.message_sid or "", "status", str(job.id))
        delivery = await self._deliverer.deliver(target, callback.params, auth_token, token)
        return JobOutcome(attempts=delivery.attempts)
