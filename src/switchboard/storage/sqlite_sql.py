"""Statement helpers of the SQLite store: named queries, keyset pages, the shared writes."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from switchboard.domain.models import Media, Message, NewJob, StatusEvent
from switchboard.ports import InvalidPageToken, JobClaim, Page, PageRequest
from switchboard.storage import records
from switchboard.storage.queries import load_migrations, load_queries
from switchboard.storage.rows import to_micros

T = TypeVar("T")
Q = load_queries("sqlite")
Row = sqlite3.Row


def one(conn: sqlite3.Connection, name: str, params: Mapping[str, Any]) -> Row | None:
    row: Row | None = conn.execute(Q[name], params).fetchone()
    return row


def all(conn: sqlite3.Connection, name: str, params: Mapping[str, Any]) -> list[Row]:
    return conn.execute(Q[name], params).fetchall()


def run(conn: sqlite3.Connection, name: str, params: Mapping[str, Any]) -> int:
    return conn.execute(Q[name], params).rowcount


def cursor_seq(
    conn: sqlite3.Connection, seq_query: str, page: PageRequest, **keys: Any
) -> int | None:
    if page.after is None:
        return None
    row = one(conn, seq_query, {"sid": page.after, **keys})
    if row is None:
        raise InvalidPageToken(page.after)
    return int(row["seq"])


def page(
    conn: sqlite3.Connection,
    list_query: str,
    params: dict[str, Any],
    page: PageRequest,
    convert: Callable[[Row], T],
) -> Page[T]:
    rows = all(conn, list_query, {**params, "limit": page.page_size + 1})
    return Page([convert(r) for r in rows[: page.page_size]], len(rows) > page.page_size)


def insert_jobs(
    conn: sqlite3.Connection, jobs: Sequence[NewJob], claim: JobClaim | None = None
) -> None:
    for job in jobs:
        job_id = conn.execute(Q["insert_job"], records.new_job_params(job, claim)).lastrowid
        records.note_claimed(claim, job_id or 0, job)


def insert_events(conn: sqlite3.Connection, events: Sequence[StatusEvent]) -> None:
    for event in events:
        run(
            conn,
            "insert_status_event",
            {
                "message_sid": event.message_sid,
                "status": event.status,
                "error_code": event.error_code,
                "at": to_micros(event.at),
            },
        )


def insert_message(
    conn: sqlite3.Connection,
    message: Message,
    media: Sequence[Media],
    content: Mapping[str, bytes],
) -> Message:
    seq = conn.execute(Q["insert_message"], records.message_params(message)).lastrowid
    for item in media:
        run(
            conn,
            "insert_media",
            {
                "sid": item.sid,
                "account_sid": item.account_sid,
                "message_sid": item.message_sid,
                "content_type": item.content_type,
                "source_url": item.source_url,
                "size": item.size,
                "content": content.get(item.sid),
                "date_created": to_micros(item.date_created),
                "date_updated": to_micros(item.date_updated),
            },
        )
    insert_events(conn, [StatusEvent(message.sid, message.status, message.date_created)])
    return dataclasses.replace(message, seq=seq or 0)


def migrate(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for migration in load_migrations("sqlite"):
        if migration.version in applied:
            continue
        for statement in migration.sql.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (migration.version,))
