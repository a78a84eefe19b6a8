"""The Store contract, the outbox (claims, leases, outcomes) and the attempt log.

Every test runs against every backend (see conftest.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from switchboard.domain.cookies import CookieJar, StoredCookie
from switchboard.domain.models import Direction, Job
from switchboard.ports import (
    AttemptFilter,
    JobClaim,
    JobOutcome,
    LeaseLost,
    PageRequest,
    Store,
)

Records = Any  # conftest.Records (test modules cannot import conftest)
Database = Any  # conftest.Database

SECOND = 1_000_000  # microseconds, for make.at()


async def test_claim_respects_due_time_order_and_leases(store: Store, make: Records) -> None:
    assert await store.claim_jobs(make.at(0), 10, 30) == []
    assert await store.next_job_due() is None
    acc = make.account()
    message = make.message(acc.sid)
    later = make.job(make.at(20 * SECOND), kind="status_callback")
    first = make.job(make.at(0), account_sid=acc.sid, message_sid=message.sid)
    second = make.job(make.at(10 * SECOND), kind="carrier")
    await store.insert_message(message, (), [later, first, second])
    assert await store.next_job_due() == make.at(0)

    assert await store.claim_jobs(make.at(-1), 10, 30) == []  # nothing due yet
    claimed = await store.claim_jobs(make.at(10 * SECOND), 10, 30)
    assert [(j.kind, j.due_at, j.payload, j.attempts) for j in claimed] == [
        ("incoming", first.due_at, first.payload, 1),
        ("carrier", second.due_at, second.payload, 1),
    ]
    assert (claimed[0].account_sid, claimed[0].message_sid) == (acc.sid, message.sid)
    assert (claimed[1].account_sid, claimed[1].message_sid) == (None, None)
    assert claimed[0].id != claimed[1].id
    # Leased jobs are not handed out again while the lease runs.
    assert await store.claim_jobs(make.at(10 * SECOND), 10, 30) == []
    assert await store.next_job_due() == make.at(20 * SECOND)

    limited = await store.claim_jobs(make.at(25 * SECOND), 1, 30)
    assert [j.kind for j in limited] == ["status_callback"]
    # The earliest lease ends 30 s after the first claim.
    assert await store.next_job_due() == make.at(40 * SECOND)


async def test_concurrent_claims_get_disjoint_jobs(store: Store, make: Records) -> None:
    await store.insert_message(make.message(make.sid("AC")), (), [make.job() for _ in range(10)])
    first, second = await asyncio.gather(
        store.claim_jobs(make.at(0), 6, 30), store.claim_jobs(make.at(0), 6, 30)
    )
    ids = [j.id for j in first + second]
    assert sorted(len(batch) for batch in (first, second)) == [4, 6]
    assert len(set(ids)) == 10


async def test_an_expired_lease_is_claimable_again(store: Store, make: Records) -> None:
    await store.insert_message(make.message(make.sid("AC")), (), [make.job()])
    (job,) = await store.claim_jobs(make.at(0), 10, 30)
    assert await store.claim_jobs(make.at(29 * SECOND), 10, 30) == []
    (again,) = await store.claim_jobs(make.at(31 * SECOND), 10, 30)  # the worker died
    assert (again.id, again.payload, again.attempts) == (job.id, job.payload, 2)
    assert await store.claim_jobs(make.at(32 * SECOND), 10, 30) == []


async def test_finish_job_commits_the_whole_outcome(store: Store, make: Records) -> None:
    acc = make.account()
    inbound = await store.insert_message(
        make.message(acc.sid, direction=Direction.INBOUND),
        jobs=[make.job(account_sid=acc.sid, message_sid=make.sid("SM"))],
    )
    (job,) = await store.claim_jobs(make.at(0), 10, 30)

    reply = make.message(acc.sid, direction=Direction.OUTBOUND_REPLY, in_reply_to=inbound.sid)
    reply_media = [make.media(reply)]
    attempts = [make.attempt(acc.sid, inbound.sid, attempt=n) for n in (1, 2)]
    received = dataclasses.replace(inbound, status="received", date_updated=make.at(60))
    follow_up = make.job(make.at(5 * SECOND), kind="carrier", message_sid=reply.sid)
    outcome = JobOutcome(
        attempts=attempts,
        new_messages=[(reply, reply_media)],
        message_updates=[received],
        events=[make.event(inbound.sid, "received", 60)],
        new_jobs=[follow_up],
    )
    await store.finish_job(job, outcome)

    assert await store.list_attempts(AttemptFilter(message_sid=inbound.sid)) == attempts
    (stored_reply,) = await store.list_replies(inbound.sid)
    assert stored_reply == dataclasses.replace(reply, seq=stored_reply.seq)
    assert stored_reply.seq > inbound.seq
    assert (await store.list_media(acc.sid, reply.sid, PageRequest())).items == reply_media
    assert await store.find_message(inbound.sid) == received
    assert [e.status for e in await store.list_status_events(inbound.sid)] == [
        "queued",
        "received",
    ]
    assert [e.status for e in await store.list_status_events(reply.sid)] == ["queued"]
    # The finished job is gone; the new one is pending.
    assert await store.pending_jobs(reply.sid, "carrier") == 1
    remaining = await store.claim_jobs(make.at(3600 * SECOND), 10, 30)
    assert [(j.kind, j.payload) for j in remaining] == [("carrier", follow_up.payload)]


async def test_finish_job_with_retry_keeps_the_job(store: Store, make: Records) -> None:
    acc = make.account()
    await store.insert_message(make.message(acc.sid), (), [make.job()])
    (job,) = await store.claim_jobs(make.at(0), 10, 30)
    failure = make.attempt(acc.sid, None, response_status=None, error_code=11200)
    retry_at = make.at(60 * SECOND)
    await store.finish_job(
        job, JobOutcome(attempts=[failure], retry_at=retry_at, payload={"step": 2})
    )

    assert await store.get_attempt(failure.sid) == failure
    assert await store.next_job_due() == retry_at  # the lease was dropped with the retry
    assert await store.claim_jobs(make.at(59 * SECOND), 10, 30) == []
    (retried,) = await store.claim_jobs(retry_at, 10, 30)
    assert (retried.id, retried.due_at, retried.payload, retried.attempts) == (
        job.id,
        retry_at,
        {"step": 2},
        2,
    )
    # Without a new payload the job keeps the one it has.
    await store.finish_job(retried, JobOutcome(retry_at=make.at(61 * SECOND)))
    (third,) = await store.claim_jobs(make.at(61 * SECOND), 10, 30)
    assert (third.payload, third.attempts) == ({"step": 2}, 3)
    await store.finish_job(third, JobOutcome())
    assert await store.next_job_due() is None


async def test_release_all_leases(store: Store, make: Records) -> None:
    await store.insert_message(make.message(make.sid("AC")), (), [make.job() for _ in range(4)])
    assert await store.release_all_leases() == 0
    claimed = await store.claim_jobs(make.at(0), 3, 300)
    assert len(claimed) == 3
    assert await store.release_all_leases() == 3
    assert await store.next_job_due() == make.at(0)
    again = await store.claim_jobs(make.at(0), 10, 300)
    assert sorted(j.attempts for j in again) == [1, 2, 2, 2]


async def test_two_stores_claim_disjoint_jobs(database: Database, make: Records) -> None:
    """Two nodes (two stores, two pools) with three workers each drain 200 due jobs."""
    node_a, node_b = await database.open(), await database.open()
    jobs = [make.job(make.at(i)) for i in range(200)]
    await node_a.insert_message(make.message(make.sid("AC")), (), jobs)

    async def worker(node: Store) -> list[Job]:
        mine: list[Job] = []
        while batch := await node.claim_jobs(make.at(1_000), 7, 60):
            mine.extend(batch)
            await asyncio.sleep(0)
        return mine

    results = await asyncio.gather(*(worker(node) for node in [node_a, node_b] * 3))
    ids = [job.id for claimed in results for job in claimed]
    assert len(ids) == 200
    assert len(set(ids)) == 200
    assert sorted(job.payload["n"] for claimed in results for job in claimed) == sorted(
        job.payload["n"] for job in jobs
    )
    assert all(job.attempts == 1 for claimed in results for job in claimed)


# The attempt log -----------------------------------------------------------------------------


async def test_attempts_by_message_recent_and_by_account(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    m1, m2 = make.sid("SM"), make.sid("SM")
    first = [make.attempt(acc.sid, m1, attempt=n) for n in (1, 2, 3)]
    await store.insert_attempts(first[:2])
    await store.insert_attempts([])
    await store.insert_message(make.message(acc.sid), (), [make.job()])
    (job,) = await store.claim_jobs(make.at(0), 1, 30)
    foreign = make.attempt(other.sid, m2, kind="status_callback", response_headers={})
    await store.finish_job(job, JobOutcome(attempts=[first[2], foreign]))
    no_message = make.attempt(acc.sid, None, response_status=None, duration_ms=0.0)
    await store.insert_attempts([no_message])

    assert await store.list_attempts(AttemptFilter(message_sid=m1)) == first
    assert await store.list_attempts(AttemptFilter(message_sid=m1, limit=2)) == first[:2]
    assert await store.list_attempts(AttemptFilter(message_sid=make.sid("SM"))) == []
    everything = [*first, foreign, no_message]
    assert await store.list_attempts(AttemptFilter()) == everything
    # The most recent ones, still oldest first.
    assert await store.list_attempts(AttemptFilter(limit=2)) == [foreign, no_message]
    mine = await store.list_attempts(AttemptFilter(account_sids=[acc.sid]))
    assert mine == [*first, no_message]
    assert await store.list_attempts(AttemptFilter(account_sids=[])) == []
    # The limit counts the caller's own attempts, not everyone's.
    assert await store.list_attempts(AttemptFilter(account_sids=[other.sid], limit=1)) == [foreign]
    two_of_mine = AttemptFilter(account_sids=[acc.sid], limit=2)
    assert await store.list_attempts(two_of_mine) == [first[2], no_message]
    scoped = AttemptFilter(account_sids=[other.sid], message_sid=m1)
    assert await store.list_attempts(scoped) == []

    got = await store.get_attempt(first[0].sid)
    assert got == first[0]
    assert got is not None
    assert list(got.request_headers) == list(first[0].request_headers)  # order kept
    assert await store.get_attempt(make.sid("WA")) is None


async def test_next_job_due_counts_leases(store: Store, make: Records) -> None:
    await store.insert_message(
        make.message(make.sid("AC")), (), [make.job(make.at(0)), make.job(make.at(50 * SECOND))]
    )
    await store.claim_jobs(make.at(0), 1, 100)
    # The leased job is due again when its lease ends (100 s), after the other one (50 s).
    assert await store.next_job_due() == make.at(50 * SECOND)
    await store.claim_jobs(make.at(50 * SECOND), 1, 10)
    assert await store.next_job_due() == make.at(60 * SECOND)


async def test_a_reclaimed_job_cannot_be_finished_by_its_first_worker(
    store: Store, make: Records
) -> None:
    acc = make.account()
    inbound = await store.insert_message(make.message(acc.sid), (), [make.job()])
    (first,) = await store.claim_jobs(make.at(0), 10, 30)
    (second,) = await store.claim_jobs(make.at(31 * SECOND), 10, 30)  # the lease lapsed
    late = JobOutcome(attempts=[make.attempt(acc.sid, inbound.sid)])
    with pytest.raises(LeaseLost):
        await store.finish_job(first, late)
    # Nothing of the stale outcome was written, and the job still belongs to the new claim.
    assert await store.list_attempts(AttemptFilter(message_sid=inbound.sid)) == []
    await store.finish_job(second, JobOutcome(retry_at=make.at(3600 * SECOND)))
    with pytest.raises(LeaseLost):
        await store.finish_job(first, JobOutcome())
    (third,) = await store.claim_jobs(make.at(3601 * SECOND), 10, 30)
    assert third.attempts == 3


# Claim at insert (JobClaim) ------------------------------------------------------------------


def _claim(make: Records, due_by_s: int = 0, lease_s: int = 30) -> JobClaim:
    """A writer's claim: it runs what is due by ``due_by_s`` itself, leased for ``lease_s``."""
    return JobClaim(
        due_by=make.at(due_by_s * SECOND), leased_until=make.at((due_by_s + lease_s) * SECOND)
    )


async def test_a_job_claimed_at_insert_is_its_writers_until_the_lease_lapses(
    store: Store, make: Records
) -> None:
    """A due job written with a claim runs in its writer only; if the writer dies (never
    finishes it), the job is claimed again once the lease lapses and the writer's stale copy
    can no longer finish it."""
    acc = make.account()
    message = make.message(acc.sid)
    due = make.job(make.at(0), account_sid=acc.sid, message_sid=message.sid)
    claim = _claim(make)
    await store.insert_message(message, (), [due], claim=claim)

    (mine,) = claim.jobs
    assert (mine.kind, mine.due_at, mine.payload, mine.attempts) == (
        due.kind,
        due.due_at,
        due.payload,
        1,
    )
    assert (mine.account_sid, mine.message_sid) == (acc.sid, message.sid)
    # Leased like a claimed job: nobody else gets it while the lease runs.
    assert await store.next_job_due() == claim.leased_until
    assert await store.claim_jobs(make.at(29 * SECOND), 10, 30) == []

    (again,) = await store.claim_jobs(make.at(31 * SECOND), 10, 30)  # the writer died
    assert (again.id, again.payload, again.attempts) == (mine.id, due.payload, 2)
    with pytest.raises(LeaseLost):
        await store.finish_job(mine, JobOutcome())
    await store.finish_job(again, JobOutcome())
    assert await store.next_job_due() is None


async def test_finishing_a_job_claimed_at_insert_removes_it(store: Store, make: Records) -> None:
    """The Job a claim hands back (its real id, claim count 1) finishes like a claimed one:
    the right row is retried or deleted, and it never runs a second time."""
    first, second = make.job(make.at(0)), make.job(make.at(-5 * SECOND))
    claim = _claim(make)
    await store.insert_message(make.message(make.sid("AC")), (), [first, second], claim=claim)
    assert [j.payload for j in claim.jobs] == [first.payload, second.payload]
    assert len({j.id for j in claim.jobs}) == 2

    mine_first, mine_second = claim.jobs
    await store.finish_job(mine_second, JobOutcome())
    retry_at = make.at(60 * SECOND)
    await store.finish_job(mine_first, JobOutcome(retry_at=retry_at))
    assert await store.next_job_due() == retry_at  # only the retried one is left
    (retried,) = await store.claim_jobs(retry_at, 10, 30)
    assert (retried.id, retried.payload, retried.attempts) == (mine_first.id, first.payload, 2)
    await store.finish_job(retried, JobOutcome())
    assert await store.claim_jobs(make.at(3600 * SECOND), 10, 30) == []


async def test_a_claim_leaves_jobs_due_later_to_claim_jobs(store: Store, make: Records) -> None:
    """Only jobs due by the claim's ``due_by`` are taken by the writer; a later one is written
    unleased and is claimed as usual when it falls due."""
    now, later = make.job(make.at(0)), make.job(make.at(10 * SECOND), kind="carrier")
    claim = _claim(make)
    await store.insert_message(make.message(make.sid("AC")), (), [later, now], claim=claim)

    assert [(j.payload, j.attempts) for j in claim.jobs] == [(now.payload, 1)]
    assert await store.next_job_due() == later.due_at
    assert await store.claim_jobs(make.at(9 * SECOND), 10, 30) == []
    (claimed,) = await store.claim_jobs(later.due_at, 10, 30)
    assert (claimed.kind, claimed.payload, claimed.attempts) == ("carrier", later.payload, 1)
    assert claimed.id != claim.jobs[0].id


async def test_update_message_claims_its_due_jobs(store: Store, make: Records) -> None:
    """A status change's due callback, written with a claim, is leased to the writer and
    finished by it; a later job of the same write waits for claim_jobs."""
    acc = make.account()
    message = await store.insert_message(make.message(acc.sid))
    sent = dataclasses.replace(message, status="sent", date_updated=make.at(100))
    callback = make.job(
        make.at(0), kind="status_callback", account_sid=acc.sid, message_sid=message.sid
    )
    later = make.job(make.at(10 * SECOND), kind="carrier", message_sid=message.sid)
    claim = _claim(make)
    await store.update_message(
        sent, [callback, later], [make.event(message.sid, "sent", 100)], claim
    )

    assert await store.find_message(message.sid) == sent
    (mine,) = claim.jobs
    assert (mine.kind, mine.payload, mine.attempts) == ("status_callback", callback.payload, 1)
    assert (mine.account_sid, mine.message_sid) == (acc.sid, message.sid)
    assert await store.pending_jobs(message.sid, "status_callback") == 1
    (claimed,) = await store.claim_jobs(make.at(29 * SECOND), 10, 30)  # not the leased one
    assert (claimed.kind, claimed.payload) == ("carrier", later.payload)
    await store.finish_job(mine, JobOutcome())
    assert await store.pending_jobs(message.sid, "status_callback") == 0


async def test_finish_job_claims_the_outcomes_due_jobs(store: Store, make: Records) -> None:
    """A job's outcome hands its due follow-up jobs (a reply's first carrier step) to the
    same writer, leased; the outcome's later jobs are left to claim_jobs."""
    await store.insert_message(make.message(make.sid("AC")), (), [make.job()])
    (job,) = await store.claim_jobs(make.at(0), 10, 30)
    step = make.job(make.at(1 * SECOND), kind="carrier")
    later = make.job(make.at(60 * SECOND), kind="status_callback")
    claim = _claim(make, due_by_s=1)
    await store.finish_job(job, JobOutcome(new_jobs=[step, later]), claim)

    (mine,) = claim.jobs
    assert (mine.kind, mine.payload, mine.attempts) == ("carrier", step.payload, 1)
    assert await store.claim_jobs(make.at(30 * SECOND), 10, 30) == []  # leased until 31 s
    await store.finish_job(mine, JobOutcome())
    (claimed,) = await store.claim_jobs(later.due_at, 10, 30)
    assert (claimed.kind, claimed.payload, claimed.attempts) == (
        "status_callback",
        later.payload,
        1,
    )


async def test_a_stale_finish_claims_nothing(store: Store, make: Records) -> None:
    """A worker that lost its job's lease writes none of its outcome: no new jobs, and none
    handed to it to run."""
    await store.insert_message(make.message(make.sid("AC")), (), [make.job()])
    (first,) = await store.claim_jobs(make.at(0), 10, 30)
    (second,) = await store.claim_jobs(make.at(31 * SECOND), 10, 30)  # the lease lapsed
    claim = _claim(make, due_by_s=31)
    with pytest.raises(LeaseLost):
        await store.finish_job(first, JobOutcome(new_jobs=[make.job(make.at(0))]), claim)
    assert claim.jobs == []
    await store.finish_job(second, JobOutcome())
    assert await store.next_job_due() is None


async def test_a_stale_finish_cannot_take_a_follow_up_claimed_at_insert(
    store: Store, make: Records
) -> None:
    """The fence (id, claim count) of a worker that lost its job must not match the follow-up
    job that the job's new owner wrote, claimed at insert, when it finished the job (job ids
    are never reused)."""
    await store.insert_message(make.message(make.sid("AC")), (), [make.job()])
    (stale,) = await store.claim_jobs(make.at(0), 10, 30)
    (owner,) = await store.claim_jobs(make.at(31 * SECOND), 10, 30)  # the lease lapsed
    claim = _claim(make, due_by_s=31)
    step = make.job(make.at(31 * SECOND), kind="carrier")
    await store.finish_job(owner, JobOutcome(new_jobs=[step]), claim)
    (follow_up,) = claim.jobs

    with pytest.raises(LeaseLost):
        await store.finish_job(stale, JobOutcome())
    await store.finish_job(follow_up, JobOutcome())  # still the owner's to finish


# Conversations' cookie jars --------------------------------------------------------------------


async def test_a_job_claimed_at_insert_knows_whether_its_conversation_has_cookies(
    store: Store, make: Records
) -> None:
    """The write of an inbound message learns whether its conversation (To is ours, From is
    theirs) keeps cookies; a claimed job whose conversation keeps none skips reading the jar.
    A job claimed later knows nothing and reads it."""
    account = make.sid("AC")
    ours, theirs = "+15555550100", "+15555550199"
    cookie = StoredCookie("session", "abc", "app.example", True, "/", False, make.at(4 * SECOND))

    async def claimed_for(to: str, from_: str) -> Job:
        message = make.message(account, direction=Direction.INBOUND, to=to, from_=from_)
        claim = _claim(make)
        await store.insert_message(message, (), [make.job(make.at(0))], claim=claim)
        (job,) = claim.jobs
        return job

    first = await claimed_for(ours, theirs)
    assert first.cookies_known_absent
    jar = CookieJar(account, ours, theirs, (cookie,), make.at(0))
    await store.finish_job(first, JobOutcome(cookie_jar=jar))
    assert not (await claimed_for(ours, theirs)).cookies_known_absent
    assert (await claimed_for(ours, "+15555550188")).cookies_known_absent  # another handset
    assert (await claimed_for(theirs, ours)).cookies_known_absent  # the other way round
    await store.insert_message(make.message(account), (), [make.job(make.at(0))])
    (later,) = await store.claim_jobs(make.at(0), 10, 30)  # the others are still leased
    assert not later.cookies_known_absent


async def test_a_finished_exchange_saves_replaces_and_empties_the_cookie_jar(
    store: Store, make: Records
) -> None:
    """The cookies an app set are committed with the exchange that set them, read back for the
    same pair of numbers only, replaced by the next exchange, gone once empty or after reset."""
    account = make.sid("AC")
    cookie = StoredCookie("session", "abc", "app.example", True, "/", False, make.at(4 * SECOND))
    jar = CookieJar(account, "+15555550100", "+15555550199", (cookie,), make.at(0))

    async def finish(saved: CookieJar) -> None:
        await store.insert_message(make.message(account), (), [make.job()])
        (job,) = await store.claim_jobs(make.at(0), 10, 30)
        await store.finish_job(job, JobOutcome(cookie_jar=saved))

    assert await store.get_cookie_jar(jar.ours, jar.theirs) is None
    await finish(jar)
    assert await store.get_cookie_jar(jar.ours, jar.theirs) == jar
    assert await store.get_cookie_jar(jar.ours, "+15555550188") is None
    assert await store.get_cookie_jar(jar.theirs, jar.ours) is None

    theme = dataclasses.replace(cookie, name="theme", value="dark", expires=make.at(9 * SECOND))
    replaced = dataclasses.replace(jar, cookies=(theme, cookie), date_updated=make.at(5))
    await finish(replaced)
    assert await store.get_cookie_jar(jar.ours, jar.theirs) == replaced

    await finish(dataclasses.replace(jar, cookies=()))
    assert await store.get_cookie_jar(jar.ours, jar.theirs) is None

    await finish(jar)
    await store.reset()
    assert await store.get_cookie_jar(jar.ours, jar.theirs) is None
