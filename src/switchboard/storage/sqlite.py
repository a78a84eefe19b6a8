"""The SQLite connector: the embedded default, a single file in WAL mode (or ``:memory:``).

Every unit of work joins the next group commit (:mod:`switchboard.storage.sqlite_executor`):
its statements run on the event loop inside the batch's transaction (run again, in a SAVEPOINT,
if another unit of the batch fails) and it returns once the batch's COMMIT is on disk. Reads
see the last committed state on a read-only connection. The statements of a unit of work are
coroutines only in form: each runs its statement at once and returns, so the unit of work is
driven to its end without yielding to the loop (:func:`_run_to_end`), exactly like the plain
functions the executor runs.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from switchboard.ports import StoreConflict
from switchboard.storage.connector import Params, Statements
from switchboard.storage.migrations import apply_migrations
from switchboard.storage.queries import load_migrations, load_queries
from switchboard.storage.rows import dump_json
from switchboard.storage.sql_store import SqlStore
from switchboard.storage.sqlite_executor import GroupCommitExecutor

T = TypeVar("T")
Row = sqlite3.Row

Q = load_queries("sqlite")

# A list parameter is read with json_each(:name); it binds as a JSON array.
_JSON_PARAM_RE = re.compile(r"json_each\(:(\w+)\)")
_JSON_PARAMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: names for name, sql in Q.items() if (names := tuple(set(_JSON_PARAM_RE.findall(sql))))}
)
_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
# Statements of a script (a migration, a reset) or a query end with ";" at the end of a line.
_STATEMENT_END_RE = re.compile(r";[ \t]*(?:\n|$)")


def _statements(sql: str) -> tuple[str, ...]:
    """The statements of ``sql`` in order; a piece of comments alone (the heading of the next
    section, after a query) is none."""
    return tuple(
        statement
        for statement in _STATEMENT_END_RE.split(sql)
        if any(
            line.strip() and not line.lstrip().startswith("--") for line in statement.split("\n")
        )
    )


# A query may be several statements, run in order on the same parameters (SQLite has no
# data-modifying CTE, where PostgreSQL's query is one statement): the last one's rows and counts
# are its result. SQLite ignores parameters a statement does not name.
_QUERY_STATEMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: _statements(sql) for name, sql in Q.items()}
)


def _bind(name: str, params: Params) -> Params:
    lists = _JSON_PARAMS.get(name)
    if lists is None:
        return params
    return {**params, **{key: dump_json(params[key]) for key in lists if params[key] is not None}}


def _conflict(error: sqlite3.IntegrityError) -> Exception:
    if getattr(error, "sqlite_errorname", "") in _UNIQUE:
        return StoreConflict(str(error))
    return error


def _cursor(conn: sqlite3.Connection, name: str, params: Params) -> sqlite3.Cursor:
    statements, bound = _QUERY_STATEMENTS[name], _bind(name, params)
    try:
        for statement in statements[:-1]:
            conn.execute(statement, bound)
        return conn.execute(statements[-1], bound)
    except sqlite3.IntegrityError as error:
        raise _conflict(error) from error


def _run_to_end(unit: Coroutine[Any, Any, T]) -> T:
    """Run a unit of work that awaits only SQLite statements (which never suspend)."""
    try:
        unit.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    unit.close()
    raise RuntimeError("a SQLite unit of work awaited something other than its statements")


class _Statements:
    """Named statements on one SQLite connection (see :class:`connector.Statements`)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, name: str, params: Params) -> int:
        return _cursor(self._conn, name, params).rowcount

    async def execute_many(self, name: str, many: Sequence[Params]) -> None:
        for params in many:
            _cursor(self._conn, name, params)

    async def insert(self, name: str, params: Params) -> int:
        return _cursor(self._conn, name, params).lastrowid or 0

    async def fetch_one(self, name: str, params: Params) -> Row | None:
        row: Row | None = _cursor(self._conn, name, params).fetchone()
        return row

    async def fetch_all(self, name: str, params: Params) -> list[Row]:
        return _cursor(self._conn, name, params).fetchall()

    async def script(self, sql: str) -> None:
        for statement in _statements(sql):
            self._conn.execute(statement)


class SqliteConnector:
    """The connector port on SQLite, over the group-commit executor."""

    queries = Q

    def __init__(self, executor: GroupCommitExecutor) -> None:
        self._db = executor

    @classmethod
    async def open(cls, path: str, *, durable: bool = True) -> SqliteConnector:
        """Open ``path`` and apply pending migrations."""
        connector = cls(GroupCommitExecutor(path, durable=durable))
        try:
            await connector.transaction(lambda tx: apply_migrations(tx, load_migrations("sqlite")))
        except BaseException:
            await connector.close()
            raise
        return connector

    async def execute(self, name: str, params: Params) -> int:
        return await self._db.run(lambda c: _cursor(c, name, params).rowcount)

    async def fetch_one(self, name: str, params: Params) -> Row | None:
        row: Row | None = await self._db.read(lambda c: _cursor(c, name, params).fetchone())
        return row

    async def fetch_all(self, name: str, params: Params) -> list[Row]:
        return await self._db.read(lambda c: _cursor(c, name, params).fetchall())

    async def transaction(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        return await self._db.run(lambda c: _run_to_end(_unit(work, c)))

    async def snapshot(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        return await self._db.read(lambda c: _run_to_end(_unit(work, c)))

    async def close(self) -> None:
        await self._db.close()


async def _unit(work: Callable[[Statements], Awaitable[T]], conn: sqlite3.Connection) -> T:
    return await work(_Statements(conn))


class SqliteStore(SqlStore):
    """The Store port on SQLite. Open with :meth:`open` (it applies pending migrations)."""

    @classmethod
    async def open(cls, path: str, *, durable: bool = True) -> SqliteStore:
        return cls(await SqliteConnector.open(path, durable=durable))
