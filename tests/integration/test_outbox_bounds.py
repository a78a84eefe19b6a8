"""The outbox holds bounded work in memory however many jobs wait in the database.

Thousands of due jobs whose receiver is down (their webhooks hang, or fail and retry) stay
rows in the store: the dispatcher runs at most ``concurrency`` of them at once, keeps one task
per running job and none per waiting one, and claims in batches no larger than its free room.
A real ``Dispatcher`` on a real ``SqliteStore`` (a temp file) and the system clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from switchboard.clock import SystemClock
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Job, Message, NewJob
from switchboard.outbox import Dispatcher
from switchboard.ports import JobOutcome
from switchboard.storage.sqlite import SqliteStore

CLOCK = SystemClock()
WAITING = 2_000
CONCURRENCY = 8
_sids = itertools.count(1)


class ClaimCountingStore:
    """A SqliteStore that remembers the limit of every claim."""

    def __init__(self, inner: SqliteStore) -> None:
        self._inner = inner
        self.limits: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]:
        self.limits.append(limit)
        return await self._inner.claim_jobs(now, limit, lease_seconds)


class DownReceiver:
    """Job handlers for a receiver that is down: each call is counted while it is in flight;
    ``hang`` holds every call until released, otherwise a call fails and asks for a retry."""

    def __init__(self, *, hang: bool) -> None:
        self.hang = hang
        self.released = asyncio.Event()
        self.full = asyncio.Event()  # CONCURRENCY calls in flight at once
        self.in_flight = 0
        self.most_in_flight = 0
        self.most_tasks = 0
        self.calls = 0

    async def __call__(self, job: Job) -> JobOutcome:
        self.calls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= CONCURRENCY:
            self.full.set()
        self.most_tasks = max(self.most_tasks, len(asyncio.all_tasks()))
        try:
            if self.hang:
                await self.released.wait()
                return JobOutcome()
            await asyncio.sleep(0)  # a refused connection: answered at once
            if job.attempts < 3:
                return JobOutcome(retry_at=CLOCK.now())
            return JobOutcome()
        finally:
            self.in_flight -= 1


def _message() -> Message:
    now = CLOCK.now()
    return Message(
        sid=f"SM{next(_sids):032x}",
        account_sid=f"AC{0:032x}",
        direction=Direction.INBOUND,
        from_="+14155550199",
        to="+14155550100",
        body="hi",
        status=MessageStatus.RECEIVED,
        num_segments=1,
        num_media=0,
        date_created=now,
        date_updated=now,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ClaimCountingStore]:
    inner = await SqliteStore.open(str(tmp_path / "outbox.db"))
    # The jobs wait before any dispatcher starts, as after a restart or with serve --no-deliver.
    for _ in range(WAITING // 100):
        jobs = [NewJob("webhook", CLOCK.now(), {"n": next(_sids)}) for _ in range(100)]
        await inner.insert_message(_message(), (), jobs)
    yield ClaimCountingStore(inner)
    await inner.close()


async def test_hanging_receiver_holds_at_most_the_concurrency_in_memory(
    store: ClaimCountingStore,
) -> None:
    receiver = DownReceiver(hang=True)
    dispatcher = Dispatcher(
        store,
        CLOCK,
        {"webhook": receiver},
        concurrency=CONCURRENCY,  # type: ignore[arg-type]
    )
    before = len(asyncio.all_tasks())
    dispatcher.start()
    try:
        await asyncio.wait_for(receiver.full.wait(), 30)
        # New work written meanwhile waits in the store too: no room, no claim, no task.
        late = [NewJob("webhook", CLOCK.now(), {"n": 0})]
        with dispatcher.handoff(late) as claim:
            await store.insert_message(_message(), (), late, claim=claim)
        assert claim is None
        for _ in range(20):  # let the claim loop run as often as it likes
            dispatcher.wake()
            await asyncio.sleep(0.01)
        assert receiver.calls == CONCURRENCY
        assert len(asyncio.all_tasks()) - before <= CONCURRENCY + 4  # the loop, leases, waiters
        receiver.released.set()
        await asyncio.wait_for(dispatcher.drain(), 60)
    finally:
        receiver.released.set()
        await dispatcher.stop()
    assert receiver.calls == WAITING + 1
    assert receiver.most_in_flight == CONCURRENCY
    assert receiver.most_tasks - before <= CONCURRENCY + 4
    assert max(store.limits) <= CONCURRENCY  # a claim never takes more than the free room
    assert await store.next_job_due() is None


async def test_failing_receiver_retries_within_the_same_bound(store: ClaimCountingStore) -> None:
    receiver = DownReceiver(hang=False)
    dispatcher = Dispatcher(
        store,
        CLOCK,
        {"webhook": receiver},
        concurrency=CONCURRENCY,  # type: ignore[arg-type]
    )
    before = len(asyncio.all_tasks())
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.drain(), 120)
    finally:
        await dispatcher.stop()
    assert receiver.calls == WAITING * 3  # every job tried three times, none lost
    assert receiver.most_in_flight <= CONCURRENCY
    assert receiver.most_tasks - before <= CONCURRENCY + 4
    assert max(store.limits) <= CONCURRENCY
    assert await store.next_job_due() is None


async def test_claims_take_the_oldest_first_with_thousands_waiting(
    store: ClaimCountingStore,
) -> None:
    """The claim reads waiting jobs and lapsed leases apart: still the oldest first, in order,
    and the next deadline still sees the waiting jobs behind the leased ones."""
    due = await store.next_job_due()
    assert due is not None
    assert due <= CLOCK.now()
    first = await store.claim_jobs(CLOCK.now(), 5, 30)
    second = await store.claim_jobs(CLOCK.now(), 5, 30)
    ids = [job.id for job in first + second]
    assert ids == sorted(ids)
    assert len(set(ids)) == 10
    assert ids[0] == min(ids)  # nothing older was passed over
    # The claimed jobs are leased for 30 s: the next deadline is still the waiting ones'.
    still = await store.next_job_due()
    assert still is not None
    assert still <= CLOCK.now() + timedelta(seconds=1)
