"""Delivering Event Streams events to webhook Sinks (SPEC §19.2, §19.3).

Theory of operation. Each ``event`` job carries CloudEvents for one Sink; the store wrote it in
the transaction that recorded the state change (:mod:`switchboard.storage.event_store`). A run
sends one request: a JSON array of events, signed as Twilio signs JSON webhooks (the URL gets
``bodySHA256=<hex sha256 of the body>`` and the signature covers that URL alone), answered
within five seconds. A batching Sink's job first leases the Sink's other waiting jobs and
carries their events too (up to ``MAX_BATCH``); they are removed with it.

A 2xx answer ends the delivery; anything else is an attempt logged with Debugger code 91308
(no answer in time) or 91300 (any other failure) and a retry, backed off exponentially with
jitter, for up to four hours after the first failure -- the events of a failed batch stay
together in the retried job. Every attempt is a ``WebhookAttempt`` of kind ``event``. Nothing is
ordered: events travel as their jobs come due, and the carrier's chaos duplicates or holds
back a delivery the first time it runs, as it does status callbacks.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from switchboard.carrier.scenarios import Chaos
from switchboard.domain.events import BATCH_WINDOW_SECONDS, MAX_BATCH
from switchboard.domain.jobs import EventDelivery, delivery_token, new_job
from switchboard.domain.models import Job, WebhookAttempt
from switchboard.domain.sids import SidPrefix
from switchboard.ports import Clock, JobOutcome, Store
from switchboard.transport import Failure, HttpResult, OutboundRequest, Transport
from switchboard.webhooks.prepare import JSON_POLICY, prepare_json_webhook

ATTEMPT_KIND = "event"
RETRY_BUDGET = timedelta(hours=4)
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 600.0
REORDER_HOLD = timedelta(seconds=3)  # chaos: a held-back delivery arrives this much later

TokenLookup = Callable[[str], Awaitable[str | None]]
# (account SID, to, from) -> the carrier's chaos for that message's scenario
ChaosLookup = Callable[[str, str, str | None], Awaitable[Chaos]]


def retry_delay(failures: int, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter: 5 s, 10 s, 20 s ... capped at 10 min."""
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** (failures - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=ceiling / 2 + rng.random() * ceiling / 2)


def _succeeded(result: HttpResult) -> bool:
    return result.ok and result.status is not None and 200 <= result.status < 300


def _error_code(result: HttpResult) -> int | None:
    if _succeeded(result):
        return None
    if result.failure in (Failure.READ, Failure.TOTAL):
        return 91308
    return 91300


def _iso(at: datetime) -> str:
    return at.isoformat()


class EventDeliveries:
    def __init__(
        self,
        store: Store,
        auth_token: TokenLookup,
        transport: Transport,
        clock: Clock,
        new_sid: Callable[[str], str],
        *,
        chaos: ChaosLookup | None = None,
        lease_seconds: float = 30.0,
        seed: int | str = 0,
    ) -> None:
        self._store = store
        self._auth_token = auth_token
        self._transport = transport
        self._clock = clock
        self._new_sid = new_sid
        self._chaos = chaos
        self._lease = lease_seconds
        self._seed = seed

    async def run(self, job: Job) -> JobOutcome:
        spec = EventDelivery.from_payload(job.payload)
        sink = await self._store.find_sink(spec.sink_sid)
        if sink is None or not (sink.status == "active" or spec.test) or not spec.events:
            return JobOutcome()  # deleted, or no longer active: nothing to deliver to
        auth_token = await self._auth_token(sink.account_sid)
        if auth_token is None:
            return JobOutcome()
        now = self._clock.now()
        if not spec.chaos_done and not spec.test and self._chaos is not None:
            chaotic = await self._apply_chaos(job, spec, now)
            if chaotic is not None:
                return chaotic
        events = list(spec.events)
        absorbed: list[tuple[int, int]] = []
        if sink.config.batch_events and not spec.test and len(events) < MAX_BATCH:
            until = now + timedelta(seconds=BATCH_WINDOW_SECONDS)
            batch = await self._store.claim_event_batch(
                job, sink.sid, now, until, MAX_BATCH - len(events), self._lease
            )
            for other in batch:
                events.extend(EventDelivery.from_payload(other.payload).events)
                absorbed.append((other.id, other.attempts))
        body = orjson.dumps(events)
        token = delivery_token(sink.sid, "events", *(str(e.get("id")) for e in events))
        request = prepare_json_webhook(
            sink.config.destination, sink.config.method, body, auth_token, token
        ).request
        policy = JSON_POLICY
        result = await self._transport.send(
            request, policy.connect_timeout_ms, policy.read_timeout_ms, policy.total_timeout_ms
        )
        attempt = self._record(job, spec, request, result, token, len(events))
        if _succeeded(result):
            return JobOutcome(attempts=[attempt], absorbed=absorbed)
        return self._retry(job, spec, events, attempt, absorbed, now)

    async def _apply_chaos(self, job: Job, spec: EventDelivery, now: datetime) -> JobOutcome | None:
        first = spec.events[0]
        data: dict[str, Any] = first.get("data") or {}
        assert self._chaos is not None
        chaos = await self._chaos(
            job.account_sid or "", str(data.get("to") or ""), data.get("from") or None
        )
        if not (chaos.duplicate or chaos.reorder):
            return None
        rng = random.Random(f"{self._seed}:{first.get('id')}:chaos-event")
        done = dataclasses.replace(spec, chaos_done=True)
        jobs = []
        if rng.random() < chaos.duplicate:  # the same events again, with the same ids
            jobs.append(new_job(done, now, job.account_sid, job.message_sid))
        if rng.random() < chaos.reorder:  # held back: later events overtake it
            return JobOutcome(new_jobs=jobs, retry_at=now + REORDER_HOLD, payload=done.to_payload())
        if jobs:
            return JobOutcome(new_jobs=jobs, retry_at=now, payload=done.to_payload())
        return None

    def _retry(
        self,
        job: Job,
        spec: EventDelivery,
        events: list[dict[str, Any]],
        attempt: WebhookAttempt,
        absorbed: list[tuple[int, int]],
        now: datetime,
    ) -> JobOutcome:
        first = datetime.fromisoformat(spec.first_attempt_at) if spec.first_attempt_at else now
        failures = spec.attempt + 1
        rng = random.Random(f"{self._seed}:{job.id}:{failures}")
        due = now + retry_delay(failures, rng)
        if due - first > RETRY_BUDGET:
            return JobOutcome(attempts=[attempt], absorbed=absorbed)  # given up, as Twilio does
        retried = dataclasses.replace(
            spec,
            events=tuple(events),
            attempt=failures,
            first_attempt_at=_iso(first),
            chaos_done=True,
        )
        return JobOutcome(
            attempts=[attempt], absorbed=absorbed, retry_at=due, payload=retried.to_payload()
        )

    def _record(
        self,
        job: Job,
        spec: EventDelivery,
        request: OutboundRequest,
        result: HttpResult,
        token: str,
        count: int,
    ) -> WebhookAttempt:
        detail = result.error_detail
        note = f"{count} event{'s' if count != 1 else ''} for Sink {spec.sink_sid}"
        return WebhookAttempt(
            sid=self._new_sid(SidPrefix.NOTIFICATION),
            account_sid=job.account_sid or "",
            message_sid=job.message_sid,
            kind=ATTEMPT_KIND,
            attempt=spec.attempt + 1,
            url=request.url,
            method=request.method,
            request_headers=dict(request.headers),
            request_body=request.body.decode("utf-8", errors="replace"),
            date_created=self._clock.now(),
            duration_ms=round(result.duration_ms, 3),
            response_status=result.status,
            response_headers=result.headers,
            response_body=result.body.decode("utf-8", errors="replace"),
            error_code=_error_code(result),
            error_detail="; ".join(part for part in (detail, note) if part),
            idempotency_token=token,
            signed_url=request.url,
        )
