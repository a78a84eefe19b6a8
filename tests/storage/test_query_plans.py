"""The hot reads use an index, in both dialects: their cost follows the page, not the store.

Each database gets thousands of messages, attempts and waiting jobs (many accounts, numbers and
handsets), then the plan of each list, chart and outbox query is read with EXPLAIN. SQLite is
left un-ANALYZEd, as the server leaves it; PostgreSQL is ANALYZEd, as autovacuum leaves it. A
plan that sorts or scans every row (what made a 1,000,000-row store slow: docs/performance.md,
"Issue 18") fails here, at any size.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from switchboard.storage.postgres import Q as PG
from switchboard.storage.postgres import migrate
from switchboard.storage.sqlite import Q as LITE
from switchboard.storage.sqlite import SqliteStore

ROWS = 20_000
MAIN = "AC" + "0" * 31 + "1"
ACCOUNTS = [MAIN, "AC" + "0" * 31 + "2", "AC" + "0" * 31 + "3"]
T0 = 1_700_000_000_000_000  # µs
HANDSET = "+14155550007"
MINUTE = {"sent_first": T0 + ROWS // 2 * 10**6, "sent_last": T0 + (ROWS // 2 + 60) * 10**6}
# (query, parameters, what its plan must name, what it must not)
CASES: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    ("list_messages", {"account_sid": MAIN}, [], ["TEMP B-TREE", "SCAN messages"]),
    ("list_messages_to", {"account_sid": MAIN, "to_addr": HANDSET}, ["messages_to"], []),
    ("list_messages_from", {"account_sid": MAIN, "from_addr": HANDSET}, ["messages_from"], []),
    # DateSent alone: a range (a minute) is counted, then read, through messages_sent; or the
    # account is walked newest first from the page token, a bounded number of rows (and those
    # rows counted), never reading the range by date nor sorting. (PostgreSQL may walk the
    # primary key for an account holding most rows, as it does for list_messages.)
    ("count_sent_messages", {"account_sid": MAIN, **MINUTE, "cap": 5000}, ["messages_sent"],
     ["SCAN messages"]),
    # A range holding most of the account, counted up to a small cap: still through the index
    # (a Seq Scan expecting to meet the cap soon reads the whole table when they are the last).
    ("count_sent_messages", {"account_sid": MAIN, "sent_first": T0 + ROWS // 2 * 10**6,
                             "sent_last": 2**63 - 1, "cap": 1000}, ["messages_sent"],
     ["SCAN messages"]),
    ("list_messages_sent", {"account_sid": MAIN, **MINUTE}, ["messages_sent"], ["SCAN messages"]),
    ("list_messages_walked", {"account_sid": MAIN, **MINUTE, "before_seq": ROWS // 2, "walk": 500},
     [], ["messages_sent", "TEMP B-TREE", "SCAN messages", "Sort"]),
    ("count_messages_below", {"account_sid": MAIN, "before_seq": ROWS // 2, "cap": 501}, [],
     ["messages_sent", "TEMP B-TREE", "SCAN messages", "Sort"]),
    ("list_messages", {"account_sid": MAIN, "sent_from": T0}, [], ["TEMP B-TREE", "SCAN messages"]),
    # Several accounts, newest first: each account's newest rows through messages_account, the
    # sort stopping once the page is full. Without statistics SQLite ranks messages_sent (its
    # account_sid first too) the same, and through it sorts every row of the accounts.
    ("search_messages", {"account_sids": ACCOUNTS}, [], ["SCAN messages", "messages_sent"]),
    ("search_messages_to", {"account_sids": ACCOUNTS, "to_addr": HANDSET}, ["messages_to"],
     ["TEMP B-TREE"]),
    ("search_messages_from", {"account_sids": ACCOUNTS, "from_addr": HANDSET}, ["messages_from"],
     ["TEMP B-TREE"]),
    ("search_attempts", {"account_sids": ACCOUNTS, "failed": False}, [], ["TEMP B-TREE"]),
    ("search_messages_number", {"account_sids": ACCOUNTS, "number": HANDSET},
     ["messages_to", "messages_from"], ["SCAN messages"]),
    ("count_number_messages", {"number": HANDSET, "cap": 5000},
     ["messages_to", "messages_from"], ["SCAN messages"]),
    ("search_attempts_rare_number", {"account_sids": ACCOUNTS, "number": HANDSET,
                                     "failed": False},
     ["webhook_attempts_message", "messages_to", "messages_from"], ["SCAN webhook_attempts"]),
    ("stats_messages_per_minute", {"account_sids": ACCOUNTS, "since": T0 + (ROWS - 1800) * 10**6},
     ["messages_created"], []),
    ("stats_message_statuses", {"account_sids": ACCOUNTS, "recent": 1000}, [],
     ["SCAN messages", "messages_sent"]),
    # (Its plan scans its own co-routine, "messages_recent": the sort above is what matters.)
    ("stats_error_codes", {"account_sids": ACCOUNTS, "recent": 1000}, [], ["messages_sent"]),
    ("claim_jobs", {"now": T0 + ROWS, "limit": 8, "leased_until": T0 + 10**12}, ["jobs_due"],
     ["SCAN jobs"]),
    ("next_job_due", {}, ["jobs_due"], ["SCAN jobs"]),
    ("claim_event_batch", {"id": 1, "until": T0 + ROWS * 10**6, "now": T0 + ROWS * 10**6,
                           "sink_sid": "DG" + "0" * 31 + "3", "leased_until": T0 + 10**12},
     ["jobs_event_sink"], ["SCAN jobs"]),
    ("pending_jobs_for_message", {"message_sid": "SM" + "0" * 31 + "4", "kind": "incoming"},
     ["jobs_message"], ["SCAN jobs"]),
]  # fmt: skip

# PostgreSQL's plans name indexes as SQLite's do (the SQLite words of the cases never appear
# in them); a pass over a whole table is a "Seq Scan".
PG_FULL_PASSES = ["Seq Scan on messages", "Seq Scan on webhook_attempts", "Seq Scan on jobs"]

SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, status,
    num_segments, num_media, price_unit, status_callback_method, extra, date_created,
    date_updated, error_code, date_sent)
SELECT printf('SM%032x', i),
    CASE WHEN i % 10 < 7 THEN '{a0}' WHEN i % 2 = 0 THEN '{a1}' ELSE '{a2}' END,
    CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound-api' END,
    CASE WHEN i % 2 = 0 THEN '+1415555' || (i % 2000) ELSE '+1555000' || (i % 8) END,
    CASE WHEN i % 2 = 0 THEN '+1555000' || (i % 8) ELSE '+1415555' || (i % 2000) END,
    'hello', CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'delivered' END, 1, 0, 'USD', 'POST', '{{}}',
    {t0} + i * 1000000, {t0} + i * 1000000, CASE WHEN i % 20 = 0 THEN 30008 END,
    CASE WHEN i % 3 > 0 THEN {t0} + i * 1000000 + 500000 END
FROM n;
INSERT INTO webhook_attempts (sid, account_sid, message_sid, kind, attempt, url, method,
    request_headers, request_body, response_status, response_headers, response_body,
    duration_ms, error_detail, idempotency_token, signed_url, date_created)
SELECT 'WA' || substr(sid, 3), account_sid, sid, 'incoming', 1, 'https://app/sms', 'POST', '{{}}',
    'b', 200, '{{}}', '', seq % 97, '', 't', 'https://app/sms', date_created FROM messages;
INSERT INTO jobs (kind, due_at, payload)
SELECT 'incoming', date_created, '{{}}' FROM messages WHERE seq % 4 = 0;
INSERT INTO jobs (kind, due_at, payload)
SELECT 'event', date_created, '{{"sink_sid": "DG{zeros}' || (seq % 5) || '"}}'
FROM messages WHERE seq % 4 = 1;
"""


# PostgreSQL alone: counting a range of dates reads messages_sent without the table (its
# entries carry date_sent and date_created, migration 0014; SQLite needs no such columns).
PG_CASES: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    ("count_sent_messages", {"account_sid": MAIN, **MINUTE, "cap": 5000},
     ["Index Only Scan using messages_sent"], []),
]  # fmt: skip


def _seed(dialect: str) -> str:
    sql = SEED.format(
        rows=ROWS, a0=ACCOUNTS[0], a1=ACCOUNTS[1], a2=ACCOUNTS[2], t0=T0, zeros="0" * 31
    )
    if dialect == "postgres":
        sql = sql.replace("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                          f"WHERE i < {ROWS})\n", "")  # fmt: skip
        sql = sql.replace("FROM n;", f"FROM generate_series(1, {ROWS}) AS n(i);")
        sql = sql.replace("printf('SM%032x', i)", "'SM' || lpad(to_hex(i), 32, '0')")
        sql = sql.replace("i * 1000000", "i::bigint * 1000000")
        sql = sql.replace("seq % 97", "(seq % 97)::float")
    return sql


def _missing(plan: str, must: list[str], must_not: list[str]) -> list[str]:
    return [f"uses {m}" for m in must if m not in plan] + [
        f"avoids {m}" for m in must_not if m in plan
    ]


async def test_sqlite_hot_reads_use_an_index(tmp_path: Path) -> None:
    path = tmp_path / "plans.db"
    await (await SqliteStore.open(str(path))).close()  # the server's migrations
    db = sqlite3.connect(path)
    try:
        db.executescript(_seed("sqlite"))
        wrong = {}
        for name, given, must, must_not in CASES:
            params: dict[str, Any] = dict.fromkeys(_names(LITE[name]))
            params.update({k: _sqlite_value(v) for k, v in given.items()})
            params.setdefault("limit", 51)
            rows = db.execute(f"EXPLAIN QUERY PLAN {LITE[name]}", params).fetchall()
            plan = "\n".join(row[3] for row in rows)
            if problems := _missing(plan, must, must_not):
                wrong[name] = (problems, plan)
    finally:
        db.close()
    assert wrong == {}


@pytest.mark.postgres
async def test_postgres_hot_reads_use_an_index(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn)
        await conn.execute(_seed("postgres"))
        await conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: all-visible pages
        wrong = {}
        for name, given, must, must_not in CASES + PG_CASES:
            statement = PG[name]
            values = {"limit": 51, **given}
            rows = await conn.fetch(
                f"EXPLAIN {statement.sql}", *[values.get(key) for key in statement.names]
            )
            plan = "\n".join(row[0] for row in rows)
            if problems := _missing(plan, must, must_not + PG_FULL_PASSES):
                wrong[name] = (problems, plan)
    finally:
        await conn.close()
    assert wrong == {}


def _names(sql: str) -> set[str]:
    return set(re.findall(r":(\w+)", sql))


def _sqlite_value(value: Any) -> Any:
    """A list binds as a JSON array in SQLite (read with json_each)."""
    return json.dumps(value) if isinstance(value, list) else value
