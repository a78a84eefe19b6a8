"""The outbound timeline: carrier steps move a message through its lifecycle.

Theory of operation. A message's next carrier step is a ``carrier`` job in the outbox. Running
it applies one lifecycle event (:mod:`switchboard.domain.lifecycle`), and in the same
transaction writes the updated message, its timeline event, a ``status_callback`` job when the
transition emits one, and the next carrier step. A crash between steps loses nothing: the
job is still in the outbox and runs again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from switchboard.carrier.plan import next_step
from switchboard.config import CarrierTiming
from switchboard.domain.callbacks import status_params
from switchboard.domain.encoding import segment
from switchboard.domain.errors import describe
from switchboard.domain.lifecycle import (
    EVENT_ERROR_CODES,
    Event,
    InvalidTransition,
    MessageStatus,
    apply_event,
    emits_callback,
)
from switchboard.domain.models import Job, Message, NewJob, StatusEvent
from switchboard.ports import JobOutcome
from switchboard.webhooks.delivery import delivery_token

CARRIER_JOB = "carrier"
STATUS_CALLBACK_JOB = "status_callback"
PRICE_PER_SEGMENT = Decimal("0.0079")

SenderChooser = Callable[[Message], Awaitable[str | None]]


def carrier_job(message: Message, event: Event, due_at: datetime) -> NewJob:
    return NewJob(
        kind=CARRIER_JOB,
        due_at=due_at,
        payload={"event": event.value},
        account_sid=message.account_sid,
        message_sid=message.sid,
    )


def status_callback_job(message: Message, now: datetime) -> NewJob | None:
    """The callback announcing ``message``'s current status, if it has somewhere to go."""
    if not message.status_callback:
        return None
    return NewJob(
        kind=STATUS_CALLBACK_JOB,
        due_at=now,
        payload={
            "url": message.status_callback,
            "method": message.status_callback_method or "POST",
            "params": status_params(message, now),
            "token": delivery_token(message.sid, "status", message.status),
        },
        account_sid=message.account_sid,
        message_sid=message.sid,
    )


def _price(message: Message) -> str:
    segments = max(message.num_segments, 1)
    return f"-{PRICE_PER_SEGMENT * segments:.5f}"


class Timeline:
    def __init__(
        self, timing: CarrierTiming, choose_sender: SenderChooser, now: Callable[[], datetime]
    ) -> None:
        self._timing = timing
        self._choose_sender = choose_sender
        self._now = now

    async def advance(self, job: Job, message: Message | None) -> JobOutcome:
        """Apply the job's event to ``message`` and plan what follows."""
        if message is None:
            return JobOutcome()  # deleted meanwhile: nothing left to do
        event = Event(job.payload["event"])
        try:
            status = apply_event(MessageStatus(message.status), event)
        except InvalidTransition:
            return JobOutcome()  # overtaken (e.g. canceled before it was due)
        # A step happens at its scheduled time, not when a (possibly virtual) clock got round to
        # it: advancing a virtual clock by 5 s plays the whole timeline, with exact timestamps.
        now = min(job.due_at, self._now())
        updated = dataclasses.replace(message, status=status.value, date_updated=now)
        error_code = job.payload.get("error_code") or EVENT_ERROR_CODES.get(event)
        if event in (Event.SENDER_CHOSEN, Event.DUE):
            updated = await self._with_sender(updated)
            if updated.from_ is None:  # the pool emptied since creation
                updated = dataclasses.replace(
                    updated, status=MessageStatus.FAILED.value, error_code=21703
                )
        if status is MessageStatus.SENT:
            updated = dataclasses.replace(updated, date_sent=now, price=_price(updated))
        if error_code is not None and updated.status in ("failed", "undelivered"):
            updated = dataclasses.replace(
                updated, error_code=int(error_code), error_message=describe(int(error_code)).message
            )
        jobs: list[NewJob] = []
        if emits_callback(MessageStatus(message.status), MessageStatus(updated.status)):
            callback = status_callback_job(updated, now)
            if callback is not None:
                jobs.append(callback)
        step = next_step(updated.status, self._timing)
        if step is not None:
            jobs.append(
                carrier_job(updated, step.event, now + timedelta(seconds=step.delay_seconds))
            )
        return JobOutcome(
            message_updates=[updated],
            events=[StatusEvent(updated.sid, updated.status, now, updated.error_code)],
            new_jobs=jobs,
        )

    async def _with_sender(self, message: Message) -> Message:
        sender = message.from_ or await self._choose_sender(message)
        if sender is None:
            return message
        segments = 1 if message.num_media else segment(message.body).num_segments
        return dataclasses.replace(message, from_=sender, num_segments=segments)
