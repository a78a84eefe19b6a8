"""The outbox dispatcher: runs every due job exactly like a worker would.

Theory of operation. Jobs (incoming webhooks, status callbacks, carrier steps) are rows written
in the same transaction as the state change that caused them. The dispatcher claims due jobs
with a lease, runs up to ``concurrency`` at once, and commits each job's outcome together with
the job's removal. A job whose worker dies keeps its row; when the lease expires (or at the next
start, which releases all leases) it runs again: delivery is at-least-once. The loop sleeps until
the next job is due on the injected clock, until ``wake()`` says new work was written here, or
until one of its looks (every ``LOOK_SECONDS``) finds a due job written elsewhere.

Jobs written in this process and due at once skip the claim: ``handoff`` reserves a slot, the
store inserts them already leased to us (:class:`~switchboard.ports.JobClaim`) and they start as
soon as the write commits. A crash leaves them exactly as a claim would: leased rows that run
again when the lease lapses. Only jobs without a free slot, due later, or written by another
process go through ``claim_jobs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta

from switchboard.config import DEFAULTS
from switchboard.domain.models import Job, NewJob
from switchboard.leases import LeaseKeeper, StoreOpener
from switchboard.ports import Clock, JobClaim, JobOutcome, LeaseLost, Store, StoreUnavailable

log = logging.getLogger("switchboard.outbox")

Handler = Callable[[Job], Awaitable[JobOutcome]]
RETRY_AFTER_CRASH = timedelta(seconds=5)
# Other processes sharing the database (an API-only node, another --workers process) add jobs
# this one is not told about, and a dead runner's leases lapse unannounced: while asleep, the
# loop looks this often with one indexed read (next_job_due) and claims only when a job is due.
# 20 reads a second cost the idle process about 0.1% of a core (SQLite) and bound how long such
# a job waits (virtual clocks included, since their jobs are only ever written in-process).
LOOK_SECONDS = 0.05


class Dispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        handlers: dict[str, Handler],
        *,
        concurrency: int = DEFAULTS.webhook_concurrency,
        batch: int = 256,
        lease_seconds: float = DEFAULTS.lease_seconds,
        open_lease_store: StoreOpener | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._handlers = handlers
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._batch = batch
        self._wakeup = asyncio.Event()
        self._lease = lease_seconds
        # Each running job's task -> its job id; the ids are also kept as a tuple, replaced
        # (never mutated) on every change, which the lease keeper's thread reads.
        self._running: dict[asyncio.Task[None], int] = {}
        self._running_ids: tuple[int, ...] = ()
        self._reserved = 0  # slots promised to handoffs whose writes have not committed yet
        # A claim in flight has leased its rows before they are running here: drain() must not
        # mistake that moment (nothing due, nothing running) for idle.
        self._claiming = False
        # Due jobs may be waiting in the store (a handoff found no room, or a claim came back
        # full): new jobs then queue behind them instead of overtaking them.
        self._backlog = False
        # Renews from a thread of its own when the store can be opened again (see leases.py).
        self._leases = LeaseKeeper(
            store, clock, lease_seconds, lambda: self._running_ids, open_store=open_lease_store
        )
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New work was written; look for due jobs now rather than at the next deadline."""
        self._wakeup.set()

    @contextlib.contextmanager
    def handoff(self, jobs: Sequence[NewJob]) -> Iterator[JobClaim | None]:
        """Wrap a store write of ``jobs``: the claim to pass to the store, or None when this
        dispatcher is not running, has no room, none of them is due yet, or older due jobs
        wait in the store (first come, first served under overload). After a clean exit the
        claimed jobs run here and now; the others are looked for as usual."""
        now = self._clock.now()
        due = sum(1 for job in jobs if job.due_at <= now)
        room = self._concurrency - len(self._running) - self._reserved
        if self._loop_task is None or self._stopping or due == 0 or due > room or self._backlog:
            if due and self._loop_task is not None:
                self._backlog = True
            yield None
            if jobs:
                self.wake()
            return
        claim = JobClaim(due_by=now, leased_until=now + timedelta(seconds=self._lease))
        self._reserved += due
        self._idle.clear()
        try:
            yield claim
        except BaseException:
            claim.jobs.clear()  # nothing was committed: the rows do not exist
            raise
        finally:
            self._reserved -= due
            for job in claim.jobs:
                self._start(job)
            if len(claim.jobs) < len(jobs):
                self.wake()
            self._check_idle()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop_task = loop.create_task(self._run(), name="outbox")
        self._leases.start()

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        # Jobs handed over by writes still in progress start when those commit: wait for them
        # too, so nothing runs (and needs the store) after stop() returns.
        while self._running or self._reserved:
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            else:
                await asyncio.sleep(0.001)
        if self._loop_task is not None:  # only now: running jobs keep their leases to the end
            await self._leases.stop()

    async def drain(self) -> None:
        """Wait until no job is due now and none is running (callers bound it with a timeout)."""
        self.wake()
        while True:
            await asyncio.sleep(0)
            await self._idle.wait()
            due = await self._store.next_job_due()
            busy = self._running or self._reserved or self._claiming
            due_now = due is not None and due <= self._clock.now()
            if not busy and not due_now:
                return
            if due_now and not busy:
                # Wake the loop only for work it has not started on: waking it while a claim
                # is in flight would start another claim, and drain() would wait forever.
                self.wake()
            await asyncio.sleep(0.005)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self._claim()
            except StoreUnavailable as refused:  # the database is full or down: try again
                log.warning("claiming jobs: the database refused a connection (%s)", refused)
                await asyncio.sleep(0.5)
                continue
            except Exception:  # the store hiccuped: never let the loop die
                log.exception("claiming jobs failed")
                await asyncio.sleep(0.5)
                continue
            if claimed:
                continue
            await self._sleep_until_due()

    async def _claim(self) -> int:
        room = self._concurrency - len(self._running) - self._reserved
        if room <= 0:
            if self._running:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(0.001)  # only reservations: their writes finish soon
            return 1
        self._wakeup.clear()
        limit = min(room, self._batch)
        self._claiming = True
        try:
            jobs = await self._store.claim_jobs(self._clock.now(), limit, self._lease)
        finally:
            self._claiming = False
        for job in jobs:
            self._start(job)
        # A full batch may have left due jobs behind; a short one took every due job, so
        # handoffs may resume.
        self._backlog = len(jobs) >= limit
        return len(jobs)

    def _start(self, job: Job) -> None:
        task = asyncio.get_running_loop().create_task(self._execute(job))
        self._running[task] = job.id
        self._running_ids = (*self._running_ids, job.id)
        self._idle.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        if self._running.pop(task, None) is not None:
            self._running_ids = tuple(self._running.values())
        self._check_idle()

    def _check_idle(self) -> None:
        if not self._running and not self._reserved:
            self._idle.set()

    async def _sleep_until_due(self) -> None:
        due = await self._store.next_job_due()
        waiters: list[asyncio.Future[object]] = [
            asyncio.ensure_future(self._wakeup.wait()),
            asyncio.ensure_future(self._due_unannounced()),
        ]
        if due is not None:
            waiters.append(asyncio.ensure_future(self._clock.sleep_until(due)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _due_unannounced(self) -> None:
        """Return once a job nobody announced here is due: written by another process, or a
        lease that lapsed (see LOOK_SECONDS)."""
        while True:
            await asyncio.sleep(LOOK_SECONDS)
            try:
                due = await self._store.next_job_due()
            except Exception:  # the claim that follows meets the same error and logs it
                return
            if due is not None and due <= self._clock.now():
                return

    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            outcome = await handler(job)
        except Exception:
            log.exception("job %s (%s) failed; it will be retried", job.id, job.kind)
            outcome = JobOutcome(retry_at=self._clock.now() + RETRY_AFTER_CRASH)
        try:
            # The outcome's due jobs (a reply's first carrier step, a status callback) are
            # handed to this dispatcher; handoff() wakes the loop for the others.
            with self.handoff(outcome.new_jobs) as claim:
                await self._store.finish_job(job, outcome, claim)
            if outcome.retry_at is not None:
                self.wake()  # the loop may be asleep until a later deadline
        except LeaseLost:
            log.warning(
                "job %s (%s) was reclaimed by another worker; outcome discarded", job.id, job.kind
            )
        except Exception:
            log.exception(
                "recording job %s failed; its lease will expire and it will rerun", job.id
            )
