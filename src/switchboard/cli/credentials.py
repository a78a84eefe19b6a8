"""The main account's credentials stored in the database ``switchboard serve`` created.

What the user sees when they cannot be read says why, and names the database: there is no file
there, the file cannot be opened, it is not a SQLite database, it is not switchboard's, or it
holds no main account. A SQLite file is looked at read-only first, so pointing ``--database`` at
some other file never adds switchboard's tables to it; the account itself is read through the
store (SQLite or PostgreSQL).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from switchboard.config import Config

if TYPE_CHECKING:
    from switchboard.domain.models import Account

NO_CREDENTIALS = (
    "pass --account-sid/--auth-token, set SWITCHBOARD_ACCOUNT_SID and SWITCHBOARD_AUTH_TOKEN, "
    "or run in the folder of switchboard serve's database (or point --database at it)"
)


def stored_credentials(database: str) -> tuple[str, str]:
    """The main account's (sid, auth token) in ``database``.

    Raises click.UsageError when there is nothing to read (no file, no main account) and
    click.ClickException when the database cannot be read, each naming the database."""
    from switchboard.compose import is_postgres  # the store only for commands that need it

    config = Config(database=database)
    if not is_postgres(config):
        _check_sqlite_file(database)
    try:
        account = asyncio.run(_main_account(config))
    except Exception as error:  # whatever the driver raises, the user needs to see it
        raise click.ClickException(
            f"cannot read the stored credentials in {database}: {error}"
        ) from None
    if account is None:
        raise click.UsageError(
            f"no credentials: the database {database} holds no main account (has switchboard "
            f"serve run on it?); {NO_CREDENTIALS}"
        )
    return account.sid, account.auth_token


def _check_sqlite_file(database: str) -> None:
    """A SQLite ``database`` exists, opens and has switchboard's tables; else say which not."""
    path = Path(database.removeprefix("sqlite:///").removeprefix("sqlite://"))
    if database == ":memory:" or not path.exists():
        raise click.UsageError(f"no credentials: there is no database at {path}; {NO_CREDENTIALS}")
    if not path.is_file():
        raise click.ClickException(
            f"cannot read the stored credentials: the database {path} is not a file"
        )
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot open the database file {path}: {error}") from None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot open the database file {path}: {error}") from None
    finally:
        connection.close()
    if "accounts" not in tables:
        raise click.ClickException(
            f"cannot read the stored credentials: {path} is not a switchboard database"
        )


async def _main_account(config: Config) -> Account | None:
    from switchboard.compose import open_store

    store = await open_store(config)
    try:
        return await store.find_main_account()
    finally:
        await store.close()
