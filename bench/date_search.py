"""Benchmark: Messages.json filtered by DateSent alone, as the store grows.

A message list with DateSent bounds and neither To nor From reads a range of dates through
``messages_sent`` (migration 0013) or by walking the account newest first, whichever
``read_paths.dated_page`` finds cheaper. This script fills a SQLite file made by the server's
migrations with N messages (70% in the main account): the first 3,000 three a day over 1,000
days, the rest one a second after them (86,400 a day; every 50th never sent, so dated by its
creation), then times the store's own ``list_messages`` (a page of 50, the first unless said)
for each N given, with:

- ``DateSent=`` a day long ago (day 500: three messages),
- ``DateSent<`` a day long ago (day 100: 300 messages),
- ``DateSent>=`` the newest message's day (the recent ones),
- a wide range (from day 10 to the newest message's day, inclusive),
- ``DateSent>=`` a busy day halfway between the first busy day and the newest (the recent
  half of the busy days: in the middle of the table, where PostgreSQL once counted it by a
  Seq Scan from the table's beginning),
- ``DateSent=`` an hour of the first busy day (3,600 messages; the later days all newer),
- ``DateSent=`` the first busy day (86,400 messages, older than all the rest but day 1,000's),
  its first page and its second,
- the last page of the wide range (a few old messages below it),
- the last page of ``DateSent>=`` the newest day (every older message below it).

A later page is read after the token of the page before it (found in the file beforehand).

``--without-index`` drops ``messages_sent`` and sets ``NARROW_DATES`` to 0 (every range walks,
uncounted): the list as it was before. ``--postgres [DSN]`` runs the same on a fresh PostgreSQL
database (made through the admin DSN, by default the tests' server; vacuumed and analyzed after
the seed, as autovacuum would leave it; without synchronized scans, every call planned for its
own values; dropped afterwards).

    python bench/date_search.py --rows 0,100000,1000000
    python bench/date_search.py --rows 0,100000,1000000 --without-index
    python bench/date_search.py --rows 0,100000,1000000 --postgres

Prints, for each N and filter: the median and p90 time of 20 calls, and the rows found.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from number_search import MAIN, OTHER, Search, seed_sqlite, time_search  # bench/ is the folder

from scaleout import DEFAULT_POSTGRES, create_database, drop_database, dsn_for
from switchboard.ports import MessageFilter, PageRequest, Store
from switchboard.storage import read_paths
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore

T0 = datetime(2023, 11, 14, tzinfo=UTC)  # a midnight: DateSent days are UTC days
DAY = 86_400_000_000  # µs
OLD = 3_000  # messages three a day over the first 1,000 days; the rest one a second
SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, status,
    num_segments, num_media, price_unit, status_callback_method, extra, date_created,
    date_updated, date_sent)
SELECT printf('SM%032x', i), CASE WHEN i % 10 < 7 THEN :main ELSE :other END,
    'outbound-api', '+15550000001', '+1415' || printf('%07d', i % 20000),
    'hello', 'delivered', 1, 0, 'USD', 'POST', '{}', created, created,
    CASE WHEN i % 50 = 0 THEN NULL ELSE created + 1500000 END
FROM (SELECT i, CASE WHEN i <= :old THEN :t0 + (i - 1) / 3 * :day + (i - 1) % 3 * 3600000000
                     ELSE :t0 + 1000 * :day + (i - :old) * 1000000 END AS created
      FROM n WHERE i <= :rows) AS dated;
"""
# The same rows in PostgreSQL (seq in i's order).
PG_SEED = """
INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, status,
    num_segments, num_media, price_unit, status_callback_method, extra, date_created,
    date_updated, date_sent)
SELECT 'SM' || lpad(to_hex(i), 32, '0'), CASE WHEN i % 10 < 7 THEN $2 ELSE $3 END,
    'outbound-api', '+15550000001', '+1415' || lpad((i % 20000)::text, 7, '0'),
    'hello', 'delivered', 1, 0, 'USD', 'POST', '{}', created, created,
    CASE WHEN i % 50 = 0 THEN NULL ELSE created + 1500000 END
FROM (SELECT i, CASE WHEN i <= $6 THEN $4 + (i - 1) / 3 * $5 + (i - 1) % 3 * 3600000000
                     ELSE $4 + 1000 * $5 + (i - $6) * 1000000 END AS created
      FROM generate_series(1::bigint, $1::bigint) AS i) AS dated
ORDER BY i
"""
Fetch = Callable[[str, list[Any]], Awaitable[Any]]  # one row of a query with ? parameters


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


async def page_token(
    fetch: Fetch, first: datetime | None, before: datetime | None, page: int
) -> str | None:
    """The token of page ``page`` (from 1; -1: the last page) of the main account's list
    between ``first`` and ``before``: the sid of the previous page's last message."""
    micros = [-(2**63), 2**63 - 1]
    if first is not None:
        micros[0] = int(first.timestamp()) * 1_000_000
    if before is not None:
        micros[1] = int(before.timestamp()) * 1_000_000 - 1
    where = (
        "FROM messages WHERE account_sid = ? AND COALESCE(date_sent, date_created) BETWEEN ? AND ?"
    )
    (listed,) = await fetch(f"SELECT count(*) {where}", [MAIN, *micros])
    if page < 0:
        page = max(1, -(-listed // 50))
    offset = (page - 1) * 50 - 1
    if page == 1 or offset >= listed:  # no page before it
        return None
    (sid,) = await fetch(
        f"SELECT sid {where} ORDER BY seq DESC LIMIT 1 OFFSET ?", [MAIN, *micros, offset]
    )
    return str(sid)


@contextlib.asynccontextmanager
async def opened(
    rows: int, without_index: bool, postgres: str | None
) -> AsyncIterator[tuple[Store, Fetch]]:
    """A store holding ``rows`` messages (SQLite, or a fresh PostgreSQL database, vacuumed and
    analyzed as autovacuum leaves it), and a way to read it directly."""
    t0 = int(T0.timestamp()) * 1_000_000
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "dates.db")
            await seed_sqlite(path, SEED, {"rows": rows, "main": MAIN, "other": OTHER, "t0": t0,
                                           "day": DAY, "old": OLD})  # fmt: skip
            db = sqlite3.connect(path)
            if without_index:
                db.execute("DROP INDEX messages_sent")

            async def fetch_lite(sql: str, args: list[Any]) -> Any:
                return db.execute(sql, args).fetchone()

            store = await SqliteStore.open(path)
            try:
                yield store, fetch_lite
            finally:
                await store.close()
                db.close()
        return
    name = await create_database(postgres)
    dsn = dsn_for(postgres, name)
    try:
        await (await PostgresStore.open(dsn)).close()  # the server's migrations
        conn = await asyncpg.connect(dsn)
        await conn.execute(PG_SEED, rows, MAIN, OTHER, t0, DAY, OLD)
        if without_index:
            await conn.execute("DROP INDEX messages_sent")
        await conn.execute("VACUUM ANALYZE messages")
        # Each Seq Scan starts at the heap's beginning, as a lone query's does: synchronized
        # scans would start each repeat where the last one stopped, at the rows it looked for.
        # Each call is planned for its own values, as the first five of a prepared statement
        # are: which plan a statement settles on later depends on what ran before it.
        for setting in ("synchronize_seqscans = off", "plan_cache_mode = force_custom_plan"):
            await conn.execute(f'ALTER DATABASE "{name}" SET {setting}')

        async def fetch_pg(sql: str, args: list[Any]) -> Any:
            numbered = iter(range(1, len(args) + 1))
            return await conn.fetchrow(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *args)

        store = await PostgresStore.open(dsn)
        try:
            yield store, fetch_pg
        finally:
            await store.close()
            await conn.close()
    finally:
        await drop_database(postgres, name)


async def measure(rows: int, without_index: bool, repeat: int, postgres: str | None) -> None:
    # The newest message's day.
    newest = max(0, rows - 1) // 3 if rows <= OLD else 1000 + (rows - OLD) // 86_400
    async with opened(rows, without_index, postgres) as (store, fetch):

        async def listed(
            first: datetime | None, before: datetime | None = None, page: int = 1
        ) -> Search:
            filters = MessageFilter(sent_on_or_after=first, sent_before=before)
            request = PageRequest(50, after=await page_token(fetch, first, before, page))

            async def run() -> int:
                return len((await store.list_messages(MAIN, filters, request)).items)

            return run

        hour = day(1000) + timedelta(hours=12)  # 3,600 messages, 2,520 in the account
        hour_end = hour + timedelta(hours=1)
        cases: list[tuple[str, Search]] = [
            ("DateSent= a day long ago", await listed(day(500), day(501))),
            ("DateSent< a day long ago", await listed(None, day(100))),
            ("DateSent>= the newest day", await listed(day(newest))),
            ("a wide range", await listed(day(10), day(newest + 1))),
            ("DateSent>= a busy day halfway", await listed(day((1000 + newest) // 2))),
            ("DateSent= an hour of the first busy day", await listed(hour, hour_end)),
            ("DateSent= the first busy day", await listed(day(1000), day(1001))),
            ("the first busy day, page 2", await listed(day(1000), day(1001), page=2)),
            ("a wide range, last page", await listed(day(10), day(newest + 1), page=-1)),
            ("DateSent>= the newest day, last page", await listed(day(newest), page=-1)),
        ]  # fmt: skip
        for name, search in cases:
            await time_search(rows, name, search, repeat, width=40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="0,100000,1000000", help="messages, comma-separated")
    parser.add_argument(
        "--without-index", action="store_true", help="drop messages_sent: every range walks"
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--postgres", nargs="?", const=DEFAULT_POSTGRES,
        help="on PostgreSQL: a fresh database made through this admin DSN (default: the tests')",
    )  # fmt: skip
    args: Any = parser.parse_args()
    if args.without_index:
        read_paths.NARROW_DATES = 0
    print(f"list_messages by DateSent on {'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"{'without' if args.without_index else 'with'} messages_sent")  # fmt: skip
    for rows in (int(n) for n in args.rows.split(",")):
        asyncio.run(measure(rows, args.without_index, args.repeat, args.postgres))


if __name__ == "__main__":
    main()
