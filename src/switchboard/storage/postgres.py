"""The PostgreSQL connector: the scale-out backend, one database shared by many nodes.

Theory of operation. A single statement runs on a connection borrowed from an asyncpg pool
(through :mod:`switchboard.storage.postgres_connections`, which keeps a few at hand) and is
its own transaction; units of work are committed in groups, several to a transaction,
on up to ``parallel`` connections at once (:mod:`switchboard.storage.postgres_group_commit`);
a read snapshot is a read-only REPEATABLE READ transaction. The queries
(``sql/postgres/queries.sql``) are written with ``:name`` parameters, compiled to ``$n`` once,
at import.

What PostgreSQL adds is concurrency between processes. ``claim_jobs`` leases due jobs with
``FOR UPDATE SKIP LOCKED`` in a single statement: two workers, on one node or on two, never
lease the same row, and a row whose lease has lapsed (its worker died) is due again.
``open`` applies pending migrations under a transaction-scoped advisory lock, so nodes started
together migrate one after another and the later ones find nothing to do.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from switchboard.ports import StoreConflict, StoreUnavailable
from switchboard.storage.connector import Params, Statements
from switchboard.storage.migrations import apply_migrations
from switchboard.storage.postgres_connections import Connections
from switchboard.storage.postgres_group_commit import GroupCommit
from switchboard.storage.queries import load_migrations, load_queries
from switchboard.storage.sql_store import SqlStore

T = TypeVar("T")
Conn = Any  # asyncpg.Connection (or a pool, which runs one statement); asyncpg has no hints
Record = Any  # asyncpg.Record: indexable by column name

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


QUERIES = load_queries("postgres")
Q: Mapping[str, Statement] = {name: compile_query(text) for name, text in QUERIES.items()}


def _rowcount(status: str) -> int:
    """The row count of a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Conflicts:
    """Raises a unique violation as :class:`StoreConflict`, around any statement (an INSERT's
    RETURNING is read as a row). A class, not a generator: it wraps every statement."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        if isinstance(error, asyncpg.UniqueViolationError):
            raise StoreConflict(str(error)) from error


_conflicts = _Conflicts()


class _Statements:
    """Named statements on one asyncpg connection."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def execute(self, name: str, params: Params) -> int:
        query = Q[name]
        with _conflicts:
            return _rowcount(await self._conn.execute(query.sql, *query.args(params)))

    async def execute_many(self, name: str, many: Sequence[Params]) -> None:
        if not many:
            return
        query = Q[name]
        with _conflicts:
            if len(many) == 1:  # the usual case (one attempt, one job): execute costs less CPU
                await self._conn.execute(query.sql, *query.args(many[0]))
            else:
                await self._conn.executemany(query.sql, [query.args(p) for p in many])

    async def insert(self, name: str, params: Params) -> int:
        query = Q[name]  # its RETURNING names the new row's key
        with _conflicts:
            key: int = await self._conn.fetchval(query.sql, *query.args(params))
        return key

    async def fetch_one(self, name: str, params: Params) -> Record | None:
        query = Q[name]
        with _conflicts:
            return await self._conn.fetchrow(query.sql, *query.args(params))

    async def fetch_all(self, name: str, params: Params) -> list[Record]:
        query = Q[name]
        with _conflicts:
            found: list[Record] = await self._conn.fetch(query.sql, *query.args(params))
        return found

    async def script(self, sql: str) -> None:
        await self._conn.execute(sql)  # no arguments: several statements may run


async def migrate(conn: Conn) -> list[int]:
    """Apply pending migrations in one transaction; returns the versions applied now."""
    async with conn.transaction():
        return await apply_migrations(_Statements(conn), load_migrations("postgres"))


async def _keep_session(conn: Conn) -> None:
    """A released connection's reset: nothing to send. asyncpg's default sends a query per
    release (unlisten, unlock, reset settings: a round trip for every single statement), but
    nothing here changes session state: no SET, LISTEN, session advisory lock or open cursor.
    asyncpg still rolls back a transaction left open before it calls this."""


# The server refused a new connection (max_connections or a role's limit reached, starting
# up, not listening): nothing was sent on it, so nothing of the call was written.
_REFUSALS = (
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    ConnectionRefusedError,
)


@contextlib.contextmanager
def _refusal_reported() -> Iterator[None]:
    """Raise a refused connection as :class:`StoreUnavailable` (a 503 for the API, not a 500)."""
    try:
        yield
    except _REFUSALS as error:
        raise StoreUnavailable(f"{type(error).__name__}: {error}") from error


class PostgresConnector:
    """The connector port on an asyncpg pool."""

    queries = QUERIES

    def __init__(self, pool: Any, *, parallel: int = 8, keep: int = 4) -> None:
        self._pool = pool
        # Every borrowing goes through it, so a kept connection serves whoever asks first.
        # keep=4: under bench/scaleout.py's load 77% of the borrowings then skip the pool
        # (8: 90%); no more than that many escape the pool's closing of idle connections.
        self._connections = Connections(pool, keep=keep)
        # The rest of the pool serves single statements and snapshots meanwhile.
        self._units = GroupCommit(self._connections, parallel=parallel)

    @classmethod
    async def open(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 20, parallel: int = 8
    ) -> PostgresConnector:
        """Connect a pool to ``dsn`` and apply pending migrations; up to ``parallel`` of its
        ``max_size`` connections commit units of work at once."""
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            reset=_keep_session,
            server_settings={"application_name": "switchboard"},
        )
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, parallel=min(parallel, max_size))

    async def execute(self, name: str, params: Params) -> int:
        return await self._alone(lambda statements: statements.execute(name, params))

    async def fetch_one(self, name: str, params: Params) -> Record | None:
        return await self._alone(lambda statements: statements.fetch_one(name, params))

    async def fetch_all(self, name: str, params: Params) -> list[Record]:
        return await self._alone(lambda statements: statements.fetch_all(name, params))

    async def _alone(self, statement: Callable[[_Statements], Awaitable[T]]) -> T:
        """Run ``statement`` on a connection of its own, outside any transaction: a single
        statement is its own transaction."""
        with _refusal_reported():
            async with self._connections.acquire() as conn:
                return await statement(_Statements(conn))

    async def transaction(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        with _refusal_reported():
            return await self._units.run(lambda conn: work(_Statements(conn)))

    async def snapshot(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        with _refusal_reported():
            async with self._connection(isolation="repeatable_read", readonly=True) as conn:
                return await work(_Statements(conn))

    @contextlib.asynccontextmanager
    async def _connection(self, **transaction: Any) -> AsyncIterator[Conn]:
        async with self._connections.acquire() as conn, conn.transaction(**transaction):
            yield conn

    async def close(self) -> None:
        await self._units.close()
        await self._connections.close()
        await self._pool.close()


class PostgresStore(SqlStore):
    """The Store port on PostgreSQL. Open with :meth:`open` (it applies pending migrations)."""

    @classmethod
    async def open(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 20, parallel: int = 8
    ) -> PostgresStore:
        connector = await PostgresConnector.open(
            dsn, min_size=min_size, max_size=max_size, parallel=parallel
        )
        return cls(connector)
