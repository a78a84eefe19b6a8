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
- ``DateSent=`` an hour of the first busy day (3,600 messages; the later days all newer),
- ``DateSent=`` the first busy day (86,400 messages, older than all the rest but day 1,000's),
  its first page and its second,
- the last page of the wide range (a few old messages below it),
- the last page of ``DateSent>=`` the newest day (every older message below it).

A later page is read after the token of the page before it (found in the file beforehand).

``--without-index`` drops ``messages_sent`` and sets ``NARROW_DATES`` to 0 (every range walks,
uncounted): the list as it was before.

    python bench/date_search.py --rows 0,100000,1000000
    python bench/date_search.py --rows 0,100000,1000000 --without-index

Prints, for each N and filter: the median and p90 time of 20 calls, and the rows found.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from number_search import MAIN, OTHER, Search, seed_sqlite, time_search  # bench/ is the folder

from switchboard.ports import MessageFilter, PageRequest
from switchboard.storage import read_paths
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


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def page_token(path: str, first: datetime | None, before: datetime | None, page: int) -> str | None:
    """The token of page ``page`` (from 1; -1: the last page) of the main account's list
    between ``first`` and ``before``: the sid of the previous page's last message."""
    micros = [-(2**63), 2**63 - 1]
    if first is not None:
        micros[0] = int(first.timestamp()) * 1_000_000
    if before is not None:
        micros[1] = int(before.timestamp()) * 1_000_000 - 1
    db = sqlite3.connect(path)
    try:
        where = ("FROM messages WHERE account_sid = ? "
                 "AND COALESCE(date_sent, date_created) BETWEEN ? AND ?")  # fmt: skip
        (listed,) = db.execute(f"SELECT count(*) {where}", [MAIN, *micros]).fetchone()
        if page < 0:
            page = max(1, -(-listed // 50))
        row = db.execute(f"SELECT sid {where} ORDER BY seq DESC LIMIT 1 OFFSET ?",
                         [MAIN, *micros, (page - 1) * 50 - 1]).fetchone()  # fmt: skip
    finally:
        db.close()
    return None if page == 1 or row is None else str(row[0])


async def measure(rows: int, without_index: bool, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "dates.db")
        t0 = int(T0.timestamp()) * 1_000_000
        await seed_sqlite(path, SEED, {"rows": rows, "main": MAIN, "other": OTHER, "t0": t0,
                                       "day": DAY, "old": OLD})  # fmt: skip
        if without_index:
            db = sqlite3.connect(path)
            db.execute("DROP INDEX messages_sent")
            db.close()
        # The newest message's day.
        newest = max(0, rows - 1) // 3 if rows <= OLD else 1000 + (rows - OLD) // 86_400
        store = await SqliteStore.open(path)
        try:

            def listed(
                first: datetime | None, before: datetime | None = None, page: int = 1
            ) -> Search:
                filters = MessageFilter(sent_on_or_after=first, sent_before=before)
                request = PageRequest(50, after=page_token(path, first, before, page))

                async def run() -> int:
                    return len((await store.list_messages(MAIN, filters, request)).items)

                return run

            hour = day(1000) + timedelta(hours=12)  # 3,600 messages, 2,520 in the account
            hour_end = hour + timedelta(hours=1)
            cases: list[tuple[str, Search]] = [
                ("DateSent= a day long ago", listed(day(500), day(501))),
                ("DateSent< a day long ago", listed(None, day(100))),
                ("DateSent>= the newest day", listed(day(newest))),
                ("a wide range", listed(day(10), day(newest + 1))),
                ("DateSent= an hour of the first busy day", listed(hour, hour_end)),
                ("DateSent= the first busy day", listed(day(1000), day(1001))),
                ("the first busy day, page 2", listed(day(1000), day(1001), page=2)),
                ("a wide range, last page", listed(day(10), day(newest + 1), page=-1)),
                ("DateSent>= the newest day, last page", listed(day(newest), page=-1)),
            ]  # fmt: skip
            for name, search in cases:
                await time_search(rows, name, search, repeat, width=40)
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="0,100000,1000000", help="messages, comma-separated")
    parser.add_argument(
        "--without-index", action="store_true", help="drop messages_sent: every range walks"
    )
    parser.add_argument("--repeat", type=int, default=20)
    args: Any = parser.parse_args()
    if args.without_index:
        read_paths.NARROW_DATES = 0
    print(f"list_messages by DateSent, {'without' if args.without_index else 'with'} "
          "messages_sent")  # fmt: skip
    for rows in (int(n) for n in args.rows.split(",")):
        asyncio.run(measure(rows, args.without_index, args.repeat))


if __name__ == "__main__":
    main()
