"""The lease heartbeat: keeps the leases of the outbox's running jobs alive.

Every ``lease / 3`` seconds the keeper pushes the lease of each running job a full lease ahead,
so a lease only lapses for a node that stopped renewing it. A live node that renews late loses
its jobs to another node, which runs them again: repeated deliveries.

Why a thread of its own. Measured with bench/lease_renewal.py (two nodes under the crash-safety
load, both cores busy; figures in docs/deployment.md), a renewal on the node's event loop woke
on time (0.2 s late at worst) but its store call then waited up to 6.4 s, behind the running
jobs' own queries for one of the pool's connections, past the 3.3 s a 5 s lease leaves it. So
on PostgreSQL the keeper runs in a thread with its own event loop and its own store (one
connection in use), where neither a busy event loop nor an exhausted pool delays it. Without
a store opener (SQLite: every write joins one group-commit queue anyway) it runs on the
caller's loop.

Why the pulse. A thread that renewed regardless would keep the jobs of a process whose event
loop hangs (a blocking call, a deadlock) leased forever. The dispatcher's loop beats a pulse
every renewal interval, and the thread renews only while the last pulse is younger than a
lease: a hung loop's jobs lapse at most two leases after its last pulse, a dead process's at
most one lease after its last renewal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from switchboard.ports import Clock, Store

log = logging.getLogger("switchboard.outbox")

StoreOpener = Callable[[], Awaitable[Store]]


class LeaseKeeper:
    """Renews the leases of the job ids ``running()`` returns, until :meth:`stop`.

    ``running`` is read from the keeper's thread: it must return an immutable snapshot (the
    dispatcher swaps a tuple; it never mutates one in place).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        lease_seconds: float,
        running: Callable[[], Sequence[int]],
        *,
        open_store: StoreOpener | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lease = lease_seconds
        self._interval = lease_seconds / 3
        self._running = running
        self._open_store = open_store
        self._pulse = time.monotonic()  # the dispatcher's loop last showed progress (thread)
        self._beat: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None  # on the caller's loop
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._quit = asyncio.Event()  # set on the loop that renews

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._open_store is None:
            self._task = loop.create_task(self._renew_forever(), name="outbox-leases")
            return
        self._beat = loop.create_task(self._beat_pulse(), name="outbox-leases-pulse")
        thread_loop = asyncio.new_event_loop()
        self._thread_loop = thread_loop
        self._thread = threading.Thread(
            target=thread_loop.run_until_complete,
            args=(self._renew_forever(),),
            name="outbox-leases",
            daemon=True,  # a process that exits without stop() must not wait for it
        )
        self._thread.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._quit.set()
            await self._task
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        if self._thread is not None and self._thread_loop is not None:
            self._thread_loop.call_soon_threadsafe(self._quit.set)
            await asyncio.to_thread(self._thread.join)
            self._thread_loop.close()

    async def _beat_pulse(self) -> None:
        while True:
            self._pulse = time.monotonic()
            await asyncio.sleep(self._interval)

    async def _renew_forever(self) -> None:
        store = self._store if self._open_store is None else None
        stalled = False
        try:
            while True:
                scheduled = time.monotonic() + self._interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._quit.wait(), self._interval)
                if self._quit.is_set():
                    return
                woke = time.monotonic()
                ids = self._running()
                if not ids:
                    continue
                if self._open_store is not None and woke - self._pulse > self._lease:
                    if not stalled:
                        log.error(
                            "the event loop has shown no progress for %.1f s: the leases of"
                            " %d running jobs are no longer renewed, other nodes will run them",
                            woke - self._pulse,
                            len(ids),
                        )
                    stalled = True
                    continue
                stalled = False
                try:
                    if store is None:
                        assert self._open_store is not None
                        store = await self._open_store()
                    until = self._clock.now() + timedelta(seconds=self._lease)
                    await store.extend_leases(ids, until)
                except Exception:
                    log.exception("renewing job leases failed")
                    continue
                self._note(len(ids), woke - scheduled, time.monotonic() - woke)
        finally:
            if store is not None and self._open_store is not None:
                await store.close()

    def _note(self, jobs: int, woke_late: float, took: float) -> None:
        log.debug(
            "lease renewal: %d jobs, woke %.3f s late, store took %.3f s", jobs, woke_late, took
        )
        # Later than this, the leases had less than a renewal interval to spare.
        if woke_late + took > self._interval:
            log.warning(
                "lease renewal of %d jobs committed %.1f s late (lease %g s): leases are at"
                " risk; see docs/deployment.md",
                jobs,
                woke_late + took,
                self._lease,
            )
