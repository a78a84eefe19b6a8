"""The connector port: what the SQL store needs from a database driver, and nothing more.

The store (:mod:`switchboard.storage.sql_store`) implements the Store port once, in terms of
named queries (``sql/<dialect>/queries.sql``) run through a connector. A connector knows its
dialect's query file, how to bind parameters, what a row is, and how to make a transaction;
the store knows what to run. Two connectors exist: SQLite (group commit,
:mod:`switchboard.storage.sqlite`) and PostgreSQL (an asyncpg pool,
:mod:`switchboard.storage.postgres`).

Rules every connector keeps, so the store can rely on them:

- A unique or primary-key violation raises :class:`switchboard.ports.StoreConflict`.
- A parameter whose value is a list binds as a list of values (an array in PostgreSQL, a JSON
  array that the query reads with ``json_each`` in SQLite).
- Rows are indexable by column name.
- A unit of work (:meth:`Connector.transaction`) only runs statements: it awaits nothing but
  its :class:`Statements`, so SQLite can run it inside a group commit without yielding.
- A unit of work has no effect outside its statements and its result: it may be run more than
  once (both group commits run a batch's units again when one of them fails), so what it
  hands to others (a claim's jobs) is handed over after the transaction returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Params = Mapping[str, Any]
Row = Any  # sqlite3.Row or asyncpg.Record: both indexable by column name


class Statements(Protocol):
    """Named statements on one connection, inside a transaction or a read snapshot."""

    async def execute(self, name: str, params: Params) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...

    async def execute_many(self, name: str, many: Sequence[Params]) -> None: ...

    async def insert(self, name: str, params: Params) -> int:
        """Run an INSERT; returns the new row's integer key (``seq`` or ``id``)."""
        ...

    async def fetch_one(self, name: str, params: Params) -> Row | None: ...

    async def fetch_all(self, name: str, params: Params) -> list[Row]: ...

    async def script(self, sql: str) -> None:
        """Run several statements without parameters (a migration, a reset)."""
        ...


class Connector(Protocol):
    """A database: single statements, units of work and read snapshots."""

    @property
    def queries(self) -> Mapping[str, str]:
        """The dialect's named queries (a reset runs one as a script)."""
        ...

    async def execute(self, name: str, params: Params) -> int:
        """One statement as its own transaction; returns the number of rows it changed."""
        ...

    async def fetch_one(self, name: str, params: Params) -> Row | None:
        """One row of the last committed state."""
        ...

    async def fetch_all(self, name: str, params: Params) -> list[Row]: ...

    async def transaction(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        """Run ``work`` as one write transaction (unit of work): all of it or, if it raises,
        none of it. Returns once it is durable."""
        ...

    async def snapshot(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        """Run the read-only ``work`` (several statements, e.g. a page after its cursor)."""
        ...

    async def close(self) -> None: ...
