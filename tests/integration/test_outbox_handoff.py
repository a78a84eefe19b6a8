"""The outbox's handoff: jobs written in this process and due now start as soon as their write
commits, without the dispatcher claiming them from the database.

A real ``Dispatcher`` on a real ``SqliteStore`` (a temp file) and the system clock; the store is
wrapped to record every job that ``claim_jobs`` hands out, so a test can tell which jobs went
through the claim loop and which were handed over at insert.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from switchboard.clock import SystemClock
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Job, Message, NewJob
from switchboard.outbox import Dispatcher, Handler
from switchboard.ports import JobClaim, JobOutcome, Store
from switchboard.storage.sqlite import SqliteStore

CLOCK = SystemClock()
_sids = itertools.count(1)


class ClaimRecordingStore:
    """A SqliteStore that remembers the jobs its ``claim_jobs`` handed out."""

    def __init__(self, inner: SqliteStore) -> None:
        self._inner = inner
        self.claimed: list[Job] = []
        self.claim_delay = 0.0  # seconds each claim takes before it reaches the store
        self.claiming = 0  # claims under way

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]:
        self.claiming += 1
        try:
            await asyncio.sleep(self.claim_delay)
            jobs = await self._inner.claim_jobs(now, limit, lease_seconds)
        finally:
            self.claiming -= 1
        self.claimed.extend(jobs)
        return jobs


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


def _job(kind: str = "work", delay: float = 0.0, **payload: Any) -> NewJob:
    return NewJob(kind, CLOCK.now() + timedelta(seconds=delay), {"n": next(_sids), **payload})


async def write(dispatcher: Dispatcher, store: Any, jobs: Sequence[NewJob]) -> JobClaim | None:
    """Write a message and its jobs the way the services do: inside a handoff."""
    with dispatcher.handoff(jobs) as claim:
        await store.insert_message(_message(), (), jobs, claim=claim)
    return claim


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded: 5 s in 0.01 s steps) until ``condition()`` holds."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ClaimRecordingStore]:
    inner = await SqliteStore.open(str(tmp_path / "outbox.db"))
    try:
        yield ClaimRecordingStore(inner)
    finally:
        await inner.close()


class Outbox:
    """A started dispatcher whose handlers record the jobs they ran."""

    def __init__(self, store: ClaimRecordingStore, concurrency: int) -> None:
        self.ran: list[Job] = []
        self.follow_ups: dict[int, Sequence[NewJob]] = {}  # payload n -> the outcome's new jobs

        async def work(job: Job) -> JobOutcome:
            self.ran.append(job)
            return JobOutcome(new_jobs=self.follow_ups.get(job.payload["n"], ()))

        handlers: dict[str, Handler] = {"work": work}
        self.dispatcher = Dispatcher(cast(Store, store), CLOCK, handlers, concurrency=concurrency)

    def payloads(self) -> list[int]:
        return sorted(job.payload["n"] for job in self.ran)


@pytest.fixture
async def outbox(store: ClaimRecordingStore) -> AsyncIterator[Outbox]:
    box = Outbox(store, concurrency=2)
    box.dispatcher.start()
    try:
        yield box
    finally:
        await box.dispatcher.stop()


async def test_due_jobs_start_when_their_write_commits(
    store: ClaimRecordingStore, outbox: Outbox
) -> None:
    """Due jobs written through a handoff start at once (the next loop tick after the write),
    run exactly once, and never go through claim_jobs."""
    jobs = [_job(), _job()]
    claim = await write(outbox.dispatcher, store, jobs)
    assert claim is not None
    assert [job.attempts for job in claim.jobs] == [1, 1]
    await asyncio.sleep(0)  # one tick: no claim round trip needed
    assert outbox.payloads() == sorted(job.payload["n"] for job in jobs)

    await asyncio.wait_for(outbox.dispatcher.drain(), 5)
    assert len(outbox.ran) == 2
    assert store.claimed == []
    assert await store.next_job_due() is None  # finished and removed


async def test_an_outcomes_due_jobs_are_handed_over_too(
    store: ClaimRecordingStore, outbox: Outbox
) -> None:
    """A job's due follow-ups (written with its outcome) run in the same dispatcher without a
    claim; a follow-up due later is claimed as usual once it falls due."""
    first = _job()
    now_step, later_step = _job(), _job(delay=0.2)
    outbox.follow_ups[first.payload["n"]] = [now_step, later_step]
    assert await write(outbox.dispatcher, store, [first]) is not None

    await until(lambda: len(outbox.ran) == 3)
    await asyncio.wait_for(outbox.dispatcher.drain(), 5)
    assert outbox.payloads() == sorted(j.payload["n"] for j in (first, now_step, later_step))
    assert [job.payload for job in store.claimed] == [later_step.payload]


async def test_a_failed_write_starts_nothing_and_frees_its_slots(
    store: ClaimRecordingStore, outbox: Outbox
) -> None:
    """When the write inside a handoff fails, none of its jobs runs (their rows do not exist),
    the dispatcher is idle again, and its reserved slots are free for the next write."""
    good, bad = _job(), _job(unserializable=object())  # the second job's insert raises
    claims: list[JobClaim | None] = []

    async def failing_write() -> None:
        with outbox.dispatcher.handoff([good, bad]) as claim:
            claims.append(claim)
            await store.insert_message(_message(), (), [good, bad], claim=claim)

    with pytest.raises(TypeError):
        await failing_write()
    (claim,) = claims
    assert claim is not None  # the write was handed off, and failed

    await asyncio.wait_for(outbox.dispatcher.drain(), 5)
    assert outbox.ran == []
    assert await store.next_job_due() is None  # the whole write was rolled back

    retry = [_job(), _job()]  # as many as the dispatcher's concurrency
    assert await write(outbox.dispatcher, store, retry) is not None
    await asyncio.wait_for(outbox.dispatcher.drain(), 5)
    assert outbox.payloads() == sorted(job.payload["n"] for job in retry)


async def test_new_jobs_queue_behind_due_jobs_waiting_in_the_store(
    store: ClaimRecordingStore,
) -> None:
    """Under overload, a job that found no free slot is not overtaken by one written after it:
    while due jobs wait in the store, new ones wait there too (first come, first served)."""
    release = asyncio.Event()
    order: list[int] = []

    async def work(job: Job) -> JobOutcome:
        order.append(job.payload["n"])
        if job.payload.get("hold"):
            await release.wait()
        return JobOutcome()

    dispatcher = Dispatcher(cast(Store, store), CLOCK, {"work": work}, concurrency=1)
    dispatcher.start()
    try:
        hold, waiting, newer = _job(hold=True), _job(), _job()
        assert await write(dispatcher, store, [hold]) is not None
        await until(lambda: order == [hold.payload["n"]])
        assert await write(dispatcher, store, [waiting]) is None  # no free slot

        store.claim_delay = 0.2  # the claim that follows the slot freeing up takes a while
        release.set()
        await until(lambda: store.claiming > 0)
        # A slot is free now, but `waiting` came first: `newer` queues behind it.
        assert await write(dispatcher, store, [newer]) is None

        await asyncio.wait_for(dispatcher.drain(), 5)
        assert order == [job.payload["n"] for job in (hold, waiting, newer)]
    finally:
        await dispatcher.stop()


async def test_no_claim_when_the_dispatcher_cannot_run_the_jobs_now(
    store: ClaimRecordingStore,
) -> None:
    """A dispatcher that is not started (or stopped, or without room, or given nothing due)
    claims nothing at insert: the jobs are written unleased, for whoever claims them."""
    box = Outbox(store, concurrency=1)
    dispatcher = box.dispatcher
    with dispatcher.handoff([_job()]) as claim:
        assert claim is None  # not started

    dispatcher.start()
    try:
        with dispatcher.handoff([_job(), _job()]) as claim:
            assert claim is None  # more due jobs than free slots
        with dispatcher.handoff([_job(delay=60)]) as claim:
            assert claim is None  # nothing due yet
    finally:
        await dispatcher.stop()
    with dispatcher.handoff([_job()]) as claim:
        assert claim is None  # stopped

    # A write without a claim leaves its due job to claim_jobs, like any other process's.
    job = _job()
    await store.insert_message(_message(), (), [job])
    (claimed,) = await store.claim_jobs(CLOCK.now(), 10, 30)
    assert (claimed.payload, claimed.attempts) == (job.payload, 1)


async def test_stop_waits_for_jobs_handed_over_while_stopping(
    store: ClaimRecordingStore, tmp_path: Path
) -> None:
    """A job whose outcome is being written when the dispatcher stops, and whose follow-up is
    due, leaves no work running after stop() returns: shutdown can close the store safely."""
    other_process = sqlite3.connect(tmp_path / "outbox.db", isolation_level=None)
    log: list[str] = []

    async def first(job: Job) -> JobOutcome:
        other_process.execute("BEGIN IMMEDIATE")  # holds up the write of this outcome
        return JobOutcome(new_jobs=[_job("second")])

    async def second(job: Job) -> JobOutcome:
        await asyncio.sleep(0.05)
        log.append("second finished")
        return JobOutcome()

    handlers: dict[str, Handler] = {"first": first, "second": second}
    dispatcher = Dispatcher(cast(Store, store), CLOCK, handlers)
    dispatcher.start()
    try:
        assert await write(dispatcher, store, [_job("first")]) is not None
        await until(lambda: other_process.in_transaction)
        await asyncio.sleep(0.05)  # the outcome's write is waiting for the lock
        stopping = asyncio.create_task(dispatcher.stop())
        await asyncio.sleep(0.05)
        other_process.execute("COMMIT")
        await asyncio.wait_for(stopping, 5)
        log.append("stopped")

        assert log == ["second finished", "stopped"]
        assert await store.next_job_due() is None
    finally:
        if other_process.in_transaction:
            other_process.execute("ROLLBACK")
        other_process.close()
        await until(lambda: "second finished" in log)  # let a straggler end before teardown
