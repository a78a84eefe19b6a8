"""Named SQL queries loaded from ``sql/<dialect>/queries.sql`` and versioned migrations.

Keeping SQL in .sql files lets each dialect say things its own way while the Python adapter
code stays the same shape; a block starts with ``-- name: <name>``.

A block starting with ``-- fragment: <name>`` is not a query but a piece that several queries
share (a filter written once): a line ``-- include: <name>`` in a query is replaced by it.
Fragments are defined before the queries that include them and are not in the result.

A query is one statement, except where a dialect needs several for what another says in one
(SQLite has no data-modifying CTE): each then ends with ``;`` at the end of a line, and the
connector runs them in order on the same parameters, the last one's rows being the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

_BLOCK_RE = re.compile(r"^-- (name|fragment): (\w+)\s*$", re.MULTILINE)
_INCLUDE_RE = re.compile(r"^[ \t]*-- include: (\w+)[ \t]*$", re.MULTILINE)
_MIGRATION_RE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_queries(dialect: str) -> MappingProxyType[str, str]:
    text = resources.files("switchboard.storage").joinpath("sql", dialect, "queries.sql")
    return MappingProxyType(parse_queries(text.read_text(encoding="utf-8")))


def parse_queries(text: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    fragments: dict[str, str] = {}
    matches = list(_BLOCK_RE.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        kind, name = match.group(1), match.group(2)
        if name in queries or name in fragments:
            raise ValueError(f"query {name!r} is defined twice")
        body = _INCLUDE_RE.sub(
            lambda m: _fragment(fragments, m.group(1)), text[match.end() : end].strip()
        )
        (queries if kind == "name" else fragments)[name] = body
    return queries


def _fragment(fragments: dict[str, str], name: str) -> str:
    if name not in fragments:
        raise ValueError(f"fragment {name!r} is included before it is defined")
    return fragments[name]


def load_migrations(dialect: str) -> list[Migration]:
    folder = resources.files("switchboard.storage").joinpath("sql", dialect, "migrations")
    migrations = []
    for entry in folder.iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            migrations.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
            )
    migrations.sort(key=lambda m: m.version)
    expected = list(range(1, len(migrations) + 1))
    if [m.version for m in migrations] != expected:
        raise ValueError(f"{dialect} migrations must be numbered 1..n without gaps")
    return migrations
