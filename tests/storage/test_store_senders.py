"""The Store contract, senders: short codes, alphanumeric and channel senders held by an
account and pooled by a Messaging Service, sticky senders, and the sender choice committed with
the job that made it.

Every test runs against every backend (see conftest.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from switchboard.domain.models import AccountSender, SenderChoice, SenderKind, ServiceSender
from switchboard.ports import JobOutcome, PageRequest, Store, StoreConflict

Records = Any  # conftest.Records (test modules cannot import conftest)


async def test_held_senders_and_pool_senders(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    service, second = make.service(acc.sid), make.service(acc.sid)
    for s in (service, second):
        await store.insert_service(s)
    code = AccountSender(
        make.sid("SC"), acc.sid, SenderKind.SHORT_CODE, "12345", "US", "12345", make.at(1),
        make.at(1),
    )  # fmt: skip
    agent = dataclasses.replace(
        code,
        sid=make.sid("XE"),
        kind=SenderKind.CHANNEL_SENDER,
        address="rcs:acme",
        country_code="",
    )
    for held in (code, agent):
        await store.insert_account_sender(held)
    with pytest.raises(StoreConflict):  # one holder per short code
        await store.insert_account_sender(dataclasses.replace(code, sid=make.sid("SC")))
    assert await store.get_account_sender(acc.sid, code.sid) == code
    assert await store.get_account_sender(other.sid, code.sid) is None
    changed = dataclasses.replace(code, sms_url="https://a.example/sc", date_updated=make.at(2))
    await store.update_account_sender(changed)
    assert await store.get_account_sender(acc.sid, code.sid) == changed
    codes = await store.list_account_senders(
        acc.sid, SenderKind.SHORT_CODE, "%12_45%", None, PageRequest()
    )
    assert codes.items == [changed]
    assert await store.find_account_sender("12345") == (changed, None)

    entry = ServiceSender(
        code.sid, service.sid, acc.sid, SenderKind.SHORT_CODE, "12345", "US", make.at(3), make.at(3)
    )
    alpha = dataclasses.replace(
        entry, sid=make.sid("AI"), kind=SenderKind.ALPHA_SENDER, sender="Acme", country_code=""
    )
    for e in (entry, alpha):
        await store.add_service_sender(e)
    with pytest.raises(StoreConflict):  # a sender belongs to one service at a time
        await store.add_service_sender(dataclasses.replace(entry, service_sid=second.sid))
    found = await store.find_account_sender("12345")
    assert found is not None
    assert found[1] is not None
    assert found[1].sid == service.sid
    assert await store.find_service_sender(code.sid) == entry
    assert await store.get_service_sender(service.sid, SenderKind.SHORT_CODE, code.sid) == entry
    assert await store.get_service_sender(service.sid, SenderKind.ALPHA_SENDER, code.sid) is None
    alphas = await store.list_service_senders(
        service.sid, SenderKind.ALPHA_SENDER, None, PageRequest()
    )
    assert alphas.items == [alpha]
    number = make.number(acc.sid, phone_number="+14155550100")
    await store.insert_phone_number(number)
    await store.add_service_number(make.pool_entry(service, number))
    assert sorted(await store.service_pool(service.sid)) == sorted(
        [
            (SenderKind.PHONE_NUMBER, "+14155550100", ""),
            (SenderKind.SHORT_CODE, "12345", "US"),
            (SenderKind.ALPHA_SENDER, "Acme", ""),
        ]
    )
    # Deleting a service empties its pool of every kind.
    assert await store.delete_service(acc.sid, service.sid)
    assert await store.service_pool(service.sid) == []
    assert await store.find_service_sender(code.sid) is None


async def sticky_of(store: Store, service_sid: str, channel: str, recipient: str) -> str | None:
    return (await store.sender_pool(service_sid, channel, recipient))[1]


async def test_sticky_senders_leave_with_their_sender(store: Store, make: Records) -> None:
    acc = make.account()
    service = make.service(acc.sid)
    await store.insert_service(service)
    number = make.number(acc.sid, phone_number="+14155550100")
    await store.insert_phone_number(number)
    await store.add_service_number(make.pool_entry(service, number))
    message = await store.insert_message(
        make.message(acc.sid), jobs=[make.job(account_sid=acc.sid, message_sid=make.sid("SM"))]
    )
    (job,) = await store.claim_jobs(make.at(0), 10, 30)
    choice = SenderChoice(message.sid, "area_code_geomatch", "+14155550100", "why", False, make.T0)
    whatsapp = dataclasses.replace(choice, sender="whatsapp:+14155550100")
    decisions = [
        (choice, (service.sid, "sms", "+14155550199")),
        (whatsapp, (service.sid, "whatsapp", "+14155550199")),
    ]
    await store.finish_job(job, JobOutcome(sender_choices=decisions))
    assert await store.get_sender_choice(message.sid) == whatsapp  # the last decision
    # The pool and the recipient's mapping come back from one read, apart.
    pool, sticky = await store.sender_pool(service.sid, "sms", "+14155550199")
    assert (pool, sticky) == ([(SenderKind.PHONE_NUMBER, "+14155550100", "")], "+14155550100")
    assert await store.service_pool(service.sid) == pool
    assert (
        await sticky_of(store, service.sid, "whatsapp", "+14155550199") == "whatsapp:+14155550100"
    )
    assert await sticky_of(store, service.sid, "sms", "+14155550142") is None

    assert await store.remove_service_number(service.sid, number.sid)
    assert await store.sender_pool(service.sid, "sms", "+14155550199") == ([], None)
    assert await sticky_of(store, service.sid, "whatsapp", "+14155550199") is None
    assert await store.delete_message(acc.sid, message.sid)
    assert await store.get_sender_choice(message.sid) is None


async def test_a_sender_choice_commits_with_the_job_that_made_it(
    store: Store, make: Records
) -> None:
    acc = make.account()
    service = make.service(acc.sid)
    await store.insert_service(service)
    message = await store.insert_message(
        make.message(acc.sid), jobs=[make.job(account_sid=acc.sid, message_sid=make.sid("SM"))]
    )
    (job,) = await store.claim_jobs(make.at(0), 10, 30)
    chosen = dataclasses.replace(message, from_="+14155550100", date_updated=make.at(1))
    choice = SenderChoice(message.sid, "us_number", "+14155550100", "why", False, make.at(1))
    outcome = JobOutcome(
        message_updates=[chosen],
        sender_choices=[(choice, (service.sid, "sms", message.to))],
    )
    await store.finish_job(job, outcome)
    assert await store.find_message(message.sid) == chosen
    assert await store.get_sender_choice(message.sid) == choice
    assert await sticky_of(store, service.sid, "sms", message.to) == "+14155550100"
