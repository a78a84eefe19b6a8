"""The Store contract, what an account sets up before it sends: the account and its
credentials, phone numbers, Messaging Services with their pools and Advanced Opt-Out
settings, and Content templates with their approvals.

Every test runs against every backend (see conftest.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from store_paging import walk
from switchboard.domain.models import Content, ContentApproval
from switchboard.domain.optout import OptOutSettings
from switchboard.ports import InvalidPageToken, PageRequest, Store, StoreConflict

Records = Any  # conftest.Records (test modules cannot import conftest)


# Accounts and credentials ----------------------------------------------------------------------


async def test_accounts_round_trip_update_and_main(store: Store, make: Records) -> None:
    main = make.account(friendly_name="Main")
    sub = make.account(owner=main.sid, friendly_name="Sub", type="Trial")
    await store.insert_account(main)
    await store.insert_account(sub)

    assert await store.get_account(main.sid) == main
    assert await store.get_account(sub.sid) == sub
    assert await store.get_account(make.sid("AC")) is None
    assert await store.find_main_account() == main

    changed = dataclasses.replace(
        sub, friendly_name="Renamed", auth_token="t" * 32, status="suspended",
        date_updated=make.at(99),
    )  # fmt: skip
    await store.update_account(changed)
    assert await store.get_account(sub.sid) == changed


async def test_find_main_account_is_none_without_accounts(store: Store) -> None:
    assert await store.find_main_account() is None


async def test_list_accounts_filters_and_pages(store: Store, make: Records) -> None:
    main = make.account()
    other = make.account()
    subs = [
        make.account(
            owner=main.sid, friendly_name=f"sub{i % 2}", status=["active", "closed"][i % 2]
        )
        for i in range(5)
    ]
    for account in [main, other, *subs]:
        await store.insert_account(account)

    def fetch(**kw: Any) -> Any:
        return lambda page: store.list_accounts(main.sid, kw.get("name"), kw.get("status"), page)

    pages = await walk(fetch(), 2)
    assert [len(p.items) for p in pages] == [2, 2, 2]
    assert [a.sid for p in pages for a in p.items] == [main.sid] + [s.sid for s in subs]

    named = await store.list_accounts(main.sid, "sub1", None, PageRequest())
    assert [a.sid for a in named.items] == [subs[1].sid, subs[3].sid]
    active = await store.list_accounts(main.sid, None, "active", PageRequest())
    assert [a.sid for a in active.items] == [main.sid, subs[0].sid, subs[2].sid, subs[4].sid]
    assert (await store.list_accounts(main.sid, "sub0", "closed", PageRequest())).items == []

    with pytest.raises(InvalidPageToken):
        await store.list_accounts(main.sid, None, None, PageRequest(after=make.sid("AC")))
    with pytest.raises(InvalidPageToken):  # a real sid, but not of this listing
        await store.list_accounts(main.sid, None, None, PageRequest(after=other.sid))


async def test_api_keys(store: Store, make: Records) -> None:
    account, other = make.account(), make.account()
    keys = [make.api_key(account.sid, friendly_name=f"k{i}") for i in range(3)]
    for key in keys:
        await store.insert_api_key(key)
    stranger = make.api_key(other.sid)
    await store.insert_api_key(stranger)

    assert await store.get_api_key(keys[0].sid) == keys[0]
    assert await store.get_api_key(make.sid("SK")) is None
    renamed = dataclasses.replace(keys[1], friendly_name="renamed", date_updated=make.at(50))
    await store.update_api_key(renamed)
    assert await store.get_api_key(keys[1].sid) == renamed

    pages = await walk(lambda page: store.list_api_keys(account.sid, page), 2)
    assert [k.sid for p in pages for k in p.items] == [k.sid for k in keys]
    assert [p.has_more for p in pages] == [True, False]
    with pytest.raises(InvalidPageToken):
        await store.list_api_keys(account.sid, PageRequest(after=stranger.sid))

    assert not await store.delete_api_key(other.sid, keys[0].sid)  # not that account's key
    assert await store.delete_api_key(account.sid, keys[0].sid)
    assert not await store.delete_api_key(account.sid, keys[0].sid)
    assert await store.get_api_key(keys[0].sid) is None


# Phone numbers and Messaging Services --------------------------------------------------------


async def test_phone_numbers(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    number = make.number(acc.sid, friendly_name="front desk")
    await store.insert_phone_number(number)

    assert await store.get_phone_number(acc.sid, number.sid) == number
    assert await store.get_phone_number(other.sid, number.sid) is None
    assert await store.find_phone_number(number.phone_number) == number
    assert await store.find_phone_number("+19999999999") is None

    with pytest.raises(StoreConflict):  # one owner per phone number, across accounts
        await store.insert_phone_number(make.number(other.sid, phone_number=number.phone_number))
    assert await store.find_phone_number(number.phone_number) == number

    updated = dataclasses.replace(
        number, friendly_name="renamed", sms_url="https://new.example/in", sms_method="POST",
        sms_fallback_url="https://new.example/fb", sms_fallback_method="GET",
        status_callback="", status_callback_method="GET", sms_application_sid="AP" + "1" * 32,
        date_updated=make.at(77),
    )  # fmt: skip
    await store.update_phone_number(updated)
    assert await store.get_phone_number(acc.sid, number.sid) == updated

    assert not await store.delete_phone_number(other.sid, number.sid)
    assert await store.delete_phone_number(acc.sid, number.sid)
    assert await store.get_phone_number(acc.sid, number.sid) is None
    assert not await store.delete_phone_number(acc.sid, number.sid)
    # The number is free again.
    await store.insert_phone_number(make.number(other.sid, phone_number=number.phone_number))


async def test_list_phone_numbers(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    numbers = [make.number(acc.sid, friendly_name=f"n{i % 2}") for i in range(5)]
    for number in numbers:
        await store.insert_phone_number(number)
    foreign = make.number(other.sid)
    await store.insert_phone_number(foreign)

    pages = await walk(lambda page: store.list_phone_numbers(acc.sid, None, None, page), 2)
    assert [n.sid for p in pages for n in p.items] == [n.sid for n in numbers]
    assert [p.has_more for p in pages] == [True, True, False]

    by_number = await store.list_phone_numbers(
        acc.sid, numbers[3].phone_number, None, PageRequest()
    )
    assert by_number.items == [numbers[3]]
    by_name = await store.list_phone_numbers(acc.sid, None, "n0", PageRequest(page_size=2))
    assert [n.sid for n in by_name.items] == [numbers[0].sid, numbers[2].sid]
    assert by_name.has_more
    rest = await store.list_phone_numbers(acc.sid, None, "n0", PageRequest(2, numbers[2].sid))
    assert [n.sid for n in rest.items] == [numbers[4].sid]
    assert not rest.has_more
    assert (
        await store.list_phone_numbers(acc.sid, foreign.phone_number, None, PageRequest())
    ).items == []
    with pytest.raises(InvalidPageToken):
        await store.list_phone_numbers(acc.sid, None, None, PageRequest(after=foreign.sid))


async def test_services_and_their_pools(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    service = make.service(acc.sid, usecase="marketing", status_callback="https://cb.example")
    second = make.service(acc.sid)
    for s in (service, second):
        await store.insert_service(s)
    assert await store.get_service(acc.sid, service.sid) == service
    assert await store.get_service(other.sid, service.sid) is None

    changed = dataclasses.replace(
        service, friendly_name="new", sticky_sender=True, smart_encoding=False,
        validity_period=14400, fallback_url=None, date_updated=make.at(88),
    )  # fmt: skip
    await store.update_service(changed)
    assert await store.get_service(acc.sid, service.sid) == changed

    pages = await walk(lambda page: store.list_services(acc.sid, page), 1)
    assert [[s.sid for s in p.items] for p in pages] == [[service.sid], [second.sid]]
    with pytest.raises(InvalidPageToken):
        await store.list_services(other.sid, PageRequest(after=service.sid))

    numbers = [make.number(acc.sid) for _ in range(3)]
    for number in numbers:
        await store.insert_phone_number(number)
    entries = [make.pool_entry(service, n) for n in numbers]
    for entry in entries:
        await store.add_service_number(entry)
    with pytest.raises(StoreConflict):  # a number belongs to at most one service
        await store.add_service_number(make.pool_entry(second, numbers[0]))

    assert await store.get_service_number(service.sid, numbers[1].sid) == entries[1]
    assert await store.get_service_number(second.sid, numbers[1].sid) is None
    assert await store.service_for_number(numbers[1].sid) == service.sid
    assert await store.service_for_number(make.sid("PN")) is None
    pool = await walk(lambda page: store.list_service_numbers(service.sid, page), 2)
    assert [e for p in pool for e in p.items] == entries
    with pytest.raises(InvalidPageToken):
        await store.list_service_numbers(second.sid, PageRequest(after=numbers[0].sid))

    assert not await store.remove_service_number(second.sid, numbers[0].sid)
    assert await store.remove_service_number(service.sid, numbers[0].sid)
    assert await store.service_for_number(numbers[0].sid) is None
    await store.add_service_number(make.pool_entry(second, numbers[0]))  # free to move now

    # Deleting a number takes it out of its pool; deleting a service empties its pool.
    assert await store.delete_phone_number(acc.sid, numbers[1].sid)
    assert await store.get_service_number(service.sid, numbers[1].sid) is None
    assert not await store.delete_service(other.sid, service.sid)
    assert await store.delete_service(acc.sid, service.sid)
    assert await store.get_service(acc.sid, service.sid) is None
    assert await store.service_for_number(numbers[2].sid) is None
    assert not await store.delete_service(acc.sid, service.sid)
    assert await store.service_for_number(numbers[0].sid) == second.sid


async def test_find_number_and_service(store: Store, make: Records) -> None:
    acc = make.account()
    service = make.service(acc.sid)
    await store.insert_service(service)
    pooled, alone = make.number(acc.sid), make.number(acc.sid)
    for number in (pooled, alone):
        await store.insert_phone_number(number)
    await store.add_service_number(make.pool_entry(service, pooled))

    assert await store.find_number_and_service(pooled.phone_number) == (pooled, service)
    assert await store.find_number_and_service(alone.phone_number) == (alone, None)
    assert await store.find_number_and_service("+10000000000") is None


async def test_opt_out_settings(store: Store, make: Records) -> None:
    acc = make.account()
    service = make.service(acc.sid)
    await store.insert_service(service)
    assert await store.get_opt_out_settings(service.sid) is None

    custom = OptOutSettings.from_json(
        {"stop": {"keywords": ["arret"], "reply": "Bye."}, "help": {"reply": "Call us."}}
    )
    await store.save_opt_out_settings(acc.sid, service.sid, custom, make.at(1))
    assert await store.get_opt_out_settings(service.sid) == custom
    off = OptOutSettings(enabled=False)
    await store.save_opt_out_settings(acc.sid, service.sid, off, make.at(2))
    assert await store.get_opt_out_settings(service.sid) == off

    await store.reset()
    assert await store.get_opt_out_settings(service.sid) == off  # settings belong with services
    assert await store.delete_service(acc.sid, service.sid)
    assert await store.get_opt_out_settings(service.sid) is None


async def test_contents_and_their_approval(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    contents = [
        Content(
            make.sid("HX"),
            acc.sid,
            f"t{n}",
            "en",
            {"1": "Ada"},
            {
                "twilio/text": {"body": "Hi {{1}}"},
                "twilio/location": {"latitude": 1.5, "longitude": -2},
            },
            make.at(n),
            make.at(n),
        )
        for n in range(3)
    ]
    for content in contents:
        await store.insert_content(content)
    assert await store.get_content(acc.sid, contents[0].sid) == contents[0]
    assert await store.get_content(other.sid, contents[0].sid) is None  # another account's
    pages = await walk(lambda page: store.list_contents(acc.sid, page), 2)
    assert [c for p in pages for c in p.items] == contents
    assert (await store.list_contents(other.sid, PageRequest())).items == []

    changed = dataclasses.replace(contents[0], types={"twilio/text": {"body": "new"}})
    assert await store.update_content(changed)
    assert await store.get_content(acc.sid, changed.sid) == changed
    assert not await store.update_content(dataclasses.replace(changed, account_sid=other.sid))

    approval = ContentApproval(
        changed.sid, acc.sid, "hello", "UTILITY", "twilio/text", "received", "",
        make.at(5), make.at(5),
    )  # fmt: skip
    assert await store.save_content_approval(approval)
    decided = dataclasses.replace(approval, status="rejected", rejection_reason="No.")
    assert await store.save_content_approval(decided)  # a later decision replaces it
    assert await store.get_content_approval(acc.sid, changed.sid) == decided
    assert await store.get_content_approval(other.sid, changed.sid) is None
    assert await store.list_content_approvals([changed.sid, contents[1].sid]) == [decided]

    assert await store.delete_content(acc.sid, changed.sid)
    assert not await store.delete_content(acc.sid, changed.sid)
    assert await store.get_content_approval(acc.sid, changed.sid) is None  # gone with it
    assert not await store.save_content_approval(approval)  # its template is gone
    await store.reset()
    assert await store.get_content(acc.sid, contents[1].sid) == contents[1]  # kept like numbers
    await store.reset(keep_numbers=False)
    assert await store.get_content(acc.sid, contents[1].sid) is None
