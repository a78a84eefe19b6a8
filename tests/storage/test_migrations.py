"""Migrations per dialect: contiguous versions, idempotent application, one schema for both.

Also the PostgreSQL query compiler, every named query preparing against the migrated schema, and
``switchboard db migrate``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from switchboard.cli.main import cli
from switchboard.storage.postgres import Q, compile_query, migrate
from switchboard.storage.queries import load_migrations, load_queries, parse_queries
from switchboard.storage.sqlite import SqliteStore


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_migration_versions_are_contiguous(dialect: str) -> None:
    versions = [m.version for m in load_migrations(dialect)]
    assert versions == list(range(1, len(versions) + 1))
    assert versions


def _sqlite_schema(path: Path) -> tuple[list[tuple[str, str]], list[int]]:
    with sqlite3.connect(path) as conn:
        objects = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
    conn.close()
    return objects, versions


async def test_sqlite_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    await (await SqliteStore.open(str(path))).close()
    first = _sqlite_schema(path)
    await (await SqliteStore.open(str(path))).close()
    assert _sqlite_schema(path) == first
    assert first[1] == [m.version for m in load_migrations("sqlite")]


async def _postgres_schema(conn: Any) -> tuple[list[Any], list[Any], list[int]]:
    columns = await conn.fetch(
        "SELECT table_name, column_name, data_type, is_nullable, is_identity"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " ORDER BY table_name, ordinal_position"
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
    )
    versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    return [tuple(r) for r in columns], [tuple(r) for r in indexes], versions


@pytest.mark.postgres
async def test_postgres_migrations_apply_once(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await migrate(conn) == [m.version for m in load_migrations("postgres")]
        first = await _postgres_schema(conn)
        assert await migrate(conn) == []
        assert await _postgres_schema(conn) == first
        assert first[2] == [m.version for m in load_migrations("postgres")]
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_postgres_concurrent_starters_migrate_once(postgres_dsn: str) -> None:
    conns = [await asyncpg.connect(postgres_dsn) for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    assert sorted(applied, key=len) == [
        [],
        [],
        [],
        [m.version for m in load_migrations("postgres")],
    ]


@pytest.mark.postgres
async def test_both_dialects_have_the_same_tables_and_columns(
    postgres_dsn: str, tmp_path: Path
) -> None:
    path = tmp_path / "schema.db"
    await (await SqliteStore.open(str(path))).close()
    with sqlite3.connect(path) as lite:
        tables = [
            t
            for (t,) in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not t.startswith("sqlite_")  # SQLite's own (sqlite_sequence for AUTOINCREMENT)
        ]
        sqlite_columns = {
            (table, row[1])
            for table in tables
            for row in lite.execute(f"PRAGMA table_info({table})")
        }
    lite.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn)
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    assert {(r["table_name"], r["column_name"]) for r in rows} == sqlite_columns


@pytest.mark.postgres
async def test_every_postgres_query_prepares(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn)
        for name, query in Q.items():
            statement = await conn.prepare(query.sql)
            assert len(statement.get_parameters()) == len(query.names), name
    finally:
        await conn.close()


def test_both_dialects_name_the_same_queries() -> None:
    """One store runs both dialects, so each names every query the store runs."""
    assert set(load_queries("sqlite")) == set(load_queries("postgres"))


def test_compile_query() -> None:
    query = compile_query(
        "-- a comment with :ignored\n"
        "SELECT * FROM t WHERE (:a::text IS NULL OR a = :a) AND b = :b_2\n"
        "  AND c::bigint > :c AND d = 'x' ORDER BY seq LIMIT :limit;"
    )
    assert query.sql == (
        "SELECT * FROM t WHERE ($1::text IS NULL OR a = $1) AND b = $2\n"
        "  AND c::bigint > $3 AND d = 'x' ORDER BY seq LIMIT $4"
    )
    assert query.names == ("a", "b_2", "c", "limit")
    assert query.args({"limit": 5, "c": 3, "b_2": 2, "a": None, "extra": 0}) == [None, 2, 3, 5]


def test_db_migrate_command_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["db", "migrate", "--database", str(path)])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert _sqlite_schema(path)[1] == [m.version for m in load_migrations("sqlite")]


@pytest.mark.postgres
async def test_db_migrate_command_postgres(postgres_dsn: str) -> None:
    def invoke() -> Any:
        return CliRunner().invoke(cli, ["db", "migrate", "--database", postgres_dsn])

    result = await asyncio.to_thread(invoke)  # the command runs its own event loop
    assert result.exit_code == 0, result.output
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert (await _postgres_schema(conn))[2] == [m.version for m in load_migrations("postgres")]
    finally:
        await conn.close()


def test_a_fragment_is_written_once_and_included_where_named() -> None:
    queries = parse_queries(
        "-- fragment: live\n  AND deleted = 0\n\n"
        "-- name: one\nSELECT * FROM t WHERE a = :a\n  -- include: live\nORDER BY a;\n\n"
        "-- name: two\nSELECT * FROM t WHERE b = :b\n  -- include: live\n"
    )
    assert queries == {
        "one": "SELECT * FROM t WHERE a = :a\nAND deleted = 0\nORDER BY a;",
        "two": "SELECT * FROM t WHERE b = :b\nAND deleted = 0",
    }


def test_a_fragment_must_come_before_the_query_that_includes_it() -> None:
    with pytest.raises(ValueError, match="'live' is included before it is defined"):
        parse_queries("-- name: one\nSELECT 1\n  -- include: live\n-- fragment: live\nAND 1\n")
