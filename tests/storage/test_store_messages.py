"""The Store contract, messages: media, jobs and status events written with them, listing and
keyset paging, replies, Message Feedback, retention choices, datetimes to the microsecond,
and reset (which keeps the numbers unless told otherwise).

Every test runs against every backend (see conftest.py). Senders are in test_store_senders.py;
the outbox and the attempt log are in test_store_outbox.py.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from store_paging import walk
from switchboard.domain.models import Direction, Message, MessageFeedback
from switchboard.ports import AttemptFilter, InvalidPageToken, MessageFilter, PageRequest, Store

Records = Any  # conftest.Records (test modules cannot import conftest)


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


def _record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the list reads and counts the store runs from now on, in order, each
    count with its outcome (``< cap`` or ``>= cap``)."""
    from switchboard.storage import read_paths, sql_store

    used: list[str] = []
    keyset_page, read_page, fewer_than = (
        sql_store.keyset_page, read_paths.read_page, read_paths.fewer_than,
    )  # fmt: skip

    def keyset(seq_query: str, list_query: str, *args: Any, **kwargs: Any) -> Any:
        used.append(list_query)
        return keyset_page(seq_query, list_query, *args, **kwargs)

    async def read(tx: Any, list_query: str, *args: Any) -> Any:
        used.append(list_query)
        return await read_page(tx, list_query, *args)

    async def count(tx: Any, count_query: str, *args: Any) -> bool:
        fewer = await fewer_than(tx, count_query, *args)
        used.append(f"{count_query} {'<' if fewer else '>='} cap")
        return fewer

    monkeypatch.setattr(sql_store, "keyset_page", keyset)
    monkeypatch.setattr(read_paths, "read_page", read)
    monkeypatch.setattr(read_paths, "fewer_than", count)
    return used


def _read_with(monkeypatch: pytest.MonkeyPatch, narrow: int, row_cost: int, growth: int) -> None:
    from switchboard.storage import read_paths

    monkeypatch.setattr(read_paths, "NARROW_DATES", narrow)
    monkeypatch.setattr(read_paths, "ROW_COST", row_cost)
    monkeypatch.setattr(read_paths, "GROWTH", growth)


LISTS = {"list_messages", "list_messages_to", "list_messages_from"}
BY_DATE, BY_SEQ = "list_messages_sent", "list_messages_walked"


async def test_date_sent_lists_give_the_same_pages_read_by_date_or_by_seq(
    store: Store, make: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list with DateSent bounds and neither To nor From is read through messages_sent or
    by walking the account newest first, each page the way that growing counts show cheaper
    (``read_paths.dated_page``). Over messages whose dates do not follow their creation order
    (unsent ones dated by creation, scheduled ones sent long after, a clock that stepped back,
    equal dates), every page and page token of many random filters is the same read by date
    alone, by the whole walk alone (as before messages_sent), and chosen page by page with
    small caps (so that both ways, and both ends of a walk, come up), and is the list the API
    documents: newest created first, dated by date_sent or else date_created."""
    rng = random.Random(18_5)
    acc, other = make.account(), make.account()
    numbers = ["+14155550001", "+14155550002", "+14155550003"]
    messages: list[Message] = []
    created = 0
    for i in range(90):
        created += rng.choice([-3_000, 0, 1, 1_000, 2_000, 5_000])  # mostly later
        kind = rng.random()
        if kind < 0.25:
            sent = None  # not sent: dated by date_created
        elif kind < 0.4:
            sent = created + rng.randrange(50_000, 200_000)  # scheduled, sent much later
        elif kind < 0.45:
            sent = created - rng.randrange(1, 10_000)  # sent "before" it was created
        else:
            sent = created + rng.choice([0, 1, 500, 1_500])
        message = make.message(
            acc.sid, from_=rng.choice(numbers), to=rng.choice(numbers),
            date_created=make.at(created), date_sent=None if sent is None else make.at(sent),
        )  # fmt: skip
        messages.append(await store.insert_message(message))
        if i % 3 == 0:  # another account's message, dated alike: never listed
            await store.insert_message(make.message(other.sid, date_created=make.at(created)))

    def dated(m: Message) -> datetime:
        return m.date_sent or m.date_created

    moments = sorted({dated(m) for m in messages})

    def bound() -> datetime | None:
        pick = rng.random()
        if pick < 0.2:
            return None
        if pick < 0.7:  # a message's own date, or a microsecond either side of it
            return rng.choice(moments) + timedelta(microseconds=rng.choice([-1, 0, 0, 1]))
        return make.at(rng.randrange(-20_000, 400_000))

    used = _record_reads(monkeypatch)
    chosen_reads: list[str] = []

    async def pages(filters: MessageFilter, size: int, narrow: int, **more: int) -> list[Any]:
        _read_with(monkeypatch, narrow, more.get("row_cost", 2), more.get("growth", 4))
        used.clear()
        found = await walk(lambda page: store.list_messages(acc.sid, filters, page), size)
        return [([m.sid for m in page.items], page.has_more) for page in found]

    for _ in range(60):
        lower, upper = bound(), bound()
        to = rng.choice([None, None, None, *numbers])
        from_ = rng.choice([None, None, None, *numbers])
        filters = MessageFilter(to=to, from_=from_, sent_on_or_after=lower, sent_before=upper)
        size = rng.choice([1, 2, 3, 7, 50])
        by_date = await pages(filters, size, narrow=10**9)  # every range counted small
        date_reads = {name for name in used if name.startswith("list_")}
        by_seq = await pages(filters, size, narrow=0)  # every range walked, uncounted
        seq_reads = {name for name in used if name.startswith("list_")}
        caps = {"row_cost": rng.choice([1, 2, 3]), "growth": rng.choice([2, 3])}
        chosen = await pages(filters, size, narrow=rng.choice([1, 2, 3, 5]), **caps)
        chosen_reads.extend(used)
        expected = [
            m.sid
            for m in reversed(messages)
            if (to is None or m.to == to)
            and (from_ is None or m.from_ == from_)
            and (lower is None or dated(m) >= lower)
            and (upper is None or dated(m) < upper)
        ]
        assert by_date == by_seq == chosen, filters
        assert [sid for items, _ in by_seq for sid in items] == expected, filters
        assert sum(len(items) for items, _ in by_seq) == len(expected)
        if to is None and from_ is None and (lower, upper) != (None, None):
            assert (date_reads, seq_reads) == ({BY_DATE}, {"list_messages"})
        else:
            assert date_reads == seq_reads <= LISTS
    # Both ways were chosen, and a walk ended both at a full page and at the account's oldest.
    assert {BY_DATE, BY_SEQ, "count_messages_below < cap"} <= set(chosen_reads)
    assert any(
        a == BY_SEQ and not b.startswith("count_messages_below")
        for a, b in itertools.pairwise([*chosen_reads, "end"])
    )


async def test_date_sent_pages_are_read_the_cheaper_way(
    store: Store, make: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page of a DateSent list is read by date when its range holds fewer messages than
    the walk would read, and by walking otherwise, the first page as the later ones (with
    small caps, so that a few hundred messages show the choice): a busy range long ago is read
    by date on its first page (the walk would read every newer message) and walked on the
    next ones (each a page of the walk); a wide range's last page is walked when few messages
    are older, read by date when the range is small and many are older."""
    acc = make.account()
    listed: list[Message] = []
    for created in [*range(0, 30_000, 1_000), *range(100_000, 220_000, 1_000)]:  # old, newer
        message = make.message(
            acc.sid, date_created=make.at(created), date_sent=make.at(created + 1)
        )
        listed.append(await store.insert_message(message))
    used = _record_reads(monkeypatch)
    _read_with(monkeypatch, narrow=2, row_cost=1, growth=2)

    async def reads(lower: int, upper: int | None) -> list[str]:
        """Every page of the list of 5 a page, checked; the read of each page."""
        filters = MessageFilter(
            sent_on_or_after=make.at(lower), sent_before=None if upper is None else make.at(upper)
        )
        chosen: list[str] = []
        found: list[str] = []
        after: str | None = None
        while True:
            used.clear()
            page = await store.list_messages(acc.sid, filters, PageRequest(5, after=after))
            chosen.append(next(name for name in reversed(used) if name.startswith("list_")))
            found.extend(m.sid for m in page.items)
            if not page.has_more:
                break
            after = page.items[-1].sid
        dated = [m for m in reversed(listed) if lower <= (m.date_sent - make.T0).total_seconds()
                 * 1_000_000 < (upper or 10**12)]  # fmt: skip
        assert found == [m.sid for m in dated]
        return chosen

    # The 30 old messages: 126 newer rows to walk first, 30 entries by date; then each page
    # follows the last one's token, and the last page finds the account's oldest (5 below it).
    assert await reads(0, 30_000) == [BY_DATE] + [BY_SEQ] * 5
    assert used[-2:] == [BY_SEQ, "count_messages_below < cap"]  # walked to the end
    # The 120 newer ones: each page is a page of the walk; the last one has 30 old rows below.
    assert await reads(100_000, None) == [BY_SEQ] * 24
    # The newest 10: the last page has 145 rows below it and 10 entries in the range.
    assert await reads(210_000, None) == [BY_SEQ, BY_DATE]


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


# Message Feedback and retention choices ----------------------------------------------------------


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
