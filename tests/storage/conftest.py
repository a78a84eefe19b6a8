"""Fixtures for the storage contract suite: every test runs once per backend.

``store`` is parametrized over SQLite (a temp file) and PostgreSQL (a fresh database from the
``postgres_database`` fixture of tests/conftest.py, dropped afterwards).
``database`` opens further stores on the same database (two nodes sharing it). ``make`` builds
records with unique SIDs and microsecond-precise times. ``walk`` (store_paging.py, a module on
pytest's pythonpath) reads a keyset-paged listing to its end.

When PostgreSQL is unreachable the PostgreSQL variants skip, except in CI, where they fail
(see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from switchboard.domain.models import (
    Account,
    ApiKey,
    Direction,
    Media,
    Message,
    MessagingService,
    NewJob,
    PhoneNumber,
    ServicePhoneNumber,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.ports import Store
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore

T0 = datetime(2026, 3, 4, 5, 6, 7, 123457, tzinfo=UTC)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Database:
    """One database of one backend; every store opened on it is closed at teardown."""

    backend: str
    target: str  # a SQLite path or a PostgreSQL DSN
    opened: list[Store] = field(default_factory=list)

    async def open(self) -> Store:
        store: Store
        if self.backend == "sqlite":
            store = await SqliteStore.open(self.target)
        else:
            store = await PostgresStore.open(self.target, max_size=8)
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        for store in reversed(self.opened):
            await store.close()


@pytest.fixture(params=BACKENDS)
async def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_database: Callable[[], contextlib.AbstractAsyncContextManager[str]],
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database("sqlite", str(tmp_path / "switchboard.db"))
        try:
            yield db
        finally:
            await db.close_all()
        return
    async with postgres_database() as dsn:
        db = Database("postgres", dsn)
        try:
            yield db
        finally:
            await db.close_all()


@pytest.fixture
async def store(database: Database) -> Store:
    return await database.open()


# Records ---------------------------------------------------------------------------------------


def at(micros: int) -> datetime:
    """T0 plus a number of microseconds."""
    return T0 + timedelta(microseconds=micros)


class Records:
    """Builders of valid records; every call gets fresh SIDs and phone numbers."""

    T0 = T0
    at = staticmethod(at)

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):032x}"

    def phone(self) -> str:
        return f"+1415555{next(self._counter):04d}"

    def account(self, owner: str | None = None, **changes: Any) -> Account:
        sid = self.sid("AC")
        fields: dict[str, Any] = {
            "sid": sid,
            "friendly_name": f"Account {sid[-4:]}",
            "auth_token": secrets.token_hex(16),
            "owner_account_sid": owner or sid,
            "status": "active",
            "date_created": at(1),
            "date_updated": at(2),
        }
        return Account(**(fields | changes))

    def api_key(self, account_sid: str, **changes: Any) -> ApiKey:
        fields: dict[str, Any] = {
            "sid": self.sid("SK"),
            "account_sid": account_sid,
            "friendly_name": "key",
            "secret": secrets.token_hex(16),
            "date_created": at(3),
            "date_updated": at(4),
        }
        return ApiKey(**(fields | changes))

    def number(self, account_sid: str, **changes: Any) -> PhoneNumber:
        fields: dict[str, Any] = {
            "sid": self.sid("PN"),
            "account_sid": account_sid,
            "phone_number": self.phone(),
            "friendly_name": "number",
            "date_created": at(5),
            "date_updated": at(6),
            "sms_url": "https://app.example/sms",
            "sms_method": "GET",
            "status_callback": "https://app.example/status",
        }
        return PhoneNumber(**(fields | changes))

    def service(self, account_sid: str, **changes: Any) -> MessagingService:
        fields: dict[str, Any] = {
            "sid": self.sid("MG"),
            "account_sid": account_sid,
            "friendly_name": "service",
            "date_created": at(7),
            "date_updated": at(8),
            "inbound_request_url": "https://app.example/inbound",
            "sticky_sender": False,
            "validity_period": 600,
        }
        return MessagingService(**(fields | changes))

    def pool_entry(
        self, service: MessagingService, number: PhoneNumber, **changes: Any
    ) -> ServicePhoneNumber:
        fields: dict[str, Any] = {
            "sid": number.sid,
            "service_sid": service.sid,
            "account_sid": service.account_sid,
            "phone_number": number.phone_number,
            "date_created": at(9),
            "date_updated": at(10),
        }
        return ServicePhoneNumber(**(fields | changes))

    def message(self, account_sid: str, **changes: Any) -> Message:
        fields: dict[str, Any] = {
            "sid": self.sid("SM"),
            "account_sid": account_sid,
            "direction": Direction.OUTBOUND_API,
            "from_": "+14155550100",
            "to": "+14155550199",
            "body": "Hello ☃ — ünïcode",
            "status": "queued",
            "num_segments": 1,
            "num_media": 0,
            "date_created": at(11),
            "date_updated": at(12),
        }
        return Message(**(fields | changes))

    def media(self, message: Message, **changes: Any) -> Media:
        fields: dict[str, Any] = {
            "sid": self.sid("ME"),
            "account_sid": message.account_sid,
            "message_sid": message.sid,
            "content_type": "image/png",
            "date_created": at(13),
            "date_updated": at(14),
            "source_url": "https://cdn.example/cat.png",
            "size": 1234,
        }
        return Media(**(fields | changes))

    def job(self, due_at: datetime = T0, kind: str = "incoming", **changes: Any) -> NewJob:
        fields: dict[str, Any] = {
            "kind": kind,
            "due_at": due_at,
            "payload": {"n": next(self._counter), "nested": {"list": [1, "two", None]}},
        }
        return NewJob(**(fields | changes))

    def attempt(self, account_sid: str, message_sid: str | None, **changes: Any) -> WebhookAttempt:
        fields: dict[str, Any] = {
            "sid": self.sid("WA"),
            "account_sid": account_sid,
            "message_sid": message_sid,
            "kind": "incoming",
            "attempt": 1,
            "url": "https://app.example/sms",
            "method": "POST",
            # Header order is part of what an attempt records.
            "request_headers": {"X-Twilio-Signature": "abc=", "A-First": "1", "Content-Type": "x"},
            "request_body": "Body=Hi&From=%2B1",
            "date_created": at(15),
            "duration_ms": 12.345678901,
            "response_status": 200,
            "response_headers": {"Content-Type": "text/xml"},
            "response_body": "<Response/>",
            "idempotency_token": "tok-1",
            "signed_url": "https://app.example/sms",
        }
        return WebhookAttempt(**(fields | changes))

    def event(self, message_sid: str, status: str, micros: int, **changes: Any) -> StatusEvent:
        return StatusEvent(message_sid, status, at(micros), **changes)


@pytest.fixture
def make() -> Records:
    return Records()
