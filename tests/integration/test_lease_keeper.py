"""The lease heartbeat (switchboard.leases): a slow node keeps its leases, a hung one loses them.

Measured under load, renewals through the node's shared store waited seconds for a pooled
connection behind the jobs' queries; the keeper renews through a store of its own, from a
thread, and only while the node's event loop shows progress.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

from switchboard.clock import SystemClock
from switchboard.leases import LeaseKeeper
from switchboard.ports import Store

LEASE = 1.0  # renewals every 1/3 s
DEADLINE = 30.0  # generous: a busy machine may delay the thread, never stop it


class RenewalStore:
    """Records each renewal's (monotonic time, ids); ``blocked`` renewals never return (a pool
    exhausted by the jobs' own queries)."""

    def __init__(self, *, blocked: bool = False) -> None:
        self.renewals: list[tuple[float, list[int]]] = []
        self.blocked = blocked
        self.closed = False

    async def extend_leases(self, job_ids: Sequence[int], leased_until: datetime) -> None:
        if self.blocked:
            await asyncio.Event().wait()
        self.renewals.append((time.monotonic(), list(job_ids)))

    async def close(self) -> None:
        self.closed = True


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _keeper(shared: RenewalStore, own: RenewalStore, ids: tuple[int, ...]) -> LeaseKeeper:
    async def open_store() -> Store:
        return cast(Store, own)

    store = cast(Store, shared)
    return LeaseKeeper(store, SystemClock(), LEASE, lambda: ids, open_store=open_store)


async def test_leases_are_renewed_while_the_shared_store_is_saturated() -> None:
    shared, own = RenewalStore(blocked=True), RenewalStore()
    keeper = _keeper(shared, own, (7, 8))
    keeper.start()
    try:
        await _until(lambda: len(own.renewals) >= 3)
    finally:
        await keeper.stop()
    assert all(ids == [7, 8] for _, ids in own.renewals)
    assert shared.renewals == []
    assert own.closed  # the keeper's store is its own: it closes it


async def test_a_hung_event_loop_stops_the_renewals_and_a_live_one_resumes_them() -> None:
    own = RenewalStore()
    keeper = _keeper(RenewalStore(), own, (1,))
    keeper.start()
    try:
        await _until(lambda: len(own.renewals) >= 1)
        hung = time.monotonic()
        # The event loop hangs (deliberately: a blocking call is what is being simulated).
        time.sleep(3.5 * LEASE)  # noqa: ASYNC251
        resumed = time.monotonic()
        # The thread renewed until the last pulse was a lease old, then stopped; the slack of
        # a whole lease covers a thread descheduled between its check and its call.
        late = [at for at, _ in own.renewals if hung + 2 * LEASE < at < resumed]
        assert late == []
        count = len(own.renewals)
        await _until(lambda: len(own.renewals) > count)  # progress again: renewals again
    finally:
        await keeper.stop()
