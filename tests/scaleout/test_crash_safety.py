"""Two nodes share one PostgreSQL database; one dies by SIGKILL mid-load and comes back.

Thousands of inbound messages are injected into both nodes; the receiver answers each webhook
with a TwiML reply whose status callbacks it also receives. After ~40% of the load one node is
SIGKILLed (its leased jobs are orphaned mid-flight), the injection goes on into the survivor,
and at ~70% the dead node is restarted. Nothing acknowledged may be lost: every stored inbound
message gets its webhook, every reply is delivered with its ``sent`` and ``delivered``
callbacks. Delivery is at-least-once, so some deliveries may repeat (those of jobs leased when
the node died, and any a live node loses by renewing a lease late), always with the same
idempotency token. The number of repeats is printed and recorded as user properties.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import httpx
import pytest

from switchboard.config import CLIENT_IDLE_SECONDS
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOTAL = 5000
KILL_AFTER = 0.4  # of TOTAL accepted
RESTART_AFTER = 0.7
CONCURRENCY = 32  # injection requests in flight, over both nodes
LEASE_SECONDS = 5.0
SETTLE_SECONDS = 240.0  # after the injection, for the outbox to drain
NUMBER = "+15555550100"
HANDSET = "+14155550123"

Key = tuple[str, str, str]  # (receiver path, MessageSid, MessageStatus) of one delivery


@dataclass
class Load:
    accepted: dict[str, int] = field(default_factory=dict)  # inbound sid -> index
    failures: list[tuple[str, str]] = field(default_factory=list)  # (node, error)
    to_survivor_only: int = 0
    killed_at: float = 0.0
    leased_at_kill: list[Any] = field(default_factory=list)  # job rows
    reclaimed_after: float | None = None  # s from the kill until those jobs were all done


def _job_key(row: Any) -> Key:
    if row["kind"] == "incoming":
        return ("/sms", row["message_sid"], "")
    status = json.loads(row["payload"]).get("params", {}).get("MessageStatus", "")
    return ("/status", row["message_sid"], status)


async def _watch_reclaim(dsn: str, load: Load) -> None:
    """How long the jobs leased at the kill take to be finished by someone else."""
    ids = [row["id"] for row in load.leased_at_kill]
    db = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) FROM jobs WHERE id = ANY($1::bigint[])"
        while True:
            if not await db.fetchval(query, ids):
                break
            await asyncio.sleep(0.25)
    finally:
        await db.close()
    load.reclaimed_after = time.monotonic() - load.killed_at


async def _inject(victim: Any, survivor: Any, db: Any, load: Load) -> asyncio.Task[None]:
    """Inject TOTAL messages, killing and restarting the victim on the way; returns the task
    that watches the orphaned jobs being finished."""
    victim_up = True
    indices = iter(range(TOTAL))
    steps: list[asyncio.Task[None]] = []  # kill, then restart
    watcher: list[asyncio.Task[None]] = []

    async def kill() -> None:
        nonlocal victim_up
        victim_up = False  # no new request goes there; those in flight will fail
        await asyncio.to_thread(victim.kill)
        load.killed_at = time.monotonic()
        load.leased_at_kill = await db.fetch(
            "SELECT id, kind, message_sid, payload FROM jobs WHERE leased_until IS NOT NULL"
        )
        watcher.append(asyncio.create_task(_watch_reclaim(victim.dsn, load)))

    async def restart() -> None:
        nonlocal victim_up
        await asyncio.to_thread(victim.start)
        victim_up = True

    headers = {"Authorization": aiohttp.encode_basic_auth(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)}
    timeout = aiohttp.ClientTimeout(total=60)
    # Idle connections are dropped as switchboard's own clients drop them (config.py): one reused
    # as its node closes it would fail with "server disconnected" though that node is up.
    connector = aiohttp.TCPConnector(limit=2 * CONCURRENCY, keepalive_timeout=CLIENT_IDLE_SECONDS)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout, connector=connector) as http:

        async def worker() -> None:
            for index in indices:  # shared by all workers: each index is sent once
                node = victim if victim_up and index % 2 == 0 else survivor
                if not victim_up:
                    load.to_survivor_only += 1
                form = {"From": HANDSET, "To": NUMBER, "Body": f"load {index}"}
                try:
                    async with http.post(f"{node.url}/_sim/inbound", data=form) as response:
                        if response.status == 201:
                            load.accepted[(await response.json())["sid"]] = index
                        else:
                            load.failures.append((node.name, f"HTTP {response.status}"))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    load.failures.append((node.name, repr(exc)))
                done = len(load.accepted)
                if done >= KILL_AFTER * TOTAL and not steps:
                    steps.append(asyncio.create_task(kill()))
                elif done >= RESTART_AFTER * TOTAL and len(steps) == 1 and watcher:
                    steps.append(asyncio.create_task(restart()))  # the kill is over

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        await asyncio.gather(*steps)
    assert len(steps) == 2, "the load ended before the victim was killed and restarted"
    return watcher[0]


async def _settled(db: Any, http: httpx.AsyncClient, receiver: Any) -> dict[str, Any]:
    """The state of the world: jobs left, stored messages, what the receiver got.

    Jobs are counted first: once none is left (the injection is over), nothing changes the
    messages any more, so the messages read next are final. Read the other way round, a reply
    read as ``sent`` could be delivered, and its callback job done, before the count."""
    jobs = await db.fetchval("SELECT count(*) FROM jobs")
    inbound = {r["sid"] for r in await db.fetch(
        "SELECT sid FROM messages WHERE direction = 'inbound'")}  # fmt: skip
    replies = await db.fetch(
        "SELECT sid, in_reply_to, status FROM messages WHERE direction = 'outbound-reply'"
    )
    records = await receiver.records(http)
    return {"inbound": inbound, "replies": replies, "jobs": jobs, "records": records}


def _complete(state: dict[str, Any]) -> bool:
    hooked = {r["sid"] for r in state["records"] if r["path"] == "/sms"}
    callbacks = {(r["sid"], r["status"]) for r in state["records"] if r["path"] == "/status"}
    return (
        state["jobs"] == 0
        and state["inbound"] <= hooked
        and len(state["replies"]) >= len(state["inbound"])
        and all(
            (r["sid"], "sent") in callbacks and (r["sid"], "delivered") in callbacks
            for r in state["replies"]
        )
    )


async def test_two_nodes_lose_nothing_when_one_is_sigkilled_mid_load(
    cluster: Any, record_property: Any
) -> None:
    started = time.monotonic()
    receiver = cluster.receiver()
    victim = cluster.node("a", LEASE_SECONDS)
    survivor = cluster.node("b", LEASE_SECONDS)
    async with httpx.AsyncClient(auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)) as http:
        response = await http.post(
            f"{victim.url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"},
        )
        response.raise_for_status()

        db = await asyncpg.connect(cluster.dsn)
        watcher: asyncio.Task[None] | None = None
        try:
            load = Load()
            watcher = await _inject(victim, survivor, db, load)
            injected = time.monotonic()
            deadline = injected + SETTLE_SECONDS
            state = await _settled(db, http, receiver)
            while not _complete(state) and time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                state = await _settled(db, http, receiver)
            settled = time.monotonic()
            await asyncio.wait({watcher}, timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await db.close()

    records = state["records"]
    webhooks = Counter(r["sid"] for r in records if r["path"] == "/sms")
    callbacks = Counter((r["sid"], r["status"]) for r in records if r["path"] == "/status")
    tokens: dict[Key, set[str]] = {}
    for r in records:
        tokens.setdefault((r["path"], r["sid"], r["status"]), set()).add(r["token"])
    repeated: dict[Key, int] = {
        **{("/sms", sid, ""): n - 1 for sid, n in webhooks.items() if n > 1},
        **{("/status", *key): n - 1 for key, n in callbacks.items() if n > 1},
    }
    webhook_dups = sum(n for key, n in repeated.items() if key[0] == "/sms")
    callback_dups = sum(n for key, n in repeated.items() if key[0] == "/status")
    leased = {_job_key(row) for row in load.leased_at_kill}
    replies_per_inbound = Counter(r["in_reply_to"] for r in state["replies"])
    reclaimed = f"{load.reclaimed_after:.1f} s" if load.reclaimed_after is not None else "never"
    outside = sum(n for key, n in repeated.items() if key not in leased)
    record_property("repeated_webhooks", webhook_dups)
    record_property("repeated_callbacks", callback_dups)
    record_property("repeats_of_jobs_not_leased_at_the_kill", outside)
    print(
        f"\n{len(load.accepted)}/{TOTAL} inbound accepted (201); {len(load.failures)} injections"
        f" failed at the kill; {len(state['inbound'])} inbound stored;"
        f" {load.to_survivor_only} sent to the survivor alone while the victim was down\n"
        f"{len(load.leased_at_kill)} jobs leased at the kill (both nodes), all finished"
        f" {reclaimed} after it (lease {LEASE_SECONDS:g} s)\n"
        f"duplicates: {webhook_dups} webhooks of {webhooks.total()},"
        f" {callback_dups} status callbacks of {callbacks.total()};"
        f" {outside} of them of jobs not leased at the kill\n"
        f"injection {injected - started:.1f} s, drained {settled - injected:.1f} s later"
    )

    assert _complete(state), (
        f"not settled {SETTLE_SECONDS:g} s after the injection: {state['jobs']} jobs left"
    )
    # Only requests in flight to the victim when it died may fail, and none to the survivor.
    failed = Counter(load.failures)
    assert all(node == "a" for node, _ in load.failures), failed
    assert len(load.failures) <= CONCURRENCY, failed
    assert load.to_survivor_only > 0, "the survivor alone never took load"
    # Nothing acknowledged is lost; everything stored (acknowledged or not) is delivered.
    assert set(load.accepted) <= state["inbound"]
    assert state["inbound"] <= set(webhooks)
    # One reply per inbound message (a killed node's work never commits), each delivered,
    # each with its sent and delivered callbacks.
    assert set(replies_per_inbound) == state["inbound"]
    assert set(replies_per_inbound.values()) == {1}
    assert {r["status"] for r in state["replies"]} == {"delivered"}
    for reply in state["replies"]:
        assert callbacks[(reply["sid"], "sent")] >= 1
        assert callbacks[(reply["sid"], "delivered")] >= 1
    # At least once: a delivery may repeat, and a repeat carries the first one's token. How
    # many repeat is reported, not asserted: it depends on the machine's load (a live node
    # that renews its leases late loses jobs to the other node), not only on the kill.
    assert all(len(tokens[key]) == 1 for key in repeated), [
        (key, tokens[key]) for key in repeated if len(tokens[key]) != 1
    ][:10]
