"""The assertion API's store side, on every backend: the searches (``search_messages``,
``search_attempts``), the wake-up on writes, and the service's Body scan and Wait over them."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import pytest

from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Direction
from switchboard.ports import AttemptQuery, JobOutcome, MessageQuery, Store
from switchboard.services import search as search_module
from switchboard.services.search import AttemptSearch, MessageSearch, find_attempts, find_messages

Records = Any  # conftest.Records


async def accounts(store: Store, make: Records) -> tuple[str, str]:
    main = make.account()
    await store.insert_account(main)
    sub = make.account(owner=main.sid)
    await store.insert_account(sub)
    return main.sid, sub.sid


async def test_search_messages_filters_newest_first(store: Store, make: Records) -> None:
    main, sub = await accounts(store, make)
    a = await store.insert_message(make.message(main, to="+14155550001", status="delivered"))
    b = await store.insert_message(
        make.message(
            main, direction=Direction.INBOUND, from_="+14155550009", to="+14155550100",
            status="received", date_created=make.at(500),
        )
    )  # fmt: skip
    c = await store.insert_message(make.message(sub, to="+14155550001", status="delivered"))

    async def sids(**query: Any) -> list[str]:
        query.setdefault("account_sids", [main, sub])
        return [m.sid for m in await store.search_messages(MessageQuery(**query))]

    assert await sids() == [c.sid, b.sid, a.sid]
    assert await sids(account_sids=[main]) == [b.sid, a.sid]
    assert await sids(account_sids=[sub]) == [c.sid]
    assert await sids(to="+14155550001") == [c.sid, a.sid]
    assert await sids(from_="+14155550009") == [b.sid]
    assert await sids(status="received") == [b.sid]
    assert await sids(direction="outbound-api") == [c.sid, a.sid]
    assert await sids(since=make.at(500)) == [b.sid]
    assert await sids(since=make.at(501)) == []
    assert await sids(before_seq=c.seq) == [b.sid, a.sid]
    assert await sids(limit=1) == [c.sid]


async def test_search_attempts_filters_newest_limit_oldest_first(
    store: Store, make: Records
) -> None:
    main, sub = await accounts(store, make)
    message = make.message(main)
    await store.insert_message(message)
    ok = make.attempt(main, message.sid)
    failed = make.attempt(
        main, message.sid, kind="fallback", url="https://app.example/fallback",
        response_status=None, error_code=11200, date_created=make.at(900),
    )  # fmt: skip
    theirs = make.attempt(sub, None, kind="status_callback", response_status=500)
    await store.insert_attempts([ok, failed, theirs])

    async def sids(**query: Any) -> list[str]:
        query.setdefault("account_sids", [main, sub])
        return [a.sid for a in await store.search_attempts(AttemptQuery(**query))]

    assert await sids() == [ok.sid, failed.sid, theirs.sid]
    assert await sids(account_sids=[main]) == [ok.sid, failed.sid]
    assert await sids(message_sid=message.sid) == [ok.sid, failed.sid]
    assert await sids(kind="fallback") == [failed.sid]
    assert await sids(url="https://app.example/fallback") == [failed.sid]
    assert await sids(status=500) == [theirs.sid]
    assert await sids(error_code=11200) == [failed.sid]
    assert await sids(since=make.at(900)) == [failed.sid]
    assert await sids(limit=2) == [failed.sid, theirs.sid]


async def test_writes_wake_a_waiter(store: Store, make: Records) -> None:
    main, _ = await accounts(store, make)
    seen = store.writes()
    waiter = asyncio.ensure_future(store.wait_for_writes(seen, 30))
    await asyncio.sleep(0)
    assert not waiter.done()
    await store.insert_message(make.message(main))
    await asyncio.wait_for(waiter, 30)  # woken by the write, long before its 30 s
    assert store.writes() > seen
    # A write committed before the wait began (after ``seen`` was read) answers at once.
    await store.wait_for_writes(seen, 30)


async def test_every_write_of_messages_and_attempts_counts(store: Store, make: Records) -> None:
    main, _ = await accounts(store, make)
    message = make.message(main)
    counts = [store.writes()]
    await store.insert_message(message)
    counts.append(store.writes())
    await store.update_message(dataclasses.replace(message, status="sent"))
    counts.append(store.writes())
    await store.insert_attempts([make.attempt(main, message.sid)])
    counts.append(store.writes())
    await store.insert_message(make.message(main), jobs=[make.job()])
    [job] = await store.claim_jobs(make.T0, 10, 60)
    await store.finish_job(job, JobOutcome(attempts=[make.attempt(main, message.sid)]))
    counts.append(store.writes())
    assert counts == sorted(set(counts))  # each step moved the count


async def test_wait_answers_with_the_message_written_meanwhile(store: Store, make: Records) -> None:
    """The waiting search is asleep on the store's signal (no match yet) when the message is
    written; it answers with that message."""
    main, _ = await accounts(store, make)
    await store.insert_message(make.message(main, body="no code here"))
    wanted = MessageSearch(body=re.compile(r"code: (\d{6})"), wait=30)
    search = asyncio.ensure_future(find_messages(store, [main], wanted))
    for _ in range(1000):  # until it has searched once and sleeps on the signal
        await asyncio.sleep(0)
        if getattr(store, "_writes")._event is not None:  # noqa: B009
            break
    assert not search.done()
    arrived = await store.insert_message(make.message(main, body="Your code: 123456"))
    found = await asyncio.wait_for(search, 30)
    assert [m.sid for m in found] == [arrived.sid]


async def test_wait_ends_with_20408(store: Store, make: Records) -> None:
    main, _ = await accounts(store, make)
    with pytest.raises(TwilioError) as raised:
        await find_attempts(store, [main], AttemptSearch(kind="fallback", wait=0.1))
    assert (raised.value.code, raised.value.http_status) == (20408, 408)


async def test_body_scan_reads_chunks_up_to_its_bound(
    store: Store, make: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "SCAN_CHUNK", 3)
    monkeypatch.setattr(search_module, "BODY_SCAN_LIMIT", 9)
    main, _ = await accounts(store, make)
    oldest = await store.insert_message(make.message(main, body="match 0"))
    for n in range(1, 12):
        await store.insert_message(make.message(main, body=f"other {n}"))
    newest = await store.insert_message(make.message(main, body="match 12"))

    async def bodies(pattern: str, limit: int = 50) -> list[str]:
        search = MessageSearch(body=re.compile(pattern), limit=limit)
        return [m.body for m in await find_messages(store, [main], search)]

    # The newest 9 are scanned, 3 at a time: "match 12", "other 11" ... "other 4".
    assert await bodies("other (4|7|10)") == ["other 10", "other 7", "other 4"]
    assert await bodies("other", limit=2) == ["other 11", "other 10"]
    # Older messages are beyond the bound: not searched.
    assert await bodies("other 3$") == []
    assert await bodies("match") == [newest.body]
    assert oldest.body == "match 0"
