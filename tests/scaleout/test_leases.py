"""Leases across nodes: a dead node's jobs run again soon after its lease lapses, while a live
node's long-running jobs keep theirs (the heartbeat) and are never run twice.

The receiver holds every webhook for SLOW seconds, well over the lease, so each job outlives
its first lease many times over. Node A takes a batch and dies while holding it; node B then
takes a batch of its own while A restarts. A's batch must be delivered again within about one
lease of the kill (with the same idempotency token); B's batch exactly once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE_SECONDS = 5.0
SLOW = 12.0  # the receiver's hold: over twice the lease
BATCH = 10
RECLAIM_WITHIN = 2 * LEASE_SECONDS  # from the kill to the rerun's arrival at the receiver
NUMBER = "+15555550100"


async def _inject(http: httpx.AsyncClient, node: Any, tag: str) -> list[str]:
    async def one(index: int) -> str:
        form = {"From": "+14155550123", "To": NUMBER, "Body": f"{tag} {index}"}
        response = await http.post(f"{node.url}/_sim/inbound", data=form)
        assert response.status_code == 201, response.text
        sid: str = response.json()["sid"]
        return sid

    return list(await asyncio.gather(*(one(i) for i in range(BATCH))))


async def _wait_for(what: str, seconds: float, check: Any) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        await asyncio.sleep(0.2)


async def _count(records: Any, expected: int) -> bool:
    return len(await records) >= expected


async def test_dead_nodes_jobs_rerun_after_one_lease_and_live_nodes_jobs_never(
    cluster: Any,
) -> None:
    receiver = cluster.receiver(slow_seconds=SLOW)
    node_a = cluster.node("a", LEASE_SECONDS)
    async with httpx.AsyncClient(auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN), timeout=30) as http:
        response = await http.post(
            f"{node_a.url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/slow"},
        )
        response.raise_for_status()

        async def arrivals(sids: list[str]) -> list[dict[str, Any]]:
            return [r for r in await receiver.records(http) if r["sid"] in sids]

        # A is alone: it takes the whole first batch and holds it at the receiver.
        orphans = await _inject(http, node_a, "a")
        await _wait_for("A's batch", 10, lambda: _count(arrivals(orphans), BATCH))
        node_b = await asyncio.to_thread(cluster.node, "b", LEASE_SECONDS)
        await asyncio.to_thread(node_a.kill)
        killed = time.time()
        # B is alone: it takes the second batch; A comes back while B holds it.
        kept = await _inject(http, node_b, "b")
        await asyncio.to_thread(node_a.start)

        def answered(sids: list[str]) -> Any:
            async def check() -> list[dict[str, Any]] | None:
                records = await arrivals(sids)
                done = {r["sid"] for r in records if r.get("end") == "answered"}
                return records if done == set(sids) else None

            return check

        timeout = RECLAIM_WITHIN + SLOW + 20
        late = await _wait_for("A's batch to be rerun", timeout, answered(orphans))
        live = await _wait_for("B's batch", SLOW + 20, answered(kept))

    for sid in orphans:
        first, *rest = [r for r in late if r["sid"] == sid]
        assert first["end"] == "aborted"  # A died holding it
        assert len(rest) == 1, rest  # run once more, by a live node
        assert rest[0]["end"] == "answered"
        assert rest[0]["token"] == first["token"]
        # After the kill (B's start released nothing), and within about a lease of it.
        assert 0 <= rest[0]["at"] - killed <= RECLAIM_WITHIN, rest[0]["at"] - killed
    for sid in kept:
        runs = [r for r in live if r["sid"] == sid]
        assert len(runs) == 1, runs  # the heartbeat kept B's lease through the long hold
        assert runs[0]["end"] == "answered"
