"""The outbound timeline: the simulated carrier moves each message through its lifecycle.

Theory of operation. A message's next carrier step is a ``carrier`` job in the outbox. Running
it applies one lifecycle event (:mod:`switchboard.domain.lifecycle`) and, in the same
transaction, writes the updated message, its timeline event, the status callback(s) the
transition emits, and the next step. What the next step is comes from the first matching
scenario (:mod:`switchboard.carrier.scenarios`) with a generator seeded by (seed, SID, status),
so the same seed, scenarios and clock steps replay the same history. A step happens at its
scheduled time, not when a (possibly virtual) clock got round to it. A crash between steps loses
nothing: the job is still in the outbox.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from switchboard import pools
from switchboard.carrier.scenarios import Scenario, handset_for, next_step, scenario_for
from switchboard.config import CarrierTiming
from switchboard.domain import senders
from switchboard.domain.callbacks import channel_of
from switchboard.domain.errors import CATALOGUE, describe
from switchboard.domain.jobs import CarrierStep, new_job, status_callback_job
from switchboard.domain.lifecycle import (
    EVENT_ERROR_CODES,
    Event,
    InvalidTransition,
    MessageStatus,
    apply_event,
    emits_callback,
)
from switchboard.domain.models import Job, Message, NewJob, SenderChoice, StatusEvent
from switchboard.domain.phone import AddressKind, parse_address
from switchboard.domain.segments import count_segments
from switchboard.ports import JobOutcome, PageRequest, StickyKey, Store

PRICE_PER_SEGMENT = Decimal("0.0079")
QUEUE_LIMIT = timedelta(hours=4)  # a sender's queue holds this much backlog (30001 beyond)

# Carrier failures of an RCS-first attempt, which fall back to SMS/MMS instead (SPEC §18.1).
RCS_FAILURES = frozenset({Event.SEND_FAILED, Event.UNDELIVERED})
SenderDecision = tuple[SenderChoice, StickyKey | None]  # recorded with the message it changes

ScenarioSource = Callable[[str], Awaitable[Sequence[Scenario]]]  # an account's, in order
AccountCheck = Callable[[str], Awaitable[bool]]  # account SID -> may it send now?
# A message about to go out -> the error that stops it (the WhatsApp window's 63016), or None.
SendCheck = Callable[[Message], Awaitable[int | None]]


def carrier_job(
    message: Message, event: Event, due_at: datetime, error_code: int | None = None
) -> NewJob:
    step = CarrierStep(event, error_code)
    return new_job(step, due_at, message.account_sid, message.sid)


def default_mps(sender: str | None) -> float:
    """Twilio's default sender throughput: short code 100, toll-free 3, long code 1 (per s)."""
    address = parse_address(sender or "")
    if address is None:
        return 1.0
    if address.kind is AddressKind.SHORT_CODE:
        return 100.0
    if address.identity[:5] in {"+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"}:
        return 3.0
    return 1.0


def step_rng(seed: int | str, message_sid: str, status: str) -> random.Random:
    """The generator for one step of one message: same seed and SID, same draws."""
    return random.Random(f"{seed}:{message_sid}:{status}")


def _price(message: Message) -> str:
    return f"-{PRICE_PER_SEGMENT * max(message.num_segments, 1):.5f}"


class Timeline:
    def __init__(
        self,
        store: Store,
        scenarios: ScenarioSource,
        timing: CarrierTiming,
        now: Callable[[], datetime],
        *,
        seed: int | str = 0,
        throughput: bool = False,
        account_active: AccountCheck | None = None,
        may_go_out: SendCheck | None = None,
    ) -> None:
        self._store = store
        self._account_active = account_active
        self._may_go_out = may_go_out
        self._scenarios = scenarios
        self._timing = timing
        self._now = now
        self._seed = seed
        self._throughput = throughput
        self._free_at: dict[str, datetime] = {}  # per sender: when its queue is next free

    async def _scenario(self, message: Message) -> Scenario:
        return scenario_for(
            await self._scenarios(message.account_sid),
            message.to,
            message.from_,
            channel_of(message.to).value,
        )

    async def first_job(self, message: Message, at: datetime) -> NewJob | None:
        """The carrier's first step for a message just created in its initial status."""
        if message.send_at is not None and message.status == MessageStatus.SCHEDULED:
            return carrier_job(message, Event.DUE, message.send_at)
        return await self._next_job(message, at)

    async def _next_job(
        self, message: Message, at: datetime, scenario: Scenario | None = None
    ) -> NewJob | None:
        if scenario is None:
            scenario = await self._scenario(message)
        rng = step_rng(self._seed, message.sid, message.status)
        step = next_step(message.status, scenario, self._timing, rng, message.num_segments)
        if step is None:
            return None
        due = at + timedelta(seconds=step.delay_seconds)
        return carrier_job(message, step.event, due, step.error_code)

    async def advance(self, job: Job, message: Message | None) -> JobOutcome:
        """Apply the job's event to ``message`` and plan what follows."""
        if message is None:
            return JobOutcome()  # deleted meanwhile: nothing left to do
        step = CarrierStep.from_payload(job.payload)
        event = step.event
        now = min(job.due_at, self._now())
        error_code = step.error_code or EVENT_ERROR_CODES.get(event)
        scenario = await self._scenario(message)
        if event in RCS_FAILURES and (
            fallen := await self._rcs_fallback(message, event, error_code or 30008, now)
        ):
            return fallen
        if event is Event.DISPATCH and not await self._may_send(message):
            event, error_code = Event.SEND_FAILED, 30002  # suspended after it was queued
        elif (
            event is Event.DISPATCH
            and self._may_go_out is not None
            and (refusal := await self._may_go_out(message))
        ):
            event, error_code = Event.SEND_FAILED, refusal  # e.g. outside the WhatsApp window
        elif event is Event.DISPATCH and not step.slot:
            throttled = self._throttle(step, message, now, scenario)
            if isinstance(throttled, JobOutcome):
                return throttled
            event, error_code = throttled or (event, error_code)
        try:
            status = apply_event(message.status, event)
        except InvalidTransition:
            return JobOutcome()  # overtaken (e.g. canceled before it was due)
        updated = dataclasses.replace(message, status=status, date_updated=now)
        decisions: list[SenderDecision] = []
        if event in (Event.SENDER_CHOSEN, Event.DUE):
            updated = await self._with_sender(updated, decisions)
            if updated.from_ is None:  # the pool emptied since creation
                failed = apply_event(message.status, Event.SEND_FAILED)
                updated = dataclasses.replace(updated, status=failed)
                error_code = 21703
            else:  # scenarios may match on the sender just chosen
                scenario = await self._scenario(updated)
        if status is MessageStatus.SENT:
            updated = dataclasses.replace(updated, date_sent=now, price=_price(updated))
        if error_code is not None and updated.status in (
            MessageStatus.FAILED,
            MessageStatus.UNDELIVERED,
        ):
            code = int(error_code)
            updated = dataclasses.replace(
                updated,
                error_code=code,
                error_message=describe(code).message if code in CATALOGUE else None,
            )
        following = await self._next_job(updated, now, scenario)
        jobs = self._callbacks(message, updated, now, following, scenario)
        if following is not None:
            jobs.append(following)
        return JobOutcome(
            message_updates=[updated],
            events=[StatusEvent(updated.sid, updated.status.value, now, updated.error_code)],
            new_jobs=jobs,
            sender_choices=decisions,
        )

    async def _may_send(self, message: Message) -> bool:
        return self._account_active is None or await self._account_active(message.account_sid)

    def _callbacks(
        self,
        before: Message,
        after: Message,
        now: datetime,
        following: NewJob | None,
        scenario: Scenario,
    ) -> list[NewJob]:
        if not emits_callback(before.status, after.status):
            return []
        callback = status_callback_job(after, now)
        if callback is None:
            return []
        chaos = scenario.chaos
        rng = step_rng(self._seed, after.sid, f"chaos-{after.status}")
        if after.status is MessageStatus.SENT and rng.random() < chaos.reorder:
            # Held back past the next status, so the receiver sees them out of order.
            after_next = following.due_at if following is not None else now
            callback = dataclasses.replace(callback, due_at=after_next + timedelta(seconds=1))
        jobs = [callback]
        if rng.random() < chaos.duplicate:
            jobs.append(callback)
        return jobs

    def _throttle(
        self, step: CarrierStep, message: Message, now: datetime, scenario: Scenario
    ) -> JobOutcome | tuple[Event, int] | None:
        """Queue the message behind its sender's earlier messages (when throughput is on)."""
        rate = scenario.mps or (default_mps(message.from_) if self._throughput else None)
        if rate is None:
            return None
        sender = message.from_ or ""
        start = max(self._free_at.get(sender, now), now)
        valid_from = message.send_at or message.date_created  # scheduled: from SendAt
        if message.validity_period is not None and start > valid_from + timedelta(
            seconds=message.validity_period
        ):
            return Event.EXPIRED, 30036
        if start - now > QUEUE_LIMIT:
            return Event.SEND_FAILED, 30001
        self._free_at[sender] = start + timedelta(seconds=max(message.num_segments, 1) / rate)
        if start > now:
            return JobOutcome(
                retry_at=start, payload=dataclasses.replace(step, slot=True).to_payload()
            )
        return None

    async def _with_sender(self, message: Message, decisions: list[SenderDecision]) -> Message:
        """``message`` with its sender; the service's decision, if it chose one, is appended
        to ``decisions``."""
        chosen = message
        if message.from_ is None and message.messaging_service_sid is not None:
            chosen = await self._from_pool(message, message.messaging_service_sid, decisions)
        if chosen.from_ is not None and message.num_segments == 0:
            # Stored by an earlier version, which counted only now (a count is at least 1):
            # count with the service's Smart Encoding (the request's SmartEncoded is not kept).
            chosen = dataclasses.replace(chosen, num_segments=await self._legacy_count(message))
        return chosen

    async def _from_pool(
        self, message: Message, service_sid: str, decisions: list[SenderDecision]
    ) -> Message:
        """The message with the sender its Messaging Service chose (domain/senders.py), the
        decision recorded; an MMS the MMS Converter turns into SMS carries links instead."""
        service = await self._store.get_service(message.account_sid, service_sid)
        if service is None:
            return message  # deleted meanwhile: no pool, no sender (21703)
        channel = channel_of(message.to).value
        handset = handset_for(await self._scenarios(message.account_sid), message.to, channel)
        choice = await pools.choose(self._store, service, message, handset)
        decisions.append(pools.decision(service, message, choice))
        if choice.sender is None:
            return message
        chosen = dataclasses.replace(message, from_=choice.sender)
        if choice.convert_mms:
            chosen = await self._as_sms(chosen, service.smart_encoding)
        return chosen

    async def _rcs_fallback(
        self, message: Message, event: Event, error: int, now: datetime
    ) -> JobOutcome | None:
        """An RCS-first attempt the carrier fails goes out again as SMS/MMS (SPEC §18.1) from
        the sender :func:`switchboard.domain.senders.fall_back` chooses: the same message, its
        ``From`` changed, in the status it had (``queued`` before the hand-off, ``sent`` after
        it), so no status goes back and the failure is not reported; the decision replaces the
        RCS one in ``sender_choice``. None (the failure stands): no RCS-first attempt, or no
        sender to fall back to."""
        service_sid = message.messaging_service_sid
        if service_sid is None or not senders.takes_fallback(message.from_, message.to):
            return None
        try:
            apply_event(message.status, event)
        except InvalidTransition:
            return None  # overtaken: the caller finds that out too
        service = await self._store.get_service(message.account_sid, service_sid)
        if service is None:
            return None
        channel = channel_of(message.to).value
        handset = handset_for(await self._scenarios(message.account_sid), message.to, channel)
        choice = await pools.fall_back(self._store, service, message, handset, error)
        if choice.sender is None:
            return None
        updated = dataclasses.replace(message, from_=choice.sender, date_updated=now)
        if choice.convert_mms:
            updated = await self._as_sms(updated, service.smart_encoding)
        following = await self._next_job(updated, now)
        return JobOutcome(
            message_updates=[updated],
            new_jobs=[following] if following else [],
            sender_choices=[pools.decision(service, updated, choice)],
        )

    async def _as_sms(self, message: Message, smart_encoding: bool) -> Message:
        """The MMS as an SMS whose body ends with a link to each media item (MMS Converter)."""
        page = await self._store.list_media(message.account_sid, message.sid, PageRequest(100))
        links = [m.source_url for m in page.items if m.source_url]
        body = "\n".join([message.body, *links]) if message.body else "\n".join(links)
        segments = count_segments(body, num_media=0, channel=channel_of(message.to),
                                  smart_encoding=smart_encoding)  # fmt: skip
        return dataclasses.replace(message, body=body, num_segments=segments)

    async def _legacy_count(self, message: Message) -> int:
        service = None
        if message.messaging_service_sid is not None:
            service = await self._store.get_service(
                message.account_sid, message.messaging_service_sid
            )
        return count_segments(
            message.body,
            num_media=message.num_media,
            channel=channel_of(message.to),
            smart_encoding=service is not None and service.smart_encoding,
        )
