"""The number a message is for is kept between messages (storage/routing_cache.py), and every
change to it, its pool entry or its service is seen by the next look-up in every process.

Each change is made through a second store on the same database (another process, another
node) after the first store has the number cached, and the first store's next look-up must
answer the changed rows. A cache that forgot only its own writes, or forgot after a while,
fails every one of these.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from switchboard.domain.models import PhoneNumber
from switchboard.ports import Store
from switchboard.storage.routing_cache import FreshRead

Database = Any  # conftest.Database (test modules cannot import conftest)
Records = Any  # conftest.Records


async def _two_stores(database: Database) -> tuple[Store, Store]:
    return await database.open(), await database.open()


async def _cached_number(reader: Store, writer: Store, make: Records) -> PhoneNumber:
    """A number ``writer`` stored and ``reader`` has looked up (so keeps)."""
    acc = make.account()
    await writer.insert_account(acc)
    number: PhoneNumber = make.number(acc.sid)
    await writer.insert_phone_number(number)
    assert await reader.find_number_and_service(number.phone_number) == (number, None)
    return number


async def test_changes_by_another_store_are_seen_at_once(database: Database, make: Records) -> None:
    reader, writer = await _two_stores(database)
    number = await _cached_number(reader, writer, make)
    acc = number.account_sid

    moved = dataclasses.replace(number, sms_url="https://app.example/moved")
    await writer.update_phone_number(moved)
    assert await reader.find_number_and_service(number.phone_number) == (moved, None)

    service = make.service(acc)
    await writer.insert_service(service)
    await writer.add_service_number(make.pool_entry(service, number))
    assert await reader.find_number_and_service(number.phone_number) == (moved, service)

    renamed = dataclasses.replace(service, inbound_request_url="https://app.example/other")
    await writer.update_service(renamed)
    assert await reader.find_number_and_service(number.phone_number) == (moved, renamed)

    assert await writer.remove_service_number(service.sid, number.sid)
    assert await reader.find_number_and_service(number.phone_number) == (moved, None)

    await writer.add_service_number(make.pool_entry(service, number))
    assert await writer.delete_service(acc, service.sid)  # the pool entry goes with it
    assert await reader.find_number_and_service(number.phone_number) == (moved, None)

    assert await writer.delete_phone_number(acc, number.sid)
    assert await reader.find_number_and_service(number.phone_number) is None


async def test_a_reset_by_another_store_is_seen(database: Database, make: Records) -> None:
    reader, writer = await _two_stores(database)
    number = await _cached_number(reader, writer, make)
    await writer.reset(keep_numbers=False)
    assert await reader.find_number_and_service(number.phone_number) is None


async def test_a_change_written_by_sql_outside_switchboard_is_seen(
    database: Database, make: Records
) -> None:
    store = await database.open()
    number = await _cached_number(store, store, make)
    change = "UPDATE phone_numbers SET sms_url = 'https://tool.example/' WHERE sid = "
    if database.backend == "sqlite":
        with sqlite3.connect(database.target) as tool:
            tool.execute(change + "?", (number.sid,))
        tool.close()
    else:
        connection = await asyncpg.connect(database.target)
        try:
            await connection.execute(change + "$1", number.sid)
        finally:
            await connection.close()
    found = await store.find_number_and_service(number.phone_number)
    assert found is not None
    assert found[0].sms_url == "https://tool.example/"


async def test_a_repeated_look_up_reads_only_the_generation(
    database: Database, make: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await database.open()
    acc = make.account()
    await store.insert_account(acc)
    number = make.number(acc.sid)
    await store.insert_phone_number(number)
    connector = store._db  # type: ignore[attr-defined]
    names: list[str] = []
    fetch_one = connector.fetch_one

    async def counting(name: str, params: dict[str, object]) -> object:
        names.append(name)
        return await fetch_one(name, params)

    monkeypatch.setattr(connector, "fetch_one", counting)
    for _ in range(3):
        assert await store.find_number_and_service(number.phone_number) == (number, None)
    assert names == [
        "routing_generation",
        "find_number_and_service",
        "routing_generation",
        "routing_generation",
    ]


# FreshRead: a read shared only by callers who asked before it began ---------------------------


class SlowCounter:
    """A value read in steps the test releases one at a time."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0
        self.gates: list[asyncio.Event] = []
        self.fail: BaseException | None = None
        self._begun = asyncio.Condition()

    async def began(self, reads: int) -> None:
        """Until ``reads`` reads have begun."""
        async with self._begun:
            await self._begun.wait_for(lambda: self.reads >= reads)

    async def read(self) -> int:
        self.reads += 1
        async with self._begun:
            self._begun.notify_all()
        value = self.value  # what the read sees is fixed when it begins
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail is not None:
            raise self.fail
        return value


async def test_a_caller_never_gets_a_read_that_began_before_it_asked() -> None:
    counter = SlowCounter()
    fresh = FreshRead(counter.read)
    first = asyncio.ensure_future(fresh())
    await counter.began(1)
    counter.value = 1  # a change committed while the first read is under way
    later = [asyncio.ensure_future(fresh()) for _ in range(5)]
    await asyncio.sleep(0)
    counter.gates[0].set()
    assert await first == 0
    await counter.began(2)  # one read for all five, begun after they asked
    counter.gates[1].set()
    assert await asyncio.gather(*later) == [1] * 5
    assert counter.reads == 2


async def test_a_failed_shared_read_fails_each_waiter_and_the_next_read_is_made() -> None:
    counter = SlowCounter()
    fresh = FreshRead(counter.read)
    first = asyncio.ensure_future(fresh())
    await counter.began(1)
    waiting = [asyncio.ensure_future(fresh()) for _ in range(2)]
    await asyncio.sleep(0)
    counter.gates[0].set()
    assert await first == 0
    await counter.began(2)
    counter.fail = OSError("connection lost")
    counter.gates[1].set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    counter.fail = None
    again = asyncio.ensure_future(fresh())
    await counter.began(3)
    counter.gates[2].set()
    assert await again == 0


async def test_a_cancelled_waiter_leaves_the_shared_read_to_the_others() -> None:
    counter = SlowCounter()
    fresh: Callable[[], Awaitable[int]] = FreshRead(counter.read)
    first = asyncio.ensure_future(fresh())
    await counter.began(1)
    gone, stays = asyncio.ensure_future(fresh()), asyncio.ensure_future(fresh())
    await asyncio.sleep(0)
    counter.gates[0].set()
    await first
    await counter.began(2)
    gone.cancel()
    counter.value = 7
    counter.gates[1].set()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await stays == 0  # the read began before the value changed


def test_a_caller_on_another_loop_reads_alone() -> None:
    """A store called from another thread's loop: its caller neither joins nor queues behind
    the first loop's read (a future of one loop cannot be awaited on another)."""
    release, began = threading.Event(), threading.Event()
    calls: list[int] = []

    async def read() -> int:
        calls.append(1)
        number = len(calls)
        if number == 1:
            began.set()
            await asyncio.to_thread(release.wait, 30)
        return number

    fresh = FreshRead(read)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(asyncio.run(fresh())))
    first.start()
    try:
        assert began.wait(30)
        assert asyncio.run(fresh()) == 2  # read while the first loop's read is under way
    finally:
        release.set()
        first.join(30)
    assert results == [1]
