"""The Store port, implemented once for every SQL database, over a connector.

Theory of operation. Every public method is one transaction: a single statement run through
:meth:`Connector.execute` / ``fetch_*`` (its own transaction), a unit of work handed to
:meth:`Connector.transaction` (writes of several statements) or a read snapshot
(:meth:`Connector.snapshot`: a page and the cursor it starts after). The SQL is named, per
dialect, in ``sql/<dialect>/queries.sql``; records become parameters and rows become records
in :mod:`switchboard.storage.records`. What differs between SQLite and PostgreSQL lives in the
query files and the connectors (:mod:`switchboard.storage.connector`), never here.

Deletes cascade in the schema (a message's media and events, a number's or a service's pool
entries), so each delete is one statement.

This module holds the core: accounts and credentials, phone numbers, messages and media, the
outbox, the attempt log and the searches. Each other group of methods is a part the store
inherits, in a module of its own over :class:`~switchboard.storage.store_part.StorePart`
(which holds ``_get``): Messaging Services and their senders
(:mod:`~switchboard.storage.sender_store`), Content templates and the WhatsApp window
(:mod:`~switchboard.storage.content_store`), opt-outs, loop protection and the carrier's
scenarios (:mod:`~switchboard.storage.rules_store`), and Event Streams
(:mod:`~switchboard.storage.event_store`). Which named query reads a page of a list or a
search (an address's index, a range of dates, the walk) is chosen in
:mod:`~switchboard.storage.read_paths`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from switchboard.domain.cookies import CookieJar
from switchboard.domain.events import event_type_of
from switchboard.domain.models import (
    Account,
    ApiKey,
    Job,
    Media,
    Message,
    MessageFeedback,
    MessagingService,
    NewJob,
    PhoneNumber,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.ports import (
    AttemptFilter,
    AttemptQuery,
    JobClaim,
    JobOutcome,
    Latency,
    LeaseLost,
    MessageFilter,
    MessageQuery,
    Page,
    PageRequest,
    StoreStats,
)
from switchboard.storage import read_paths, records
from switchboard.storage.connector import Connector, Row, Statements
from switchboard.storage.content_store import ContentStoreMethods
from switchboard.storage.event_store import EventStoreMethods, fan_out
from switchboard.storage.paging import cursor_seq, keyset_page, read_page
from switchboard.storage.routing_cache import RoutingCache
from switchboard.storage.rows import dump_json, from_micros, opt_micros, to_micros
from switchboard.storage.rules_store import RuleStoreMethods
from switchboard.storage.sender_store import SenderStoreMethods, save_sender_choice
from switchboard.storage.signal import WriteSignal


async def _insert_message(
    tx: Statements,
    message: Message,
    media: Sequence[Media],
    content: Mapping[str, bytes],
    jobs: Sequence[NewJob],
    claim: JobClaim | None,
) -> tuple[Message, list[Job]]:
    """Insert ``message`` with its first status event, which goes out as an Event Streams event
    too if its account subscribes, and its ``jobs``; one statement writes the message, the
    event and the first job and says whether the event goes out and whether the conversation
    has cookies (which its incoming webhook then need not read). Returns the stored message and
    the jobs the claim took, for :func:`_hand_over` once the write has committed (not before: a
    unit of work may be run again, see ``Connector.transaction``)."""
    params = records.message_params(message)
    params["type"] = event_type_of(message)
    claimed: list[Job] = []
    if jobs:
        params.update(records.new_job_params(jobs[0], claim))
        row = await tx.fetch_one("insert_message_with_event_and_job", params)
        assert row is not None  # the statement answers one row
        absent = not row["has_cookies"]
        if (taken := records.claimed_job(claim, row["job_id"], jobs[0], absent)) is not None:
            claimed.append(taken)
    else:
        row = await tx.fetch_one("insert_message_with_event", params)
        assert row is not None  # an INSERT's RETURNING answers its one row
    if row["subscribed"]:
        await fan_out(tx, message, message.date_created, subscribed=True)
    await tx.execute_many(
        "insert_media", [records.media_params(item, content.get(item.sid)) for item in media]
    )
    claimed += await _insert_jobs(tx, jobs[1:], claim)
    return dataclasses.replace(message, seq=row["seq"]), claimed


async def _insert_jobs(tx: Statements, jobs: Sequence[NewJob], claim: JobClaim | None) -> list[Job]:
    """Insert ``jobs``; returns those the claim took (see :func:`_insert_message`)."""
    if claim is None:
        await tx.execute_many("insert_job", [records.new_job_params(job) for job in jobs])
        return []
    claimed = []
    for job in jobs:  # one at a time: a claimed job's writer needs its id
        job_id = await tx.insert("insert_job", records.new_job_params(job, claim))
        if (taken := records.claimed_job(claim, job_id, job)) is not None:
            claimed.append(taken)
    return claimed


def _hand_over(claim: JobClaim | None, claimed: list[Job]) -> None:
    """Give the committed write's claimed jobs to their writer (see :class:`JobClaim`)."""
    if claim is not None:
        claim.jobs.extend(claimed)


async def _insert_events(
    tx: Statements, events: Sequence[StatusEvent], messages: Sequence[Message]
) -> None:
    """Record status changes; each one's Event Streams event goes out with it (``fan_out``)."""
    await tx.execute_many("insert_status_event", [records.event_params(e) for e in events])
    by_sid = {message.sid: message for message in messages}
    for event in events:
        message = by_sid.get(event.message_sid)
        if message is not None and message.status == event.status:
            await fan_out(tx, message, event.at)


class SqlStore(SenderStoreMethods, ContentStoreMethods, RuleStoreMethods, EventStoreMethods):
    """The Store port on a SQL database (see :mod:`switchboard.storage.connector`)."""

    def __init__(self, connector: Connector) -> None:
        self._db = connector
        self._writes = WriteSignal()  # messages and attempts written (the assertion API waits)
        self._routes = RoutingCache(connector)

    async def close(self) -> None:
        await self._db.close()

    # Accounts and credentials ---------------------------------------------------------------

    async def insert_account(self, account: Account) -> None:
        await self._db.execute("insert_account", records.account_params(account))

    async def get_account(self, sid: str) -> Account | None:
        return await self._get("get_account", records.account, sid=sid)

    async def update_account(self, account: Account) -> None:
        await self._db.execute("update_account", records.account_params(account))

    async def find_main_account(self) -> Account | None:
        return await self._get("find_main_account", records.account)

    async def list_accounts(
        self, owner_sid: str, friendly_name: str | None, status: str | None, page: PageRequest
    ) -> Page[Account]:
        filters = {"friendly_name": friendly_name, "status": status}
        keys = {"owner_sid": owner_sid}
        return await self._db.snapshot(
            keyset_page("account_seq", "list_accounts", keys, filters, page, records.account)
        )

    async def insert_api_key(self, key: ApiKey) -> None:
        await self._db.execute("insert_api_key", records.api_key_params(key))

    async def get_api_key(self, sid: str) -> ApiKey | None:
        return await self._get("get_api_key", records.api_key, sid=sid)

    async def update_api_key(self, key: ApiKey) -> None:
        await self._db.execute("update_api_key", records.api_key_params(key))

    async def delete_api_key(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_api_key", params) > 0

    async def list_api_keys(self, account_sid: str, page: PageRequest) -> Page[ApiKey]:
        keys = {"account_sid": account_sid}
        return await self._db.snapshot(
            keyset_page("api_key_seq", "list_api_keys", keys, {}, page, records.api_key)
        )

    # Phone numbers --------------------------------------------------------------------------

    async def insert_phone_number(self, number: PhoneNumber) -> None:
        await self._db.execute("insert_phone_number", records.number_params(number))

    async def get_phone_number(self, account_sid: str, sid: str) -> PhoneNumber | None:
        return await self._get(
            "get_phone_number", records.phone_number, account_sid=account_sid, sid=sid
        )

    async def find_phone_number(self, phone_number: str) -> PhoneNumber | None:
        return await self._get("find_phone_number", records.phone_number, phone_number=phone_number)

    async def find_number_and_service(
        self, phone_number: str
    ) -> tuple[PhoneNumber, MessagingService | None] | None:
        return await self._routes.find(phone_number)

    async def update_phone_number(self, number: PhoneNumber) -> None:
        # The statement binds only the mutable columns; the owner and the number stay.
        await self._db.execute("update_phone_number", records.number_params(number))

    async def delete_phone_number(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_phone_number", params) > 0

    async def list_phone_numbers(
        self,
        account_sid: str,
        phone_number: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[PhoneNumber]:
        keys = {"account_sid": account_sid}
        filters = {"phone_number": phone_number, "friendly_name": friendly_name}
        return await self._db.snapshot(
            keyset_page(
                "phone_number_seq", "list_phone_numbers", keys, filters, page, records.phone_number
            )
        )

    # Messages and media ---------------------------------------------------------------------

    async def insert_message(
        self,
        message: Message,
        media: Sequence[Media] = (),
        jobs: Sequence[NewJob] = (),
        media_content: Mapping[str, bytes] | None = None,
        claim: JobClaim | None = None,
    ) -> Message:
        async def work(tx: Statements) -> tuple[Message, list[Job]]:
            return await _insert_message(tx, message, media, media_content or {}, jobs, claim)

        stored, claimed = await self._db.transaction(work)
        _hand_over(claim, claimed)
        self._writes.notify()
        return stored

    async def get_message(self, account_sid: str, sid: str) -> Message | None:
        return await self._get("get_message", records.message, account_sid=account_sid, sid=sid)

    async def find_message(self, sid: str) -> Message | None:
        return await self._get("find_message", records.message, sid=sid)

    async def update_message(
        self,
        message: Message,
        jobs: Sequence[NewJob] = (),
        events: Sequence[StatusEvent] = (),
        claim: JobClaim | None = None,
    ) -> None:
        params = records.message_update_params(message)
        if not jobs and not events:
            await self._db.execute("update_message", params)
            self._writes.notify()
            return

        async def work(tx: Statements) -> list[Job]:
            await tx.execute("update_message", params)
            await _insert_events(tx, events, [message])
            return await _insert_jobs(tx, jobs, claim)

        _hand_over(claim, await self._db.transaction(work))
        self._writes.notify()

    async def delete_message(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_message", params) > 0

    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: PageRequest
    ) -> Page[Message]:
        wanted = {
            "to_addr": filters.to,
            "from_addr": filters.from_,
            "sent_from": opt_micros(filters.sent_on_or_after),
            "sent_before": opt_micros(filters.sent_before),
        }
        keys = {"account_sid": account_sid}
        span = read_paths.sent_span(filters)

        async def work(tx: Statements) -> Page[Message]:
            if span is not None:  # DateSent bounds alone: read by date or by seq
                before = await cursor_seq(tx, "message_seq", page, **keys)
                dated = {**keys, **span}
                return await read_paths.dated_page(tx, dated, before, page, records.message)
            name = read_paths.by_address("list_messages", filters.to, filters.from_)
            read = keyset_page(
                "message_seq", name, keys, wanted, page, records.message,
                cursor="before_seq",  # newest first
            )  # fmt: skip
            return await read(tx)

        return await self._db.snapshot(work)

    async def list_replies(self, message_sid: str) -> list[Message]:
        return [
            records.message(r)
            for r in await self._db.fetch_all("list_replies", {"sid": message_sid})
        ]

    async def pending_jobs(self, message_sid: str, kind: str) -> int:
        count = await self._get(
            "pending_jobs_for_message",
            lambda row: int(row["n"]),
            message_sid=message_sid,
            kind=kind,
        )
        return count or 0

    async def list_media(
        self, account_sid: str, message_sid: str, page: PageRequest
    ) -> Page[Media]:
        keys = {"message_sid": message_sid}
        filters = {"account_sid": account_sid}
        return await self._db.snapshot(
            keyset_page("media_seq", "list_media", keys, filters, page, records.media)
        )

    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Media | None:
        return await self._get(
            "get_media", records.media, account_sid=account_sid, message_sid=message_sid, sid=sid
        )

    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "message_sid": message_sid, "sid": sid}

        async def work(tx: Statements) -> bool:
            deleted = await tx.execute("delete_media", params)
            if deleted:  # the message's count of media follows (not a cascade: a counter)
                await tx.execute("decrement_num_media", {"message_sid": message_sid})
            return deleted > 0

        return await self._db.transaction(work)

    async def get_media_content(self, sid: str) -> bytes | None:
        row = await self._db.fetch_one("get_media_content", {"sid": sid})
        return None if row is None or row["content"] is None else bytes(row["content"])

    async def list_status_events(self, message_sid: str) -> list[StatusEvent]:
        found = await self._db.fetch_all("list_status_events", {"message_sid": message_sid})
        return [records.event(r) for r in found]

    async def get_cookie_jar(self, ours: str, theirs: str) -> CookieJar | None:
        return await self._get("get_cookie_jar", records.cookie_jar, ours=ours, theirs=theirs)

    async def save_feedback(self, feedback: MessageFeedback) -> MessageFeedback:
        params = records.feedback_params(feedback)

        async def work(tx: Statements) -> Row | None:
            return await tx.fetch_one("save_feedback", params)

        row = await self._db.transaction(work)
        assert row is not None  # an upsert's RETURNING answers its one row
        return records.feedback(row)

    async def get_feedback(self, account_sid: str, message_sid: str) -> MessageFeedback | None:
        return await self._get(
            "get_feedback", records.feedback, account_sid=account_sid, message_sid=message_sid
        )

    # The outbox -----------------------------------------------------------------------------

    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]:
        now_us = to_micros(now)
        params = {
            "now": now_us,
            "limit": limit,
            "leased_until": now_us + int(lease_seconds * 1_000_000),
        }

        async def work(tx: Statements) -> list[Row]:
            return await tx.fetch_all("claim_jobs", params)

        claimed = [records.job(r) for r in await self._db.transaction(work)]
        return sorted(claimed, key=lambda job: (job.due_at, job.id))

    async def next_job_due(self) -> datetime | None:
        row = await self._db.fetch_one("next_job_due", {})
        return None if row is None or row["due"] is None else from_micros(row["due"])

    async def finish_job(
        self, job: Job, outcome: JobOutcome, claim: JobClaim | None = None
    ) -> None:
        fence = {"id": job.id, "attempts": job.attempts}
        if outcome.retry_at is not None:
            payload = outcome.payload if outcome.payload is not None else job.payload
            retry = {**fence, "due_at": to_micros(outcome.retry_at), "payload": dump_json(payload)}

        async def work(tx: Statements) -> list[Job]:
            attempts = [records.attempt_params(a) for a in outcome.attempts]
            if outcome.retry_at is not None:
                held = await tx.execute("retry_job", retry) > 0
            elif len(attempts) == 1:  # the usual outcome: one statement ends the job with it
                # Taken off the list: written here, it is not one of insert_attempt's below.
                ended = {**attempts.pop(), **fence}
                held = await tx.fetch_one("delete_job_with_attempt", ended) is not None
            else:
                held = await tx.execute("delete_job", fence) > 0
            if not held:
                raise LeaseLost(job.id)  # the unit of work rolls back: nothing is written
            await tx.execute_many("insert_attempt", attempts)
            # Jobs whose work this one carried (an event batch): gone if still leased to us.
            await tx.execute_many(
                "delete_job", [{"id": i, "attempts": n} for i, n in outcome.absorbed]
            )
            for message, media in outcome.new_messages:
                await _insert_message(tx, message, media, {}, (), None)
            updates = [records.message_update_params(m) for m in outcome.message_updates]
            await tx.execute_many("update_message", updates)
            await _insert_events(tx, outcome.events, outcome.message_updates)
            claimed = await _insert_jobs(tx, outcome.new_jobs, claim)
            if outcome.cookie_jar is not None:
                await tx.execute(*records.cookie_jar_write(outcome.cookie_jar))
            for choice, sticky in outcome.sender_choices:
                await save_sender_choice(tx, choice, sticky)
            return claimed

        _hand_over(claim, await self._db.transaction(work))
        if outcome.attempts or outcome.new_messages or outcome.message_updates:
            self._writes.notify()

    async def extend_leases(self, job_ids: Sequence[int], leased_until: datetime) -> None:
        params = {"ids": list(job_ids), "leased_until": to_micros(leased_until)}
        await self._db.execute("extend_leases", params)

    async def release_all_leases(self) -> int:
        return await self._db.execute("release_all_leases", {})

    # Attempts and control -------------------------------------------------------------------

    async def insert_attempts(self, attempts: Sequence[WebhookAttempt]) -> None:
        rows = [records.attempt_params(a) for a in attempts]

        async def work(tx: Statements) -> None:
            await tx.execute_many("insert_attempt", rows)

        await self._db.transaction(work)
        self._writes.notify()

    async def list_attempts(self, filters: AttemptFilter) -> list[WebhookAttempt]:
        accounts = None if filters.account_sids is None else list(filters.account_sids)
        params: dict[str, Any] = {"account_sids": accounts, "limit": filters.limit}
        if filters.message_sid is not None:
            params["message_sid"] = filters.message_sid
            found = await self._db.fetch_all("list_attempts_for_message", params)
        else:
            found = await self._db.fetch_all("list_recent_attempts", params)
        return [records.attempt(r) for r in found]

    async def get_attempt(self, sid: str) -> WebhookAttempt | None:
        return await self._get("get_attempt", records.attempt, sid=sid)

    async def stats(self, account_sids: Sequence[str], since: datetime, recent: int) -> StoreStats:
        scope: dict[str, Any] = {"account_sids": list(account_sids), "recent": recent}

        async def work(tx: Statements) -> StoreStats:
            minutes = await tx.fetch_all(
                "stats_messages_per_minute", {**scope, "since": to_micros(since)}
            )
            statuses = await tx.fetch_all("stats_message_statuses", scope)
            codes = await tx.fetch_all("stats_error_codes", scope)
            latency = await tx.fetch_one("stats_webhook_latency", scope)
            assert latency is not None  # an aggregate always answers one row

            def ms(value: Any) -> float | None:
                return None if value is None else float(value)

            return StoreStats(
                per_minute=[(int(r["minute"]), r["status"], int(r["n"])) for r in minutes],
                statuses=[(r["direction"], r["status"], int(r["n"])) for r in statuses],
                error_codes=[(r["source"], int(r["error_code"]), int(r["n"])) for r in codes],
                latency=Latency(
                    count=int(latency["n"]),
                    p50=ms(latency["p50"]),
                    p90=ms(latency["p90"]),
                    p99=ms(latency["p99"]),
                    max=ms(latency["max"]),
                ),
            )

        return await self._db.snapshot(work)

    async def reset(self, keep_numbers: bool = True) -> None:
        scripts = [self._db.queries["reset_messages"]]
        if not keep_numbers:
            scripts.append(self._db.queries["reset_numbers"])

        async def work(tx: Statements) -> None:
            for script in scripts:
                await tx.script(script)

        await self._db.transaction(work)

    # The searches (the dashboard's finder and the assertion API) ---------------------------

    async def search_messages(self, query: MessageQuery, page: PageRequest) -> Page[Message]:
        keys = {"account_sids": list(query.account_sids)}
        filters = {
            **read_paths.shared_filters(query),
            "to_addr": query.to,
            "from_addr": query.from_,
            "status": query.status,
            "direction": query.direction,
            "channel": query.channel,
        }

        async def work(tx: Statements) -> Page[Message]:
            seq = await cursor_seq(tx, "search_message_seq", page, **keys)
            before = query.before_seq if seq is None else seq  # newest first
            params = {**keys, **filters, "before_seq": before}
            search = read_paths.by_address("search_messages", query.to, query.from_, query.number)
            return await read_page(tx, search, params, page, records.message)

        return await self._db.snapshot(work)

    async def search_attempts(self, query: AttemptQuery, page: PageRequest) -> Page[WebhookAttempt]:
        keys = {"account_sids": list(query.account_sids)}
        filters = {
            **read_paths.shared_filters(query),
            "message_sid": query.message_sid,
            "kind": query.kind,
            "url": query.url,
            "status": query.status,
            "failed": query.failed,
        }

        async def work(tx: Statements) -> Page[WebhookAttempt]:
            search = await read_paths.attempt_search(tx, query.number)
            read = keyset_page(
                "search_attempt_seq", search, keys, filters, page, records.attempt,
                cursor="before_seq",  # newest first
            )  # fmt: skip
            return await read(tx)

        return await self._db.snapshot(work)

    def writes(self) -> int:
        return self._writes.count

    async def wait_for_writes(self, seen: int, seconds: float) -> None:
        await self._writes.wait(seen, seconds)

    def announce_writes(self, announce: Callable[[], None]) -> None:
        self._writes.announce = announce

    def writes_elsewhere(self) -> None:
        self._writes.notify_elsewhere()
