"""The dashboard's aggregates (``Store.stats``), counted by each database alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from switchboard.domain.models import Direction
from switchboard.ports import Latency, Store

Records = Any  # conftest.Records (test modules cannot import conftest)


async def test_stats_count_in_the_database_within_the_accounts_asked_for(
    store: Store, make: Records
) -> None:
    acc, other = make.account(), make.account()
    await store.insert_account(acc)
    await store.insert_account(other)
    minute = make.T0.replace(second=0, microsecond=0)
    rows = [
        (minute - timedelta(minutes=5), "delivered", None, Direction.OUTBOUND_API),  # too old
        (minute + timedelta(seconds=1), "delivered", None, Direction.OUTBOUND_API),
        (minute + timedelta(seconds=59), "delivered", None, Direction.OUTBOUND_REPLY),
        (minute + timedelta(seconds=30), "undelivered", 30003, Direction.OUTBOUND_API),
        (minute + timedelta(minutes=1), "received", None, Direction.INBOUND),
    ]
    for created, status, code, direction in rows:
        message = make.message(
            acc.sid, date_created=created, status=status, error_code=code, direction=direction
        )
        await store.insert_message(message, [], [])
    await store.insert_message(make.message(other.sid, date_created=minute), [], [])
    for ms, code in [(10.0, None), (20.0, None), (30.0, 11200), (40.0, 11200), (1000.0, None)]:
        await store.insert_attempts([make.attempt(acc.sid, None, duration_ms=ms, error_code=code)])
    await store.insert_attempts([make.attempt(other.sid, None, duration_ms=9999.0)])

    stats = await store.stats([acc.sid], since=minute, recent=100)

    epoch_minute = int(minute.timestamp()) // 60
    assert sorted(stats.per_minute) == [
        (epoch_minute, "delivered", 2),
        (epoch_minute, "undelivered", 1),
        (epoch_minute + 1, "received", 1),
    ]
    assert sorted(stats.statuses) == [
        ("inbound", "received", 1),
        ("outbound-api", "delivered", 2),
        ("outbound-api", "undelivered", 1),
        ("outbound-reply", "delivered", 1),
    ]
    assert stats.error_codes == [("webhook", 11200, 2), ("message", 30003, 1)]
    # Nearest rank over 10, 20, 30, 40, 1000 ms: p50 is the 3rd, p90 and p99 the 5th.
    assert stats.latency == Latency(count=5, p50=30.0, p90=1000.0, p99=1000.0, max=1000.0)


async def test_stats_of_an_empty_store(store: Store, make: Records) -> None:
    stats = await store.stats([make.sid("AC")], since=make.T0, recent=100)
    assert (stats.per_minute, stats.statuses, stats.error_codes) == ([], [], [])
    assert stats.latency == Latency(count=0, p50=None, p90=None, p99=None, max=None)


async def test_stats_other_than_per_minute_count_the_newest_rows_only(
    store: Store, make: Records
) -> None:
    """Statuses, error codes and latency cover the newest ``recent`` messages and attempts, so
    a store of millions costs what a store of ``recent`` does."""
    acc = make.account()
    await store.insert_account(acc)
    old = make.T0 - timedelta(days=1)
    await store.insert_message(
        make.message(acc.sid, date_created=old, status="undelivered", error_code=30003), [], []
    )
    for _ in range(2):
        await store.insert_message(make.message(acc.sid, status="delivered"), [], [])
    await store.insert_attempts([make.attempt(acc.sid, None, duration_ms=500.0, error_code=11200)])
    for ms in (10.0, 20.0):
        await store.insert_attempts([make.attempt(acc.sid, None, duration_ms=ms)])

    stats = await store.stats([acc.sid], since=make.T0 - timedelta(days=2), recent=2)

    assert sum(n for _, _, n in stats.per_minute) == 3  # the minutes: every message in them
    assert [(status, n) for _, status, n in stats.statuses] == [("delivered", 2)]
    assert stats.error_codes == []
    assert stats.latency == Latency(count=2, p50=10.0, p90=20.0, p99=20.0, max=20.0)
