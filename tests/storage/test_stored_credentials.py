"""The CLI reads the main account's credentials through the store, and says why it cannot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import pytest

from switchboard.cli.connection import resolve_connection
from switchboard.storage.sqlite import SqliteStore

from .conftest import Records


async def _database_with_main_account(path: Path, make: Records) -> tuple[str, str]:
    store = await SqliteStore.open(str(path))
    try:
        account = make.account()
        await store.insert_account(account)
        await store.insert_account(make.account(owner=account.sid))  # a subaccount
    finally:
        await store.close()
    return account.sid, account.auth_token


def test_the_main_accounts_credentials_come_from_the_store(tmp_path: Path, make: Records) -> None:
    path = tmp_path / "switchboard.db"
    sid, token = asyncio.run(_database_with_main_account(path, make))  # the CLI runs its own loop
    connection = resolve_connection("http://x/", None, None, str(path))
    assert (connection.account_sid, connection.auth_token) == (sid, token)


def test_an_unreadable_database_is_named_with_its_cause(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.db"
    path.write_bytes(b"not a database, just bytes " * 100)
    with pytest.raises(click.ClickException) as caught:
        resolve_connection("http://x/", None, None, str(path))
    assert str(path) in caught.value.message
    assert "file is not a database" in caught.value.message


def test_no_file_means_no_stored_credentials(tmp_path: Path) -> None:
    with pytest.raises(click.UsageError, match="no credentials"):
        resolve_connection("http://x/", None, None, str(tmp_path / "missing.db"))
