"""Applying the schema migrations: one runner for both dialects, inside one unit of work.

Both dialects number their migrations alike (``0004_cookie_jars`` is 4 in each), and
``schema_migrations`` records each applied migration's name with its version. Databases made
before names were recorded numbered PostgreSQL's migrations differently (cookie jars were its
3, SQLite's 4): the dialect's ``name_legacy_migrations`` query names their rows by the old
numbering, and the runner then decides by name, not number, what is applied, and renumbers
the records to today's numbers.
"""

from __future__ import annotations

from switchboard.storage.connector import Statements
from switchboard.storage.queries import Migration

# Any constant every switchboard process agrees on ("switchboard" in ASCII, truncated).
MIGRATION_LOCK_KEY = 0x7377_6974_6368_626F


async def apply_migrations(tx: Statements, migrations: list[Migration]) -> list[int]:
    """Apply the pending ``migrations`` within ``tx``; returns the versions applied now."""
    await tx.fetch_one("migration_lock", {"key": MIGRATION_LOCK_KEY})
    await tx.execute("create_schema_migrations", {})
    columns = {row["name"] for row in await tx.fetch_all("schema_migrations_columns", {})}
    if "name" not in columns:
        await tx.execute("add_migration_names", {})
    await tx.execute("name_legacy_migrations", {})
    recorded = {row["name"]: row["version"] for row in await tx.fetch_all("applied_migrations", {})}
    current = {m.name: m.version for m in migrations}
    if any(current.get(name, version) != version for name, version in recorded.items()):
        await tx.execute("forget_migrations", {})  # renumbered below, by name
        await tx.execute_many(
            "record_migration",
            [{"version": current.get(n, v), "name": n} for n, v in recorded.items()],
        )
    applied_now: list[int] = []
    for migration in migrations:
        if migration.name in recorded:
            continue
        await tx.script(migration.sql)
        await tx.execute("record_migration", {"version": migration.version, "name": migration.name})
        applied_now.append(migration.version)
    return applied_now
