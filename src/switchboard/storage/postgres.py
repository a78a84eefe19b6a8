"""The PostgreSQL store: the scale-out backend, one database shared by many nodes.

Theory of operation. Every public method is one transaction on a connection borrowed from an
asyncpg pool (a single statement is its own transaction; several are wrapped in one). The
schema and the meaning of every column are SQLite's (:mod:`switchboard.storage.sqlite` is the
reference implementation), so both backends pass the same contract suite. The SQL lives in
``sql/postgres/*.sql``, written with ``:name`` parameters that are compiled to ``$n`` once, at
import.

What PostgreSQL adds is concurrency between processes. ``claim_jobs`` leases due jobs with
``FOR UPDATE SKIP LOCKED`` in a single statement: two workers, on one node or on two, never
lease the same row, and a row whose lease has lapsed (its worker died) is due again.
``open`` applies pending migrations under a transaction-scoped advisory lock, so nodes started
together migrate one after another and the later ones find nothing to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from switchboard.domain.cookies import CookieJar
from switchboard.domain.models import (
    Account,
    ApiKey,
    Job,
    Media,
    Message,
    MessagingService,
    NewJob,
    PhoneNumber,
    ServicePhoneNumber,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.ports import (
    AttemptFilter,
    InvalidPageToken,
    JobClaim,
    JobOutcome,
    LeaseLost,
    MessageFilter,
    Page,
    PageRequest,
    StoreConflict,
)
from switchboard.storage import records as rows
from switchboard.storage.queries import load_migrations, load_queries
from switchboard.storage.rows import dump_json, from_micros, load_json, opt_micros, to_micros

T = TypeVar("T")
Conn = Any  # asyncpg.Connection (or a pool proxy of one); asyncpg ships no type hints
Record = Any  # asyncpg.Record: indexable by column name

# Any constant every switchboard process agrees on ("switchboard" in ASCII, truncated).
MIGRATION_LOCK_KEY = 0x7377_6974_6368_626F

# ":name" but neither the "::type" of a cast nor a colon inside a word.
_PARAM_RE = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class Statement:
    """A named query compiled for asyncpg: ``$n`` placeholders and the names they stand for."""

    sql: str
    names: tuple[str, ...]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


def compile_query(text: str) -> Statement:
    """Turn ``:name`` placeholders into ``$1..$n`` (a repeated name reuses its number)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    sql = _PARAM_RE.sub(number, body).strip().rstrip(";")
    return Statement(sql, tuple(names))


Q: Mapping[str, Statement] = {
    name: compile_query(text) for name, text in load_queries("postgres").items()
}


def _rowcount(status: str) -> int:
    """The row count of a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _one(conn: Conn, name: str, params: Mapping[str, Any]) -> Record | None:
    query = Q[name]
    return await conn.fetchrow(query.sql, *query.args(params))


async def _all(conn: Conn, name: str, params: Mapping[str, Any]) -> list[Record]:
    query = Q[name]
    result: list[Record] = await conn.fetch(query.sql, *query.args(params))
    return result


async def _run(conn: Conn, name: str, params: Mapping[str, Any]) -> int:
    query = Q[name]
    return _rowcount(await conn.execute(query.sql, *query.args(params)))


async def _run_many(conn: Conn, name: str, many: Sequence[Mapping[str, Any]]) -> None:
    if many:
        query = Q[name]
        await conn.executemany(query.sql, [query.args(params) for params in many])


async def _cursor_seq(conn: Conn, seq_query: str, page: PageRequest, **keys: Any) -> int | None:
    if page.after is None:
        return None
    row = await _one(conn, seq_query, {"sid": page.after, **keys})
    if row is None:
        raise InvalidPageToken(page.after)
    return int(row["seq"])


async def _page(
    conn: Conn,
    list_query: str,
    params: dict[str, Any],
    page: PageRequest,
    convert: Callable[[Record], T],
) -> Page[T]:
    found = await _all(conn, list_query, {**params, "limit": page.page_size + 1})
    return Page([convert(r) for r in found[: page.page_size]], len(found) > page.page_size)


async def _insert_message(
    conn: Conn, message: Message, media: Sequence[Media], content: Mapping[str, bytes]
) -> Message:
    seq = await conn.fetchval(
        Q["insert_message"].sql, *Q["insert_message"].args(rows.message_params(message))
    )
    await _run_many(
        conn, "insert_media", [rows.media_params(item, content.get(item.sid)) for item in media]
    )
    created = StatusEvent(message.sid, message.status, message.date_created)
    await _run(conn, "insert_status_event", rows.event_params(created))
    return dataclasses.replace(message, seq=seq)


async def _insert_jobs(conn: Conn, jobs: Sequence[NewJob], claim: JobClaim | None = None) -> None:
    if claim is None:
        await _run_many(conn, "insert_job", [rows.new_job_params(job) for job in jobs])
        return
    query = Q["insert_job"]
    for job in jobs:  # one at a time: a claimed job's writer needs its id
        job_id = await conn.fetchval(query.sql, *query.args(rows.new_job_params(job, claim)))
        rows.note_claimed(claim, job_id, job)


async def _insert_events(conn: Conn, events: Sequence[StatusEvent]) -> None:
    await _run_many(conn, "insert_status_event", [rows.event_params(e) for e in events])


async def migrate(conn: Conn) -> list[int]:
    """Apply pending migrations in one transaction; returns the versions applied now."""
    applied_now: list[int] = []
    async with conn.transaction():
        await _one(conn, "migration_lock", {"key": MIGRATION_LOCK_KEY})
        await _run(conn, "create_schema_migrations", {})
        applied = {row["version"] for row in await _all(conn, "applied_migrations", {})}
        for migration in load_migrations("postgres"):
            if migration.version in applied:
                continue
            await conn.execute(migration.sql)  # no arguments: several statements may run
            await _run(conn, "record_migration", {"version": migration.version})
            applied_now.append(migration.version)
    return applied_now


class PostgresStore:
    """The Store port on PostgreSQL. Open with :meth:`open` (it applies pending migrations)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, *, min_size: int = 1, max_size: int = 20) -> PostgresStore:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            server_settings={"application_name": "switchboard"},
        )
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[Conn]:
        """A read of several statements (a page and its cursor) that sees one snapshot."""
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield conn

    # Accounts and credentials ---------------------------------------------------------------

    async def insert_account(self, account: Account) -> None:
        try:
            await _run(self._pool, "insert_account", rows.account_params(account))
        except asyncpg.UniqueViolationError as exc:
            raise StoreConflict(account.sid) from exc

    async def get_account(self, sid: str) -> Account | None:
        row = await _one(self._pool, "get_account", {"sid": sid})
        return None if row is None else rows.account(row)

    async def update_account(self, account: Account) -> None:
        await _run(self._pool, "update_account", rows.account_params(account))

    async def find_main_account(self) -> Account | None:
        row = await _one(self._pool, "find_main_account", {})
        return None if row is None else rows.account(row)

    async def list_accounts(
        self, owner_sid: str, friendly_name: str | None, status: str | None, page: PageRequest
    ) -> Page[Account]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "account_seq", page, owner_sid=owner_sid) or 0
            params = {
                "owner_sid": owner_sid,
                "friendly_name": friendly_name,
                "status": status,
                "after_seq": after,
            }
            return await _page(c, "list_accounts", params, page, rows.account)

    async def insert_api_key(self, key: ApiKey) -> None:
        await _run(self._pool, "insert_api_key", rows.api_key_params(key))

    async def get_api_key(self, sid: str) -> ApiKey | None:
        row = await _one(self._pool, "get_api_key", {"sid": sid})
        return None if row is None else rows.api_key(row)

    async def update_api_key(self, key: ApiKey) -> None:
        await _run(self._pool, "update_api_key", rows.api_key_params(key))

    async def delete_api_key(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await _run(self._pool, "delete_api_key", params) > 0

    async def list_api_keys(self, account_sid: str, page: PageRequest) -> Page[ApiKey]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "api_key_seq", page, account_sid=account_sid) or 0
            params = {"account_sid": account_sid, "after_seq": after}
            return await _page(c, "list_api_keys", params, page, rows.api_key)

    # Phone numbers --------------------------------------------------------------------------

    async def insert_phone_number(self, number: PhoneNumber) -> None:
        try:
            await _run(self._pool, "insert_phone_number", rows.number_params(number))
        except asyncpg.UniqueViolationError as exc:
            raise StoreConflict(number.phone_number) from exc

    async def get_phone_number(self, account_sid: str, sid: str) -> PhoneNumber | None:
        row = await _one(self._pool, "get_phone_number", {"account_sid": account_sid, "sid": sid})
        return None if row is None else rows.phone_number(row)

    async def find_phone_number(self, phone_number: str) -> PhoneNumber | None:
        row = await _one(self._pool, "find_phone_number", {"phone_number": phone_number})
        return None if row is None else rows.phone_number(row)

    async def find_number_and_service(
        self, phone_number: str
    ) -> tuple[PhoneNumber, MessagingService | None] | None:
        row = await _one(self._pool, "find_number_and_service", {"phone_number": phone_number})
        return None if row is None else (rows.phone_number(row), rows.joined_service(row))

    async def update_phone_number(self, number: PhoneNumber) -> None:
        # The statement binds only the mutable columns; the owner and the number stay.
        await _run(self._pool, "update_phone_number", rows.number_params(number))

    async def delete_phone_number(self, account_sid: str, sid: str) -> bool:
        async with self._transaction() as c:
            deleted = await _run(c, "delete_phone_number", {"account_sid": account_sid, "sid": sid})
            if deleted:
                await _run(c, "delete_service_entry_for_number", {"sid": sid})
            return deleted > 0

    async def list_phone_numbers(
        self,
        account_sid: str,
        phone_number: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[PhoneNumber]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "phone_number_seq", page, account_sid=account_sid) or 0
            params = {
                "account_sid": account_sid,
                "phone_number": phone_number,
                "friendly_name": friendly_name,
                "after_seq": after,
            }
            return await _page(c, "list_phone_numbers", params, page, rows.phone_number)

    # Messaging Services ---------------------------------------------------------------------

    async def insert_service(self, service: MessagingService) -> None:
        await _run(self._pool, "insert_service", rows.service_params(service))

    async def get_service(self, account_sid: str, sid: str) -> MessagingService | None:
        row = await _one(self._pool, "get_service", {"account_sid": account_sid, "sid": sid})
        return None if row is None else rows.service(row)

    async def update_service(self, service: MessagingService) -> None:
        await _run(self._pool, "update_service", rows.service_params(service))

    async def delete_service(self, account_sid: str, sid: str) -> bool:
        async with self._transaction() as c:
            deleted = await _run(c, "delete_service", {"account_sid": account_sid, "sid": sid})
            if deleted:
                await _run(c, "delete_service_entries", {"service_sid": sid})
            return deleted > 0

    async def list_services(self, account_sid: str, page: PageRequest) -> Page[MessagingService]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "service_seq", page, account_sid=account_sid) or 0
            params = {"account_sid": account_sid, "after_seq": after}
            return await _page(c, "list_services", params, page, rows.service)

    async def add_service_number(self, entry: ServicePhoneNumber) -> None:
        try:
            await _run(self._pool, "insert_service_number", rows.service_number_params(entry))
        except asyncpg.UniqueViolationError as exc:
            raise StoreConflict(entry.sid) from exc

    async def get_service_number(self, service_sid: str, sid: str) -> ServicePhoneNumber | None:
        params = {"service_sid": service_sid, "sid": sid}
        row = await _one(self._pool, "get_service_number", params)
        return None if row is None else rows.service_number(row)

    async def remove_service_number(self, service_sid: str, sid: str) -> bool:
        params = {"service_sid": service_sid, "sid": sid}
        return await _run(self._pool, "delete_service_number", params) > 0

    async def list_service_numbers(
        self, service_sid: str, page: PageRequest
    ) -> Page[ServicePhoneNumber]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "service_number_seq", page, service_sid=service_sid) or 0
            params = {"service_sid": service_sid, "after_seq": after}
            return await _page(c, "list_service_numbers", params, page, rows.service_number)

    async def service_for_number(self, phone_number_sid: str) -> str | None:
        row = await _one(self._pool, "service_for_number", {"sid": phone_number_sid})
        return None if row is None else str(row["service_sid"])

    # Messages and media ---------------------------------------------------------------------

    async def insert_message(
        self,
        message: Message,
        media: Sequence[Media] = (),
        jobs: Sequence[NewJob] = (),
        media_content: Mapping[str, bytes] | None = None,
        claim: JobClaim | None = None,
    ) -> Message:
        async with self._transaction() as c:
            stored = await _insert_message(c, message, media, media_content or {})
            await _insert_jobs(c, jobs, claim)
            return stored

    async def get_message(self, account_sid: str, sid: str) -> Message | None:
        row = await _one(self._pool, "get_message", {"account_sid": account_sid, "sid": sid})
        return None if row is None else rows.message(row)

    async def find_message(self, sid: str) -> Message | None:
        row = await _one(self._pool, "find_message", {"sid": sid})
        return None if row is None else rows.message(row)

    async def update_message(
        self,
        message: Message,
        jobs: Sequence[NewJob] = (),
        events: Sequence[StatusEvent] = (),
        claim: JobClaim | None = None,
    ) -> None:
        # The statement binds only the columns that change after creation.
        async with self._transaction() as c:
            await _run(c, "update_message", rows.message_params(message))
            await _insert_events(c, events)
            await _insert_jobs(c, jobs, claim)

    async def delete_message(self, account_sid: str, sid: str) -> bool:
        async with self._transaction() as c:
            deleted = await _run(c, "delete_message", {"account_sid": account_sid, "sid": sid})
            if deleted:
                await _run(c, "delete_message_media", {"message_sid": sid})
                await _run(c, "delete_message_events", {"message_sid": sid})
            return deleted > 0

    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: PageRequest
    ) -> Page[Message]:
        async with self._snapshot() as c:
            before = await _cursor_seq(c, "message_seq", page, account_sid=account_sid)
            params = {
                "account_sid": account_sid,
                "to_addr": filters.to,
                "from_addr": filters.from_,
                "sent_from": opt_micros(filters.sent_on_or_after),
                "sent_before": opt_micros(filters.sent_before),
                "before_seq": before,
            }
            return await _page(c, "list_messages", params, page, rows.message)

    async def list_replies(self, message_sid: str) -> list[Message]:
        found = await _all(self._pool, "list_replies", {"sid": message_sid})
        return [rows.message(r) for r in found]

    async def pending_jobs(self, message_sid: str, kind: str) -> int:
        params = {"message_sid": message_sid, "kind": kind}
        row = await _one(self._pool, "pending_jobs_for_message", params)
        return 0 if row is None else int(row["n"])

    async def list_media(
        self, account_sid: str, message_sid: str, page: PageRequest
    ) -> Page[Media]:
        async with self._snapshot() as c:
            after = await _cursor_seq(c, "media_seq", page, message_sid=message_sid) or 0
            params = {"account_sid": account_sid, "message_sid": message_sid, "after_seq": after}
            return await _page(c, "list_media", params, page, rows.media)

    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Media | None:
        params = {"account_sid": account_sid, "message_sid": message_sid, "sid": sid}
        row = await _one(self._pool, "get_media", params)
        return None if row is None else rows.media(row)

    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "message_sid": message_sid, "sid": sid}
        async with self._transaction() as c:
            deleted = await _run(c, "delete_media", params)
            if deleted:
                await _run(c, "decrement_num_media", {"message_sid": message_sid})
            return deleted > 0

    async def get_media_content(self, sid: str) -> bytes | None:
        row = await _one(self._pool, "get_media_content", {"sid": sid})
        if row is None or row["content"] is None:
            return None
        return bytes(row["content"])

    async def list_status_events(self, message_sid: str) -> list[StatusEvent]:
        found = await _all(self._pool, "list_status_events", {"message_sid": message_sid})
        return [rows.event(r) for r in found]

    # The outbox -----------------------------------------------------------------------------

    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]:
        now_us = to_micros(now)
        params = {
            "now": now_us,
            "limit": limit,
            "leased_until": now_us + int(lease_seconds * 1_000_000),
        }
        claimed = [rows.job(r) for r in await _all(self._pool, "claim_jobs", params)]
        return sorted(claimed, key=lambda job: (job.due_at, job.id))

    async def next_job_due(self) -> datetime | None:
        row = await _one(self._pool, "next_job_due", {})
        return None if row is None or row["due"] is None else from_micros(row["due"])

    async def finish_job(
        self, job: Job, outcome: JobOutcome, claim: JobClaim | None = None
    ) -> None:
        async with self._transaction() as c:
            fence = {"id": job.id, "attempts": job.attempts}
            if outcome.retry_at is None:
                held = await _run(c, "delete_job", fence)
            else:
                payload = outcome.payload if outcome.payload is not None else job.payload
                params = {
                    **fence,
                    "due_at": to_micros(outcome.retry_at),
                    "payload": dump_json(payload),
                }
                held = await _run(c, "retry_job", params)
            if not held:
                raise LeaseLost(job.id)  # the transaction rolls back: nothing is written
            await _run_many(c, "insert_attempt", [rows.attempt_params(a) for a in outcome.attempts])
            for message, media in outcome.new_messages:
                await _insert_message(c, message, media, {})
            updates = [rows.message_params(m) for m in outcome.message_updates]
            await _run_many(c, "update_message", updates)
            await _insert_events(c, outcome.events)
            await _insert_jobs(c, outcome.new_jobs, claim)
            if outcome.cookie_jar is not None:
                await _run(c, *rows.cookie_jar_write(outcome.cookie_jar))

    async def get_cookie_jar(self, ours: str, theirs: str) -> CookieJar | None:
        row = await _one(self._pool, "get_cookie_jar", {"ours": ours, "theirs": theirs})
        return None if row is None else rows.cookie_jar(row)

    async def extend_leases(self, job_ids: Sequence[int], leased_until: datetime) -> None:
        params = {"ids": list(job_ids), "leased_until": to_micros(leased_until)}
        await _run(self._pool, "extend_leases", params)

    async def release_all_leases(self) -> int:
        return await _run(self._pool, "release_all_leases", {})

    # Opt-outs and scenarios -----------------------------------------------------------------

    async def set_opt_out(
        self, account_sid: str, sender: str, recipient: str, opted_out: bool, at: datetime
    ) -> bool:
        params = {"account_sid": account_sid, "sender": sender, "recipient": recipient}
        if opted_out:
            return (
                await _run(self._pool, "insert_opt_out", {**params, "date_created": to_micros(at)})
                > 0
            )
        return await _run(self._pool, "delete_opt_out", params) > 0

    async def is_opted_out(self, account_sid: str, sender: str, recipient: str) -> bool:
        params = {"account_sid": account_sid, "sender": sender, "recipient": recipient}
        return await _one(self._pool, "get_opt_out", params) is not None

    async def list_scenarios(self) -> list[dict[str, Any]]:
        return [load_json(row["body"]) for row in await _all(self._pool, "list_scenarios", {})]

    async def replace_scenarios(self, scenarios: Sequence[Mapping[str, Any]]) -> None:
        bodies = [{"body": dump_json(dict(scenario))} for scenario in scenarios]
        async with self._transaction() as c:
            await _run(c, "delete_scenarios", {})
            await _run_many(c, "insert_scenario", bodies)

    # Attempts and control -------------------------------------------------------------------

    async def insert_attempts(self, attempts: Sequence[WebhookAttempt]) -> None:
        async with self._transaction() as c:
            await _run_many(c, "insert_attempt", [rows.attempt_params(a) for a in attempts])

    async def list_attempts(self, filters: AttemptFilter) -> list[WebhookAttempt]:
        accounts = None if filters.account_sids is None else list(filters.account_sids)
        params: dict[str, Any] = {"account_sids": accounts, "limit": filters.limit}
        if filters.message_sid is not None:
            params["message_sid"] = filters.message_sid
            found = await _all(self._pool, "list_attempts_for_message", params)
        else:
            found = await _all(self._pool, "list_recent_attempts", params)
        return [rows.attempt(r) for r in found]

    async def get_attempt(self, sid: str) -> WebhookAttempt | None:
        row = await _one(self._pool, "get_attempt", {"sid": sid})
        return None if row is None else rows.attempt(row)

    async def reset(self, keep_numbers: bool = True) -> None:
        async with self._transaction() as c:
            await _run(c, "reset_messages", {})
            if not keep_numbers:
                await _run(c, "reset_numbers", {})
