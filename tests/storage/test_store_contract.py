"""The Store contract: accounts, credentials, numbers, services, messages, media and reset.

Every test runs against every backend (see conftest.py); the outbox and the attempt log are in
test_store_outbox.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from switchboard.domain.models import (
    AccountSender,
    Content,
    ContentApproval,
    Direction,
    Message,
    MessageFeedback,
    SenderChoice,
    SenderKind,
    ServiceSender,
)
from switchboard.domain.optout import OptOutSettings
from switchboard.ports import (
    AttemptFilter,
    InvalidPageToken,
    JobOutcome,
    MessageFilter,
    PageRequest,
    Store,
    StoreConflict,
)

Records = Any  # conftest.Records (test modules cannot import conftest)


async def walk(fetch: Any, page_size: int) -> list[Any]:
    """Every page of a listing, following the sid of each page's last item."""
    pages: list[Any] = []
    after: str | None = None
    while True:
        page = await fetch(PageRequest(page_size=page_size, after=after))
        pages.append(page)
        if not page.has_more:
            return pages
        after = page.items[-1].sid


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


# Messages, media, replies and status events --------------------------------------------------


async def test_insert_message_with_media_jobs_and_content(store: Store, make: Records) -> None:
    acc = make.account()
    message = make.message(
        acc.sid, num_media=2, extra={"ProfileName": "Zoë", "Latitude": "37.7"},
        messaging_service_sid=make.sid("MG"), price="-0.0079", error_code=None,
        status_callback="https://cb.example/s", validity_period=600, send_at=make.at(500),
    )  # fmt: skip
    media = [make.media(message), make.media(message, source_url=None, content_type="text/vcard")]
    content = {media[1].sid: b"\x00\xffBEGIN:VCARD"}
    jobs = [make.job(kind="carrier", message_sid=message.sid, account_sid=acc.sid)] * 2

    stored = await store.insert_message(message, media, jobs, content)
    assert stored.seq > 0
    assert stored == dataclasses.replace(message, seq=stored.seq)
    assert await store.get_message(acc.sid, message.sid) == stored
    assert await store.find_message(message.sid) == stored
    assert await store.get_message(make.sid("AC"), message.sid) is None
    assert await store.find_message(make.sid("SM")) is None

    listed = await store.list_media(acc.sid, message.sid, PageRequest())
    assert listed.items == media
    assert await store.get_media_content(media[1].sid) == content[media[1].sid]
    assert await store.get_media_content(media[0].sid) is None
    assert await store.get_media_content(make.sid("ME")) is None
    assert await store.pending_jobs(message.sid, "carrier") == 2
    assert await store.pending_jobs(message.sid, "incoming") == 0
    # Creation is the first step of the timeline.
    assert await store.list_status_events(message.sid) == [make.event(message.sid, "queued", 11)]

    second = await store.insert_message(make.message(acc.sid))
    assert second.seq > stored.seq


async def test_update_message_with_jobs_and_events(store: Store, make: Records) -> None:
    acc = make.account()
    message = await store.insert_message(make.message(acc.sid, extra={"k": "v"}))
    updated = dataclasses.replace(
        message, status="failed", body="edited", from_="+14155550111", num_segments=3,
        messaging_service_sid=make.sid("MG"), price="-0.02", price_unit="EUR", error_code=30008,
        error_message="Unknown error", date_updated=make.at(40), date_sent=make.at(39),
    )  # fmt: skip
    events = [
        make.event(message.sid, "sending", 20),
        make.event(message.sid, "failed", 30, error_code=30008),
    ]
    await store.update_message(updated, [make.job(kind="status_callback")], events)

    assert await store.find_message(message.sid) == updated
    assert await store.list_status_events(message.sid) == [
        make.event(message.sid, "queued", 11),
        *events,
    ]
    # Fields fixed at creation are not rewritten by an update.
    fixed = dataclasses.replace(updated, to="+19999999999", extra={"x": "y"}, num_media=5)
    await store.update_message(fixed)
    assert await store.find_message(message.sid) == updated
    assert await store.claim_jobs(make.at(0), 10, 30) != []


async def test_delete_message_cascades(store: Store, make: Records) -> None:
    acc = make.account()
    message = make.message(acc.sid, num_media=1)
    media = make.media(message)
    await store.insert_message(message, [media], (), {media.sid: b"png"})
    await store.update_message(message, events=[make.event(message.sid, "sent", 50)])
    keep = await store.insert_message(make.message(acc.sid))

    assert not await store.delete_message(make.sid("AC"), message.sid)
    assert await store.delete_message(acc.sid, message.sid)
    assert not await store.delete_message(acc.sid, message.sid)
    assert await store.find_message(message.sid) is None
    assert await store.get_media(acc.sid, message.sid, media.sid) is None
    assert await store.get_media_content(media.sid) is None
    assert await store.list_status_events(message.sid) == []
    assert await store.find_message(keep.sid) == keep
    assert len(await store.list_status_events(keep.sid)) == 1


async def test_list_messages_filters_and_keyset_paging(store: Store, make: Records) -> None:
    acc, other = make.account(), make.account()
    a, b, c = "+14155550001", "+14155550002", "+14155550003"
    messages: list[Message] = []
    for i in range(8):
        m = make.message(
            acc.sid, from_=[a, b][i % 2], to=[c, a][i % 3 == 0],
            date_created=make.at(1_000 * i),
            # Sent messages are dated by date_sent, others by date_created.
            date_sent=make.at(1_000 * i + 500) if i % 4 == 1 else None,
        )  # fmt: skip
        messages.append(await store.insert_message(m))
    foreign = await store.insert_message(make.message(other.sid, to=c))
    newest_first = [m.sid for m in reversed(messages)]

    everything = MessageFilter()
    pages = await walk(lambda page: store.list_messages(acc.sid, everything, page), 3)
    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [m.sid for p in pages for m in p.items] == newest_first
    assert pages[0].items[0] == messages[-1]

    def sids(filters: MessageFilter) -> Any:
        async def fetch() -> list[str]:
            pages = await walk(lambda page: store.list_messages(acc.sid, filters, page), 2)
            return [m.sid for p in pages for m in p.items]

        return fetch()

    def expect(keep: Any) -> list[str]:
        return [m.sid for m in reversed(messages) if keep(m)]

    assert await sids(MessageFilter(to=a)) == expect(lambda m: m.to == a)
    assert await sids(MessageFilter(from_=b)) == expect(lambda m: m.from_ == b)
    assert await sids(MessageFilter(to=c, from_=b)) == expect(lambda m: m.to == c and m.from_ == b)
    lower, upper = make.at(1_500), make.at(5_500)

    def sent(m: Message) -> datetime:
        return m.date_sent or m.date_created

    assert await sids(MessageFilter(sent_on_or_after=lower)) == expect(lambda m: sent(m) >= lower)
    assert await sids(MessageFilter(sent_before=upper)) == expect(lambda m: sent(m) < upper)
    window = MessageFilter(sent_on_or_after=make.at(1_500), sent_before=make.at(5_000))
    assert await sids(window) == expect(lambda m: make.at(1_500) <= sent(m) < make.at(5_000))
    assert await sids(MessageFilter(sent_on_or_after=make.at(0), sent_before=make.at(0))) == []
    assert await sids(MessageFilter(to="+10000000000")) == []

    with pytest.raises(InvalidPageToken):
        await store.list_messages(acc.sid, everything, PageRequest(after=make.sid("SM")))
    with pytest.raises(InvalidPageToken):
        await store.list_messages(acc.sid, everything, PageRequest(after=foreign.sid))


async def test_media_list_get_delete(store: Store, make: Records) -> None:
    acc = make.account()
    message = make.message(acc.sid, num_media=3)
    media = [make.media(message) for _ in range(3)]
    await store.insert_message(message, media)

    pages = await walk(lambda page: store.list_media(acc.sid, message.sid, page), 2)
    assert [m for p in pages for m in p.items] == media
    assert await store.get_media(acc.sid, message.sid, media[2].sid) == media[2]
    assert await store.get_media(make.sid("AC"), message.sid, media[2].sid) is None
    assert (await store.list_media(make.sid("AC"), message.sid, PageRequest())).items == []
    with pytest.raises(InvalidPageToken):
        await store.list_media(acc.sid, message.sid, PageRequest(after=make.sid("ME")))

    assert not await store.delete_media(acc.sid, make.sid("SM"), media[0].sid)
    assert await store.delete_media(acc.sid, message.sid, media[0].sid)
    assert not await store.delete_media(acc.sid, message.sid, media[0].sid)
    assert await store.get_media(acc.sid, message.sid, media[0].sid) is None
    found = await store.find_message(message.sid)
    assert found is not None
    assert found.num_media == 2


async def test_replies(store: Store, make: Records) -> None:
    acc = make.account()
    inbound = await store.insert_message(make.message(acc.sid, direction=Direction.INBOUND))
    replies = [
        await store.insert_message(
            make.message(acc.sid, direction=Direction.OUTBOUND_REPLY, in_reply_to=inbound.sid)
        )
        for _ in range(3)
    ]
    await store.insert_message(make.message(acc.sid))
    assert await store.list_replies(inbound.sid) == replies
    assert await store.list_replies(replies[0].sid) == []


async def test_reset_keeps_numbers(store: Store, make: Records) -> None:
    acc = make.account()
    await store.insert_account(acc)
    number, service = make.number(acc.sid), make.service(acc.sid)
    await store.insert_phone_number(number)
    await store.insert_service(service)
    await store.add_service_number(make.pool_entry(service, number))
    message = make.message(acc.sid, num_media=1)
    media = make.media(message)
    await store.insert_message(message, [media], [make.job()], {media.sid: b"x"})
    await store.insert_attempts([make.attempt(acc.sid, message.sid)])

    await store.reset()
    assert await store.find_message(message.sid) is None
    assert await store.get_media_content(media.sid) is None
    assert await store.list_status_events(message.sid) == []
    assert await store.next_job_due() is None
    assert await store.list_attempts(AttemptFilter()) == []
    assert await store.get_account(acc.sid) == acc
    assert await store.find_number_and_service(number.phone_number) == (number, service)

    await store.reset(keep_numbers=False)
    assert await store.get_account(acc.sid) == acc
    assert await store.find_phone_number(number.phone_number) is None
    assert await store.get_service(acc.sid, service.sid) is None
    assert await store.service_for_number(number.sid) is None


MOMENTS = [
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2099, 7, 15, 8, 30, 0, 500_001, tzinfo=UTC),
    datetime(2026, 6, 1, 12, 0, 0, 654_321, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
async def test_datetimes_round_trip_to_the_microsecond(
    store: Store, make: Records, moment: datetime
) -> None:
    acc = make.account(date_created=moment, date_updated=moment)
    await store.insert_account(acc)
    message = make.message(
        acc.sid, date_created=moment, date_updated=moment, date_sent=moment, send_at=moment
    )
    await store.insert_message(message, (), [make.job(due_at=moment)])
    await store.update_message(message, events=[make.event(message.sid, "sent", 0)])
    await store.insert_attempts([make.attempt(acc.sid, message.sid, date_created=moment)])

    found = await store.find_message(message.sid)
    account = await store.get_account(acc.sid)
    attempts = await store.list_attempts(AttemptFilter(message_sid=message.sid))
    events = await store.list_status_events(message.sid)
    due = await store.next_job_due()
    assert found is not None
    assert account is not None
    values = [
        found.date_created, found.date_updated, found.date_sent, found.send_at,
        account.date_created, attempts[0].date_created, events[0].at, due,
    ]  # fmt: skip
    for value in values:
        assert value == moment
        assert value is not None
        assert value.utcoffset() == timedelta(0)
        assert value.astimezone(UTC).microsecond == moment.astimezone(UTC).microsecond


# Opt-outs and scenarios ----------------------------------------------------------------------


async def test_opt_outs(store: Store, make: Records) -> None:
    acc, sender, handset = make.sid("AC"), "+14155550100", "+14155550199"
    assert not await store.is_opted_out(acc, sender, handset)
    assert await store.set_opt_out(acc, sender, handset, True, make.at(1))
    assert not await store.set_opt_out(acc, sender, handset, True, make.at(2))  # already out
    assert await store.is_opted_out(acc, sender, handset)
    assert not await store.is_opted_out(acc, sender, "+14155550198")
    assert not await store.is_opted_out(make.sid("AC"), sender, handset)
    assert await store.set_opt_out(acc, sender, handset, False, make.at(3))
    assert not await store.set_opt_out(acc, sender, handset, False, make.at(4))
    assert not await store.is_opted_out(acc, sender, handset)

    await store.set_opt_out(acc, sender, handset, True, make.at(5))
    await store.reset()
    assert await store.is_opted_out(acc, sender, handset)  # opt-outs belong with the numbers
    await store.reset(keep_numbers=False)
    assert not await store.is_opted_out(acc, sender, handset)


async def test_reply_history_of_a_conversation(store: Store, make: Records) -> None:
    """Loop protection's read: the newest replies one number sent another that went, and the
    first held after them; other directions, other pairs and older holds stay out."""
    acc, ours, theirs = make.sid("AC"), "+14155550100", "+14155550199"
    assert await store.reply_history(ours, theirs, 30) == []

    async def reply(micros: int, *, held: bool = False, **changes: Any) -> None:
        fields: dict[str, Any] = {"direction": Direction.OUTBOUND_REPLY, "from_": ours,
                                  "to": theirs, "date_created": make.at(micros)}  # fmt: skip
        if held:
            fields |= {"status": "failed", "error_code": 14107}
        await store.insert_message(make.message(acc, **(fields | changes)))

    await reply(1, held=True)  # an old hold, before the replies that went since
    for micros in (10, 20, 30):
        await reply(micros)
    await reply(25, error_code=21610, status="failed")  # refused otherwise: it counts as one
    await reply(40, held=True)
    await reply(50, held=True)
    await reply(60, from_=theirs, to=ours)  # the other direction
    await reply(70, to="+14155550198")  # another handset
    await reply(80, direction=Direction.OUTBOUND_API)  # not a reply
    await reply(90, direction=Direction.INBOUND, from_=theirs, to=ours)

    history = await store.reply_history(ours, theirs, 3)
    assert sorted((p.at, p.held) for p in history) == [
        (make.at(20), False), (make.at(25), False), (make.at(30), False), (make.at(40), True),
    ]  # fmt: skip


async def test_scenarios(store: Store) -> None:
    assert await store.list_scenarios() == []
    rules = [{"to": "+14155550199", "error": 30003}, {"match": {"body": "x"}, "delay": 1.5}]
    await store.replace_scenarios(rules)
    assert await store.list_scenarios() == rules
    await store.replace_scenarios(rules[1:])
    assert await store.list_scenarios() == rules[1:]
    await store.reset()
    assert await store.list_scenarios() == []


# Message Feedback, retention choices and Advanced Opt-Out settings --------------------------


async def test_feedback_is_one_per_message_and_goes_with_it(store: Store, make: Records) -> None:
    acc = make.account()
    message = await store.insert_message(make.message(acc.sid))
    assert await store.get_feedback(acc.sid, message.sid) is None

    first = MessageFeedback(acc.sid, message.sid, "unconfirmed", make.at(1), make.at(1))
    assert await store.save_feedback(first) == first
    second = MessageFeedback(acc.sid, message.sid, "confirmed", make.at(9), make.at(9))
    stored = await store.save_feedback(second)
    # A later outcome replaces the earlier one; the feedback keeps the date it was first given.
    assert stored == dataclasses.replace(second, date_created=make.at(1))
    assert await store.get_feedback(acc.sid, message.sid) == stored
    assert await store.get_feedback(make.sid("AC"), message.sid) is None

    assert await store.delete_message(acc.sid, message.sid)
    assert await store.get_feedback(acc.sid, message.sid) is None
    again = await store.insert_message(make.message(acc.sid))
    await store.save_feedback(dataclasses.replace(first, message_sid=again.sid))
    await store.reset()
    assert await store.get_feedback(acc.sid, again.sid) is None


async def test_retention_choices_round_trip(store: Store, make: Records) -> None:
    acc = make.account()
    message = make.message(acc.sid, content_retention="discard", address_retention="obfuscate")
    await store.insert_message(message)
    found = await store.find_message(message.sid)
    assert found is not None
    assert (found.content_retention, found.address_retention) == ("discard", "obfuscate")
    plain = await store.insert_message(make.message(acc.sid))
    assert (plain.content_retention, plain.address_retention) == ("retain", "retain")


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


async def test_last_inbound_of_a_conversation(store: Store, make: Records) -> None:
    acc = make.account()
    user, ours = "whatsapp:+15555550123", "whatsapp:+15005550006"
    assert await store.last_inbound(acc.sid, user, ours) is None
    for n, (direction, from_, to) in enumerate([
        (Direction.INBOUND, user, ours),
        (Direction.INBOUND, user, ours),
        (Direction.OUTBOUND_API, ours, user),
        (Direction.INBOUND, "whatsapp:+15555550999", ours),
    ]):  # fmt: skip
        message = make.message(
            acc.sid, direction=direction, from_=from_, to=to, date_created=make.at(n * 10)
        )
        await store.insert_message(message)
    assert await store.last_inbound(acc.sid, user, ours) == make.at(10)
    assert await store.last_inbound(make.sid("AC"), user, ours) is None
