"""How CLI commands reach a running server: base URL and credentials.

Credentials come from flags, else ``SWITCHBOARD_ACCOUNT_SID``/``SWITCHBOARD_AUTH_TOKEN``, else the
main account stored in the database that ``switchboard serve`` created (read through the
store), so
``switchboard text`` works in the same folder with no setup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import httpx

from switchboard.config import Config

if TYPE_CHECKING:
    from switchboard.domain.models import Account

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class ServerConnection:
    url: str
    account_sid: str
    auth_token: str

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, auth=(self.account_sid, self.auth_token), timeout=timeout
        )


def _stored_credentials(database: str) -> tuple[str, str] | None:
    """The main account's credentials in ``database``; None when it has none (or, for a file,
    does not exist). A database that cannot be read is an error naming it and the cause."""
    from switchboard.wiring import is_postgres  # the store only for commands that need it

    config = Config(database=database)
    if not is_postgres(config) and not Path(database).is_file():
        return None
    try:
        account = asyncio.run(_main_account(config))
    except Exception as error:  # whatever the driver raises, the user needs to see it
        raise click.ClickException(
            f"cannot read the stored credentials in {database}: {error}"
        ) from None
    return None if account is None else (account.sid, account.auth_token)


async def _main_account(config: Config) -> Account | None:
    from switchboard.wiring import open_store

    store = await open_store(config)
    try:
        return await store.find_main_account()
    finally:
        await store.close()


def connection_options(command: Any) -> Any:
    """The options every client command shares."""
    options = [
        click.option("--url", envvar="SWITCHBOARD_URL", default=DEFAULT_URL, show_default=True,
                     help="Base URL of the running server."),
        click.option("--account-sid", envvar="SWITCHBOARD_ACCOUNT_SID", default=None,
                     help="Account SID (default: the local database's main account)."),
        click.option("--auth-token", envvar="SWITCHBOARD_AUTH_TOKEN", default=None,
                     help="Auth token for --account-sid."),
        click.option("--database", envvar="SWITCHBOARD_DATABASE", default="switchboard.db",
                     show_default=True, help="Where to find stored credentials."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def resolve_connection(
    url: str, account_sid: str | None, auth_token: str | None, database: str
) -> ServerConnection:
    if account_sid and auth_token:
        return ServerConnection(url.rstrip("/"), account_sid, auth_token)
    stored = _stored_credentials(database)
    if stored is None:
        raise click.UsageError(
            "no credentials: pass --account-sid/--auth-token, set SWITCHBOARD_ACCOUNT_SID and "
            "SWITCHBOARD_AUTH_TOKEN, or run in the folder of switchboard serve's database"
        )
    sid, token = stored
    return ServerConnection(url.rstrip("/"), account_sid or sid, auth_token or token)


def fail_on_error(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful response; a readable CLI error otherwise."""
    try:
        body: dict[str, Any] = response.json() if response.content else {}
    except ValueError:
        body = {}
    if response.status_code >= 400:
        code = body.get("code", response.status_code)
        message = body.get("message", response.text[:200])
        raise click.ClickException(f"{message} (error {code}, HTTP {response.status_code})")
    return body


def call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One request to the server: its JSON body, or a readable CLI error (also when the server
    cannot be reached)."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TransportError as error:
        raise click.ClickException(
            f"cannot reach switchboard at {http.base_url} ({type(error).__name__})"
        ) from None
    return fail_on_error(response)


def api_path(connection: ServerConnection, resource: str) -> str:
    """The 2010-04-01 path of one of the account's resources, e.g. ``Messages.json``."""
    return f"/2010-04-01/Accounts/{connection.account_sid}/{resource}"
