"""The SQLite store: the embedded default, a single file in WAL mode (or ``:memory:``).

Every public method is one transaction: writes join the next group commit, reads see the last
committed state (:mod:`switchboard.storage.sqlite_executor`); the SQL lives in
``sql/sqlite/*.sql``.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

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
    JobClaim,
    JobOutcome,
    LeaseLost,
    MessageFilter,
    Page,
    PageRequest,
    StoreConflict,
)
from switchboard.storage import records
from switchboard.storage import sqlite_sql as sql
from switchboard.storage.queries import load_queries
from switchboard.storage.rows import (
    dump_json,
    from_micros,
    load_json,
    opt_micros,
    to_micros,
)
from switchboard.storage.sqlite_executor import GroupCommitExecutor

T = TypeVar("T")
Q = load_queries("sqlite")
Row = sqlite3.Row


class SqliteStore:
    """The Store port on SQLite. Open with :meth:`open` (it applies pending migrations)."""

    def __init__(self, executor: GroupCommitExecutor) -> None:
        self._db = executor

    @classmethod
    async def open(cls, path: str, *, durable: bool = True) -> SqliteStore:
        store = cls(GroupCommitExecutor(path, durable=durable))
        await store._db.run(sql.migrate)
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _do(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A write: runs in the next group commit, returns once it is durable."""
        return await self._db.run(fn)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A read of the last committed state (it does not wait for writes in progress)."""
        return await self._db.read(fn)

    # Accounts and credentials ---------------------------------------------------------------

    async def insert_account(self, account: Account) -> None:
        params = {f.name: getattr(account, f.name) for f in dataclasses.fields(Account)}
        params["date_created"] = to_micros(account.date_created)
        params["date_updated"] = to_micros(account.date_updated)

        def work(c: sqlite3.Connection) -> None:
            try:
                sql.run(c, "insert_account", params)
            except sqlite3.IntegrityError as exc:
                raise StoreConflict(account.sid) from exc

        await self._do(work)

    async def get_account(self, sid: str) -> Account | None:
        row = await self._read(lambda c: sql.one(c, "get_account", {"sid": sid}))
        return None if row is None else records.account(row)

    async def update_account(self, account: Account) -> None:
        params = {
            "sid": account.sid,
            "friendly_name": account.friendly_name,
            "auth_token": account.auth_token,
            "status": account.status,
            "date_updated": to_micros(account.date_updated),
        }
        await self._do(lambda c: sql.run(c, "update_account", params))

    async def find_main_account(self) -> Account | None:
        row = await self._read(lambda c: sql.one(c, "find_main_account", {}))
        return None if row is None else records.account(row)

    async def list_accounts(
        self, owner_sid: str, friendly_name: str | None, status: str | None, page: PageRequest
    ) -> Page[Account]:
        def work(c: sqlite3.Connection) -> Page[Account]:
            after = sql.cursor_seq(c, "account_seq", page, owner_sid=owner_sid) or 0
            params = {"owner_sid": owner_sid, "friendly_name": friendly_name, "status": status}
            return sql.page(
                c, "list_accounts", {**params, "after_seq": after}, page, records.account
            )

        return await self._read(work)

    async def insert_api_key(self, key: ApiKey) -> None:
        params = {f.name: getattr(key, f.name) for f in dataclasses.fields(ApiKey)}
        params["date_created"] = to_micros(key.date_created)
        params["date_updated"] = to_micros(key.date_updated)
        await self._do(lambda c: sql.run(c, "insert_api_key", params))

    async def get_api_key(self, sid: str) -> ApiKey | None:
        row = await self._read(lambda c: sql.one(c, "get_api_key", {"sid": sid}))
        return None if row is None else records.api_key(row)

    async def update_api_key(self, key: ApiKey) -> None:
        params = {
            "sid": key.sid,
            "friendly_name": key.friendly_name,
            "date_updated": to_micros(key.date_updated),
        }
        await self._do(lambda c: sql.run(c, "update_api_key", params))

    async def delete_api_key(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._do(lambda c: sql.run(c, "delete_api_key", params)) > 0

    async def list_api_keys(self, account_sid: str, page: PageRequest) -> Page[ApiKey]:
        def work(c: sqlite3.Connection) -> Page[ApiKey]:
            after = sql.cursor_seq(c, "api_key_seq", page, account_sid=account_sid) or 0
            params = {"account_sid": account_sid, "after_seq": after}
            return sql.page(c, "list_api_keys", params, page, records.api_key)

        return await self._read(work)

    # Phone numbers --------------------------------------------------------------------------

    async def insert_phone_number(self, number: PhoneNumber) -> None:
        params = records.number_params(number)

        def work(c: sqlite3.Connection) -> None:
            try:
                sql.run(c, "insert_phone_number", params)
            except sqlite3.IntegrityError as exc:
                raise StoreConflict(number.phone_number) from exc

        await self._do(work)

    async def get_phone_number(self, account_sid: str, sid: str) -> PhoneNumber | None:
        params = {"account_sid": account_sid, "sid": sid}
        row = await self._read(lambda c: sql.one(c, "get_phone_number", params))
        return None if row is None else records.phone_number(row)

    async def find_phone_number(self, phone_number: str) -> PhoneNumber | None:
        params = {"phone_number": phone_number}
        row = await self._read(lambda c: sql.one(c, "find_phone_number", params))
        return None if row is None else records.phone_number(row)

    async def find_number_and_service(
        self, phone_number: str
    ) -> tuple[PhoneNumber, MessagingService | None] | None:
        params = {"phone_number": phone_number}
        row = await self._read(lambda c: sql.one(c, "find_number_and_service", params))
        if row is None:
            return None
        service = None
        if row["service_sid"] is not None:
            service = records.service_from(
                row["service_sid"],
                row["service_account_sid"],
                row["service_body"],
                row["service_date_created"],
                row["service_date_updated"],
            )
        return records.phone_number(row), service

    async def update_phone_number(self, number: PhoneNumber) -> None:
        params = records.number_params(number)
        del params["account_sid"], params["phone_number"], params["date_created"]
        await self._do(lambda c: sql.run(c, "update_phone_number", params))

    async def delete_phone_number(self, account_sid: str, sid: str) -> bool:
        def work(c: sqlite3.Connection) -> bool:
            deleted = sql.run(c, "delete_phone_number", {"account_sid": account_sid, "sid": sid})
            if deleted:
                sql.run(c, "delete_service_entry_for_number", {"sid": sid})
            return deleted > 0

        return await self._do(work)

    async def list_phone_numbers(
        self,
        account_sid: str,
        phone_number: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[PhoneNumber]:
        def work(c: sqlite3.Connection) -> Page[PhoneNumber]:
            after = sql.cursor_seq(c, "phone_number_seq", page, account_sid=account_sid) or 0
            params = {
                "account_sid": account_sid,
                "phone_number": phone_number,
                "friendly_name": friendly_name,
                "after_seq": after,
            }
            return sql.page(c, "list_phone_numbers", params, page, records.phone_number)

        return await self._read(work)

    # Messaging Services ---------------------------------------------------------------------

    async def insert_service(self, service: MessagingService) -> None:
        params = records.service_params(service)
        await self._do(lambda c: sql.run(c, "insert_service", params))

    async def get_service(self, account_sid: str, sid: str) -> MessagingService | None:
        params = {"account_sid": account_sid, "sid": sid}
        row = await self._read(lambda c: sql.one(c, "get_service", params))
        return None if row is None else records.service(row)

    async def update_service(self, service: MessagingService) -> None:
        params = records.service_params(service)
        del params["account_sid"], params["date_created"]
        await self._do(lambda c: sql.run(c, "update_service", params))

    async def delete_service(self, account_sid: str, sid: str) -> bool:
        def work(c: sqlite3.Connection) -> bool:
            deleted = sql.run(c, "delete_service", {"account_sid": account_sid, "sid": sid})
            if deleted:
                sql.run(c, "delete_service_entries", {"service_sid": sid})
            return deleted > 0

        return await self._do(work)

    async def list_services(self, account_sid: str, page: PageRequest) -> Page[MessagingService]:
        def work(c: sqlite3.Connection) -> Page[MessagingService]:
            after = sql.cursor_seq(c, "service_seq", page, account_sid=account_sid) or 0
            params = {"account_sid": account_sid, "after_seq": after}
            return sql.page(c, "list_services", params, page, records.service)

        return await self._read(work)

    async def add_service_number(self, entry: ServicePhoneNumber) -> None:
        params = {
            "sid": entry.sid,
            "service_sid": entry.service_sid,
            "account_sid": entry.account_sid,
            "phone_number": entry.phone_number,
            "date_created": to_micros(entry.date_created),
            "date_updated": to_micros(entry.date_updated),
        }

        def work(c: sqlite3.Connection) -> None:
            try:
                sql.run(c, "insert_service_number", params)
            except sqlite3.IntegrityError as exc:
                raise StoreConflict(entry.sid) from exc

        await self._do(work)

    async def get_service_number(self, service_sid: str, sid: str) -> ServicePhoneNumber | None:
        params = {"service_sid": service_sid, "sid": sid}
        row = await self._read(lambda c: sql.one(c, "get_service_number", params))
        return None if row is None else records.service_number(row)

    async def remove_service_number(self, service_sid: str, sid: str) -> bool:
        params = {"service_sid": service_sid, "sid": sid}
        return await self._do(lambda c: sql.run(c, "delete_service_number", params)) > 0

    async def list_service_numbers(
        self, service_sid: str, page: PageRequest
    ) -> Page[ServicePhoneNumber]:
        def work(c: sqlite3.Connection) -> Page[ServicePhoneNumber]:
            after = sql.cursor_seq(c, "service_number_seq", page, service_sid=service_sid) or 0
            params = {"service_sid": service_sid, "after_seq": after}
            return sql.page(c, "list_service_numbers", params, page, records.service_number)

        return await self._read(work)

    async def service_for_number(self, phone_number_sid: str) -> str | None:
        row = await self._read(
            lambda c: sql.one(c, "service_for_number", {"sid": phone_number_sid})
        )
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
        content = media_content or {}

        def work(c: sqlite3.Connection) -> Message:
            stored = sql.insert_message(c, message, media, content)
            sql.insert_jobs(c, jobs, claim)
            return stored

        return await self._do(work)

    async def get_message(self, account_sid: str, sid: str) -> Message | None:
        params = {"account_sid": account_sid, "sid": sid}
        row = await self._read(lambda c: sql.one(c, "get_message", params))
        return None if row is None else records.message(row)

    async def find_message(self, sid: str) -> Message | None:
        row = await self._read(lambda c: sql.one(c, "find_message", {"sid": sid}))
        return None if row is None else records.message(row)

    async def update_message(
        self,
        message: Message,
        jobs: Sequence[NewJob] = (),
        events: Sequence[StatusEvent] = (),
        claim: JobClaim | None = None,
    ) -> None:
        params = records.message_update_params(message)

        def work(c: sqlite3.Connection) -> None:
            sql.run(c, "update_message", params)
            sql.insert_events(c, events)
            sql.insert_jobs(c, jobs, claim)

        await self._do(work)

    async def delete_message(self, account_sid: str, sid: str) -> bool:
        def work(c: sqlite3.Connection) -> bool:
            deleted = sql.run(c, "delete_message", {"account_sid": account_sid, "sid": sid})
            if deleted:
                sql.run(c, "delete_message_media", {"message_sid": sid})
                sql.run(c, "delete_message_events", {"message_sid": sid})
            return deleted > 0

        return await self._do(work)

    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: PageRequest
    ) -> Page[Message]:
        def work(c: sqlite3.Connection) -> Page[Message]:
            before = sql.cursor_seq(c, "message_seq", page, account_sid=account_sid)
            params = {
                "account_sid": account_sid,
                "to_addr": filters.to,
                "from_addr": filters.from_,
                "sent_from": opt_micros(filters.sent_on_or_after),
                "sent_before": opt_micros(filters.sent_before),
                "before_seq": before,
            }
            return sql.page(c, "list_messages", params, page, records.message)

        return await self._read(work)

    async def list_replies(self, message_sid: str) -> list[Message]:
        rows = await self._read(lambda c: sql.all(c, "list_replies", {"sid": message_sid}))
        return [records.message(r) for r in rows]

    async def pending_jobs(self, message_sid: str, kind: str) -> int:
        params = {"message_sid": message_sid, "kind": kind}
        row = await self._read(lambda c: sql.one(c, "pending_jobs_for_message", params))
        return 0 if row is None else int(row["n"])

    async def list_media(
        self, account_sid: str, message_sid: str, page: PageRequest
    ) -> Page[Media]:
        def work(c: sqlite3.Connection) -> Page[Media]:
            after = sql.cursor_seq(c, "media_seq", page, message_sid=message_sid) or 0
            params = {"account_sid": account_sid, "message_sid": message_sid, "after_seq": after}
            return sql.page(c, "list_media", params, page, records.media)

        return await self._read(work)

    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Media | None:
        params = {"account_sid": account_sid, "message_sid": message_sid, "sid": sid}
        row = await self._read(lambda c: sql.one(c, "get_media", params))
        return None if row is None else records.media(row)

    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "message_sid": message_sid, "sid": sid}

        def work(c: sqlite3.Connection) -> bool:
            deleted = sql.run(c, "delete_media", params)
            if deleted:
                sql.run(c, "decrement_num_media", {"message_sid": message_sid})
            return deleted > 0

        return await self._do(work)

    async def get_media_content(self, sid: str) -> bytes | None:
        row = await self._read(lambda c: sql.one(c, "get_media_content", {"sid": sid}))
        if row is None or row["content"] is None:
            return None
        return bytes(row["content"])

    async def list_status_events(self, message_sid: str) -> list[StatusEvent]:
        params = {"message_sid": message_sid}
        rows = await self._read(lambda c: sql.all(c, "list_status_events", params))
        return [records.event(r) for r in rows]

    async def get_cookie_jar(self, ours: str, theirs: str) -> CookieJar | None:
        params = {"ours": ours, "theirs": theirs}
        row = await self._read(lambda c: sql.one(c, "get_cookie_jar", params))
        return None if row is None else records.cookie_jar(row)

    # The outbox -----------------------------------------------------------------------------

    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]:
        now_us = to_micros(now)
        leased_until = now_us + int(lease_seconds * 1_000_000)

        def work(c: sqlite3.Connection) -> list[Job]:
            rows = sql.all(c, "select_due_jobs", {"now": now_us, "limit": limit})
            for row in rows:
                sql.run(c, "lease_job", {"id": row["id"], "leased_until": leased_until})
            return [dataclasses.replace(records.job(r), attempts=r["attempts"] + 1) for r in rows]

        return await self._do(work)

    async def next_job_due(self) -> datetime | None:
        row = await self._read(lambda c: sql.one(c, "next_job_due", {}))
        return None if row is None or row["due"] is None else from_micros(row["due"])

    async def finish_job(
        self, job: Job, outcome: JobOutcome, claim: JobClaim | None = None
    ) -> None:
        def work(c: sqlite3.Connection) -> None:
            fence = {"id": job.id, "attempts": job.attempts}
            if outcome.retry_at is None:
                held = sql.run(c, "delete_job", fence)
            else:
                payload = dump_json(outcome.payload if outcome.payload is not None else job.payload)
                params = {**fence, "due_at": to_micros(outcome.retry_at), "payload": payload}
                held = sql.run(c, "retry_job", params)
            if not held:
                raise LeaseLost(job.id)  # rolls back this call's savepoint: nothing is written
            for attempt in outcome.attempts:
                sql.run(c, "insert_attempt", records.attempt_params(attempt))
            for message, media in outcome.new_messages:
                sql.insert_message(c, message, media, {})
            for message in outcome.message_updates:
                sql.run(c, "update_message", records.message_update_params(message))
            sql.insert_events(c, outcome.events)
            sql.insert_jobs(c, outcome.new_jobs, claim)
            if outcome.cookie_jar is not None:
                sql.run(c, *records.cookie_jar_write(outcome.cookie_jar))

        await self._do(work)

    async def extend_leases(self, job_ids: Sequence[int], leased_until: datetime) -> None:
        until = to_micros(leased_until)
        ids = list(job_ids)

        def work(c: sqlite3.Connection) -> None:
            for job_id in ids:
                sql.run(c, "extend_leases", {"id": job_id, "leased_until": until})

        await self._do(work)

    async def release_all_leases(self) -> int:
        return await self._do(lambda c: sql.run(c, "release_all_leases", {}))

    # Opt-outs and scenarios -----------------------------------------------------------------

    async def set_opt_out(
        self, account_sid: str, sender: str, recipient: str, opted_out: bool, at: datetime
    ) -> bool:
        params: dict[str, Any] = {
            "account_sid": account_sid,
            "sender": sender,
            "recipient": recipient,
        }
        if opted_out:
            params["date_created"] = to_micros(at)
            return await self._do(lambda c: sql.run(c, "insert_opt_out", params)) > 0
        return await self._do(lambda c: sql.run(c, "delete_opt_out", params)) > 0

    async def is_opted_out(self, account_sid: str, sender: str, recipient: str) -> bool:
        params = {"account_sid": account_sid, "sender": sender, "recipient": recipient}
        return await self._read(lambda c: sql.one(c, "get_opt_out", params)) is not None

    async def list_scenarios(self) -> list[dict[str, Any]]:
        rows = await self._read(lambda c: sql.all(c, "list_scenarios", {}))
        return [load_json(row["body"]) for row in rows]

    async def replace_scenarios(self, scenarios: Sequence[Mapping[str, Any]]) -> None:
        bodies = [dump_json(dict(scenario)) for scenario in scenarios]

        def work(c: sqlite3.Connection) -> None:
            sql.run(c, "delete_scenarios", {})
            for body in bodies:
                sql.run(c, "insert_scenario", {"body": body})

        await self._do(work)

    # Attempts and control -------------------------------------------------------------------

    async def insert_attempts(self, attempts: Sequence[WebhookAttempt]) -> None:
        rows = [records.attempt_params(a) for a in attempts]

        def work(c: sqlite3.Connection) -> None:
            for row in rows:
                sql.run(c, "insert_attempt", row)

        await self._do(work)

    async def list_attempts(self, filters: AttemptFilter) -> list[WebhookAttempt]:
        accounts = None if filters.account_sids is None else dump_json(list(filters.account_sids))
        params: dict[str, Any] = {"account_sids": accounts, "limit": filters.limit}

        def work(c: sqlite3.Connection) -> list[Row]:
            if filters.message_sid is not None:
                return sql.all(
                    c, "list_attempts_for_message", {**params, "message_sid": filters.message_sid}
                )
            return sql.all(c, "list_recent_attempts", params)

        return [records.attempt(r) for r in await self._read(work)]

    async def get_attempt(self, sid: str) -> WebhookAttempt | None:
        row = await self._read(lambda c: sql.one(c, "get_attempt", {"sid": sid}))
        return None if row is None else records.attempt(row)

    async def reset(self, keep_numbers: bool = True) -> None:
        tables = ["messages", "media", "status_events", "jobs", "webhook_attempts", "scenarios"]
        tables.append("cookie_jars")
        if not keep_numbers:
            tables += ["phone_numbers", "messaging_services", "service_phone_numbers", "opt_outs"]

        def work(c: sqlite3.Connection) -> None:
            for table in tables:
                c.execute(f"DELETE FROM {table}")  # fixed table names, never user input

        await self._do(work)
