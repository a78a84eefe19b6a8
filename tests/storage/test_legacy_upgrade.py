"""A database made by the migrations as they were before both dialects shared numbers upgrades.

``legacy_migrations/<dialect>/`` holds those migrations verbatim (PostgreSQL numbered cookie
jars 3, SQLite 4; ``schema_migrations`` recorded versions only). Each test builds such a
database the way the old code did, writes a little of everything through the named queries,
opens today's store on it and checks: the migrations are recorded by today's numbers and names,
nothing was lost, the schema is the one a fresh database gets, and deletes now cascade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from switchboard.domain.cookies import CookieJar, StoredCookie
from switchboard.ports import PageRequest, Store
from switchboard.storage import records
from switchboard.storage.postgres import PostgresStore, compile_query
from switchboard.storage.queries import load_migrations, load_queries
from switchboard.storage.sqlite import SqliteStore

from .conftest import Records

LEGACY = Path(__file__).parent / "legacy_migrations"
Run = Callable[[str, dict[str, Any]], Awaitable[object]]


def _legacy(dialect: str) -> list[tuple[int, str]]:
    files = sorted((LEGACY / dialect).glob("*.sql"))
    return [(int(f.name[:4]), f.read_text(encoding="utf-8")) for f in files]


def _today() -> list[tuple[int, str]]:
    return [(m.version, m.name) for m in load_migrations("sqlite")]


class Seeded:
    """What :func:`_seed` wrote, to be found again after the upgrade."""

    def __init__(self, make: Records) -> None:
        self.account = make.account()
        self.number = make.number(self.account.sid)
        self.service = make.service(self.account.sid)
        self.entry = make.pool_entry(self.service, self.number)
        self.message = make.message(self.account.sid, num_media=1)
        self.media = make.media(self.message)
        self.jar = CookieJar(
            self.account.sid,
            self.number.phone_number,
            "+14155550199",
            (StoredCookie("a", "1", "app.example", True, "/", False, make.at(99)),),
            make.at(50),
        )


# Columns today's named queries write that the legacy schema does not have yet (a later
# migration adds them): the seeding leaves them out of its statements.
LATER_COLUMNS = ("content_retention", "address_retention")


def legacy_sql(sql: str) -> str:
    for column in LATER_COLUMNS:
        sql = sql.replace(f":{column}, ", "").replace(f"{column}, ", "")
    return sql


async def _seed(run: Run, seeded: Seeded) -> None:
    await run("insert_account", records.account_params(seeded.account))
    await run("insert_phone_number", records.number_params(seeded.number))
    await run("insert_service", records.service_params(seeded.service))
    await run("insert_service_number", records.service_number_params(seeded.entry))
    await run("insert_message", records.message_params(seeded.message))
    await run("insert_media", records.media_params(seeded.media, b"png"))
    await run("insert_status_event", {
        "message_sid": seeded.message.sid, "status": "queued", "error_code": None,
        "at": records.to_micros(seeded.message.date_created),
    })  # fmt: skip
    await run(*records.cookie_jar_write(seeded.jar))


async def _check_upgraded(store: Store, seeded: Seeded) -> None:
    """Nothing was lost, and deletes cascade."""
    acc, message = seeded.account.sid, seeded.message
    assert await store.get_account(acc) == seeded.account
    assert await store.find_number_and_service(seeded.number.phone_number) == (
        seeded.number,
        seeded.service,
    )
    stored = await store.find_message(message.sid)
    assert stored is not None
    assert (await store.list_media(acc, message.sid, PageRequest())).items == [seeded.media]
    assert await store.get_media_content(seeded.media.sid) == b"png"
    assert [e.status for e in await store.list_status_events(message.sid)] == ["queued"]
    assert await store.get_cookie_jar(seeded.jar.ours, seeded.jar.theirs) == seeded.jar

    assert await store.delete_message(acc, message.sid)
    assert await store.get_media_content(seeded.media.sid) is None
    assert await store.list_status_events(message.sid) == []
    assert await store.delete_service(acc, seeded.service.sid)
    assert await store.service_for_number(seeded.number.sid) is None


def _sqlite_schema(path: Path) -> tuple[list[Any], list[tuple[int, str]]]:
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " ORDER BY name"
        ).fetchall()
        versions = conn.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
    finally:
        conn.close()
    return objects, versions


async def test_a_sqlite_database_of_the_old_migrations_upgrades(
    tmp_path: Path, make: Records
) -> None:
    path = tmp_path / "old.db"
    queries = load_queries("sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
        for version, sql in _legacy("sqlite"):
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))
        seeded = Seeded(make)

        async def run(name: str, params: dict[str, Any]) -> None:
            conn.execute(legacy_sql(queries[name]), params)

        await _seed(run, seeded)
    finally:
        conn.close()

    store = await SqliteStore.open(str(path))
    try:
        await _check_upgraded(store, seeded)
    finally:
        await store.close()

    fresh = tmp_path / "fresh.db"
    await (await SqliteStore.open(str(fresh))).close()
    upgraded = _sqlite_schema(path)
    assert upgraded[1] == _today()
    assert upgraded == _sqlite_schema(fresh)


async def _postgres_schema(conn: Any) -> list[Any]:
    found = []
    for query in (
        "SELECT table_name, column_name, data_type, is_nullable, is_identity"
        " FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = 'public'::regnamespace ORDER BY 1",
        "SELECT version, name FROM schema_migrations ORDER BY 1",
    ):
        found.append([tuple(r) for r in await conn.fetch(query)])
    return found


@pytest.mark.postgres
async def test_a_postgres_database_of_the_old_migrations_upgrades(
    postgres_dsn: str, make: Records
) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
        for version, sql in _legacy("postgres"):
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
        seeded = Seeded(make)

        async def run(name: str, params: dict[str, Any]) -> None:
            query = compile_query(legacy_sql(load_queries("postgres")[name]))
            await conn.execute(query.sql, *query.args(params))

        await _seed(run, seeded)
        store = await PostgresStore.open(postgres_dsn, max_size=2)
        try:
            await _check_upgraded(store, seeded)
        finally:
            await store.close()
        upgraded = await _postgres_schema(conn)
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await (await PostgresStore.open(postgres_dsn, max_size=2)).close()
        assert upgraded[-1] == _today()
        assert upgraded == await _postgres_schema(conn)
    finally:
        await conn.close()
