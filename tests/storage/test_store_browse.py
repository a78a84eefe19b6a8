"""The dashboard's searches over messages and webhook attempts, on every backend.

Newest first, scoped to a list of accounts, keyset paged on the SID of each page's last item.
"""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.models import Direction, Message, WebhookAttempt
from switchboard.ports import (
    AttemptBrowse,
    InvalidPageToken,
    MessageBrowse,
    PageRequest,
    Store,
)

Records = Any  # conftest.Records (test modules cannot import conftest)

OURS, HANDSET, OTHER = "+14155550100", "+14155550199", "+14155550123"


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


async def test_search_messages_filters_scopes_and_pages(store: Store, make: Records) -> None:
    account, messages, foreign = await seed(store, make)

    def newest_first(*indexes: int) -> list[str]:
        return [messages[i].sid for i in sorted(indexes, reverse=True)]

    async def found(**fields: Any) -> list[str]:
        search = MessageBrowse(account_sids=[account], **fields)
        return await every(lambda page: store.browse_messages(search, page))

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
    both = MessageBrowse(account_sids=[account, foreign.account_sid], text="code")
    assert await every(lambda page: store.browse_messages(both, page)) == [
        foreign.sid,
        *newest_first(0, 3),
    ]
    mine = MessageBrowse(account_sids=[account])
    with pytest.raises(InvalidPageToken):
        await store.browse_messages(mine, PageRequest(after=foreign.sid))
    with pytest.raises(InvalidPageToken):
        await store.browse_messages(mine, PageRequest(after=make.sid("SM")))


async def test_search_attempts_filters_scopes_and_pages(store: Store, make: Records) -> None:
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
        search = AttemptBrowse(account_sids=[account], **fields)
        return await every(lambda page: store.browse_attempts(search, page))

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

    mine = AttemptBrowse(account_sids=[account])
    foreign_attempt = await store.browse_attempts(
        AttemptBrowse(account_sids=[foreign.account_sid]), PageRequest()
    )
    with pytest.raises(InvalidPageToken):
        await store.browse_attempts(mine, PageRequest(after=foreign_attempt.items[0].sid))
