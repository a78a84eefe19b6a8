"""The store's searches on every backend (``search_messages``, ``search_attempts``: the
dashboard's finder and the assertion API), the wake-up on writes, and the assertion API's
Body scan and Wait over them.

Newest first, scoped to a list of accounts, keyset paged on the SID of each page's last item.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import pytest

from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Direction, Message, WebhookAttempt
from switchboard.ports import (
    AttemptQuery,
    InvalidPageToken,
    JobOutcome,
    MessageQuery,
    PageRequest,
    Store,
)
from switchboard.services import search as search_module
from switchboard.services.search import AttemptSearch, MessageSearch, find_attempts, find_messages

Records = Any  # conftest.Records (test modules cannot import conftest)

OURS, HANDSET, OTHER = "+14155550100", "+14155550199", "+14155550123"


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
        limit = query.pop("limit", 50)
        page = await store.search_messages(MessageQuery(**query), PageRequest(limit))
        return [m.sid for m in page.items]

    assert await sids() == [c.sid, b.sid, a.sid]
    assert await sids(account_sids=[main]) == [b.sid, a.sid]
    assert await sids(account_sids=[sub]) == [c.sid]
    assert await sids(to="+14155550001") == [c.sid, a.sid]
    assert await sids(from_="+14155550009") == [b.sid]
    assert await sids(status="received") == [b.sid]
    assert await sids(direction="outbound-api") == [c.sid, a.sid]
    assert await sids(created_from=make.at(500)) == [b.sid]
    assert await sids(created_from=make.at(501)) == []
    assert await sids(before_seq=c.seq) == [b.sid, a.sid]
    # A page token takes the place of a starting position.
    below_a = MessageQuery([main, sub], before_seq=a.seq)
    page = await store.search_messages(below_a, PageRequest(after=c.sid))
    assert [m.sid for m in page.items] == [b.sid, a.sid]
    assert await sids(limit=1) == [c.sid]


async def test_search_attempts_filters_newest_first(store: Store, make: Records) -> None:
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
        limit = query.pop("limit", 200)
        page = await store.search_attempts(AttemptQuery(**query), PageRequest(limit))
        return [a.sid for a in page.items]

    assert await sids() == [theirs.sid, failed.sid, ok.sid]
    assert await sids(account_sids=[main]) == [failed.sid, ok.sid]
    assert await sids(message_sid=message.sid) == [failed.sid, ok.sid]
    assert await sids(kind="fallback") == [failed.sid]
    assert await sids(url="https://app.example/fallback") == [failed.sid]
    assert await sids(status=500) == [theirs.sid]
    assert await sids(error_code=11200) == [failed.sid]
    assert await sids(created_from=make.at(900)) == [failed.sid]
    assert await sids(limit=2) == [theirs.sid, failed.sid]


async def test_find_attempts_answers_the_newest_oldest_first(store: Store, make: Records) -> None:
    main, _ = await accounts(store, make)
    attempts = [make.attempt(main, None) for _ in range(3)]
    await store.insert_attempts(attempts)
    found = await find_attempts(store, [main], AttemptSearch(limit=2))
    assert [a.sid for a in found] == [attempts[1].sid, attempts[2].sid]


async def every(fetch: Any, page_size: int = 2) -> list[str]:
    """The SIDs of every page of a search, following each page's last SID."""
    sids: list[str] = []
    after: str | None = None
    while True:
        page = await fetch(PageRequest(page_size=page_size, after=after))
        assert len(page.items) <= page_size
        sids += [item.sid for item in page.items]
        if not page.has_more:
            return sids
        after = page.items[-1].sid


async def seed(store: Store, make: Records) -> tuple[str, list[Message], Message]:
    acc, other = make.account(), make.account()
    service = make.sid("MG")
    rows = [
        {"direction": Direction.INBOUND, "from_": HANDSET, "to": OURS, "body": "Your code is 1234",
             "status": "received"},
        {"from_": OURS, "to": HANDSET, "body": "100% sure_thing", "status": "delivered",
             "messaging_service_sid": service},
        {"from_": OURS, "to": OTHER, "body": "late", "status": "undelivered", "error_code": 30003},
        {"direction": Direction.OUTBOUND_REPLY, "from_": "whatsapp:" + OURS,
             "to": "whatsapp:" + HANDSET, "body": "Hola CODE", "status": "read"},
        {"direction": Direction.INBOUND, "from_": OTHER, "to": OURS, "body": "stop",
         "status": "received"},
    ]  # fmt: skip
    messages = []
    for i, fields in enumerate(rows):
        created = make.message(acc.sid, date_created=make.at(1_000 * i), **fields)
        messages.append(await store.insert_message(created))
    foreign = await store.insert_message(make.message(other.sid, body="Your code is 1234"))
    return acc.sid, messages, foreign


async def test_search_messages_text_filters_scopes_and_pages(store: Store, make: Records) -> None:
    account, messages, foreign = await seed(store, make)

    def newest_first(*indexes: int) -> list[str]:
        return [messages[i].sid for i in sorted(indexes, reverse=True)]

    async def found(**fields: Any) -> list[str]:
        query = MessageQuery(account_sids=[account], **fields)
        return await every(lambda page: store.search_messages(query, page))

    assert await found() == newest_first(0, 1, 2, 3, 4)
    # Text: the body (case-insensitive), an address, a SID; % and _ are only themselves.
    assert await found(text="code") == newest_first(0, 3)
    assert await found(text="0123") == newest_first(2, 4)
    assert await found(text=messages[2].sid) == newest_first(2)
    assert await found(text="100%") == newest_first(1)
    assert await found(text="s_re") == []
    assert await found(text="e_th") == newest_first(1)
    assert await found(text="_") == newest_first(1)
    assert await found(number=HANDSET) == newest_first(0, 1)
    assert await found(service_sid=messages[1].messaging_service_sid) == newest_first(1)
    assert await found(status="received") == newest_first(0, 4)
    assert await found(direction="inbound") == newest_first(0, 4)
    assert await found(direction="outbound") == newest_first(1, 2, 3)
    assert await found(direction="outbound-reply") == newest_first(3)
    assert await found(channel="whatsapp") == newest_first(3)
    assert await found(channel="sms") == newest_first(0, 1, 2, 4)
    assert await found(error_code=30003) == newest_first(2)
    window = {"created_from": make.at(1_000), "created_before": make.at(3_000)}
    assert await found(**window) == newest_first(1, 2)
    assert await found(text="code", direction="inbound") == newest_first(0)

    # Other accounts' messages are out of scope, their SIDs too as page tokens.
    both = MessageQuery(account_sids=[account, foreign.account_sid], text="code")
    assert await every(lambda page: store.search_messages(both, page)) == [
        foreign.sid,
        *newest_first(0, 3),
    ]
    mine = MessageQuery(account_sids=[account])
    with pytest.raises(InvalidPageToken):
        await store.search_messages(mine, PageRequest(after=foreign.sid))
    with pytest.raises(InvalidPageToken):
        await store.search_messages(mine, PageRequest(after=make.sid("SM")))


async def test_search_attempts_text_filters_scopes_and_pages(store: Store, make: Records) -> None:
    account, messages, foreign = await seed(store, make)
    outcomes: list[dict[str, Any]] = [
        {"response_status": 200},
        {"response_status": 502, "error_code": 11200},
        {"response_status": None, "error_code": 11205, "kind": "status_callback"},
        {"response_status": 302, "url": "https://app.example/moved"},
        {"response_status": 404},
    ]
    attempts: list[WebhookAttempt] = [
        make.attempt(account, messages[i].sid, date_created=make.at(1_000 * i), **fields)
        for i, fields in enumerate(outcomes)
    ]
    attempts.append(make.attempt(account, None, date_created=make.at(9_000), response_status=200))
    await store.insert_attempts(attempts)
    await store.insert_attempts([make.attempt(foreign.account_sid, foreign.sid)])

    def newest_first(*indexes: int) -> list[str]:
        return [attempts[i].sid for i in sorted(indexes, reverse=True)]

    async def found(**fields: Any) -> list[str]:
        query = AttemptQuery(account_sids=[account], **fields)
        return await every(lambda page: store.search_attempts(query, page))

    assert await found() == newest_first(0, 1, 2, 3, 4, 5)
    assert await found(failed=True) == newest_first(1, 2, 4)
    assert await found(error_code=11200) == newest_first(1)
    assert await found(kind="status_callback") == newest_first(2)
    assert await found(message_sid=messages[3].sid) == newest_first(3)
    # Text: the attempt's SID or URL, or its message's body and addresses.
    assert await found(text="MOVED") == newest_first(3)
    assert await found(text=attempts[4].sid) == newest_first(4)
    assert await found(text="code") == newest_first(0, 3)
    assert await found(text=messages[1].sid) == newest_first(1)
    assert await found(number=OTHER) == newest_first(2, 4)
    assert await found(service_sid=messages[1].messaging_service_sid) == newest_first(1)
    window = {"created_from": make.at(1_000), "created_before": make.at(4_000)}
    assert await found(**window, failed=True) == newest_first(1, 2)

    mine = AttemptQuery(account_sids=[account])
    foreign_attempt = await store.search_attempts(
        AttemptQuery(account_sids=[foreign.account_sid]), PageRequest()
    )
    with pytest.raises(InvalidPageToken):
        await store.search_attempts(mine, PageRequest(after=foreign_attempt.items[0].sid))


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


@pytest.mark.parametrize("busy", [False, True], ids=["rare-number", "busy-number"])
async def test_a_number_is_found_on_either_side_once_and_paged(
    store: Store, make: Records, busy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``number`` matches either address; a message to itself is one match, not two. The
    attempt search reads a rare number through its messages and a busy one attempt by
    attempt (``RARE_NUMBER``): both give the same pages."""
    if busy:  # every number counts as busy
        monkeypatch.setattr("switchboard.storage.read_paths.RARE_NUMBER", 0)
    account = make.account()
    await store.insert_account(account)
    pairs = [(HANDSET, OURS), (OURS, HANDSET), (OURS, OTHER), (HANDSET, HANDSET),
             (OTHER, OURS), (OURS, HANDSET), (HANDSET, OTHER)]  # fmt: skip
    messages = [
        await store.insert_message(
            make.message(account.sid, from_=f, to=t, date_created=make.at(1_000 * i))
        )
        for i, (f, t) in enumerate(pairs)
    ]
    attempts = [
        make.attempt(account.sid, m.sid, date_created=make.at(1_000 * i + 500))
        for i, m in enumerate(messages)
    ]
    await store.insert_attempts(attempts)
    handsets = [i for i, (f, t) in enumerate(pairs) if HANDSET in (f, t)]

    messages_query = MessageQuery(account_sids=[account.sid], number=HANDSET)
    found = await every(lambda page: store.search_messages(messages_query, page))
    assert found == [messages[i].sid for i in reversed(handsets)]
    attempts_query = AttemptQuery(account_sids=[account.sid], number=HANDSET)
    found = await every(lambda page: store.search_attempts(attempts_query, page))
    assert found == [attempts[i].sid for i in reversed(handsets)]
    # With another filter too, and a number nobody has.
    assert await every(
        lambda page: store.search_messages(
            MessageQuery(account_sids=[account.sid], number=HANDSET, to=OTHER), page
        )
    ) == [messages[6].sid]
    nobody = AttemptQuery(account_sids=[account.sid], number="+14155550000")
    assert await every(lambda page: store.search_attempts(nobody, page)) == []
