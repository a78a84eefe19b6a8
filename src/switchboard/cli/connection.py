"""How CLI commands reach a running server: base URL, credentials, one client, one error path.

The connection options are accepted on the ``switchboard`` group and after each client command
(``switchboard --url U numbers list`` or ``switchboard numbers list --url U``); both land in one
context object, :class:`Server`, where a value given after the command wins over one given
before it, and either wins over the environment and the defaults.

Credentials come from flags, else ``SWITCHBOARD_ACCOUNT_SID``/``SWITCHBOARD_AUTH_TOKEN``, else the
main account stored in the database that ``switchboard serve`` created (read through the
store), so
``switchboard text`` works in the same folder with no setup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from switchboard.cli.exits import FAILED, Failed
from switchboard.config import Config
from switchboard.simclient import AsyncSimClient, SimClient, SimClientError

if TYPE_CHECKING:
    from switchboard.domain.models import Account

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class ServerConnection:
    url: str
    account_sid: str
    auth_token: str

    def client(self, timeout: float = 30.0) -> SimClient:
        return SimClient(self.url, self.account_sid, self.auth_token, timeout=timeout)

    def async_client(self, limit: int, timeout: float = 30.0) -> AsyncSimClient:
        return AsyncSimClient(
            self.url, self.account_sid, self.auth_token, timeout=timeout, limit=limit
        )


def _stored_credentials(database: str) -> tuple[str, str] | None:
    """The main account's credentials in ``database``; None when it has none (or, for a file,
    does not exist). A database that cannot be read is an error naming it and the cause."""
    from switchboard.compose import is_postgres  # the store only for commands that need it

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
    from switchboard.compose import open_store

    store = await open_store(config)
    try:
        return await store.find_main_account()
    finally:
        await store.close()


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


F = TypeVar("F", bound=Callable[..., Any])


class Server:
    """The context object of every client command: the connection options as merged from the
    group and the command, and (built on first use) the connection and its client."""

    def __init__(self) -> None:
        # (level, option name, value) as parsed: the group's level first, the command's last.
        self._offers: list[tuple[click.Context, str, Any]] = []
        self._connection: ServerConnection | None = None
        self._client: SimClient | None = None

    def offer(self, ctx: click.Context, name: str, value: Any) -> None:
        self._offers.append((ctx, name, value))

    def option(self, name: str) -> Any:
        """The value given last on the command line, else the environment's or the default."""
        chosen, on_line = None, False
        for ctx, offered, value in self._offers:
            if offered != name:
                continue
            # Known only once the level is parsed (click records it after the callback).
            given = ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
            if given or not on_line:
                chosen, on_line = value, given
        return chosen

    @property
    def connection(self) -> ServerConnection:
        if self._connection is None:
            self._connection = resolve_connection(
                self.option("url"), self.option("account_sid"), self.option("auth_token"),
                self.option("database"),
            )  # fmt: skip
        return self._connection

    @property
    def client(self) -> SimClient:
        if self._client is None:
            self._client = self.connection.client()
            click.get_current_context().find_root().call_on_close(self._client.close)
        return self._client

    def api(self, resource: str) -> str:
        return api_path(self.connection, resource)


def _offer(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    assert param.name is not None
    ctx.ensure_object(Server).offer(ctx, param.name, value)


def connection_options(command: F) -> F:
    """Add the connection options to a command or group; their values go to :class:`Server`."""
    shared: dict[str, Any] = {"expose_value": False, "callback": _offer}
    options = [
        click.option("--url", envvar="SWITCHBOARD_URL", default=DEFAULT_URL, show_default=True,
                     help="Base URL of the running server.", **shared),
        click.option("--account-sid", envvar="SWITCHBOARD_ACCOUNT_SID", default=None,
                     help="Account SID (default: the local database's main account).", **shared),
        click.option("--auth-token", envvar="SWITCHBOARD_AUTH_TOKEN", default=None,
                     help="Auth token for --account-sid.", **shared),
        click.option("--database", envvar="SWITCHBOARD_DATABASE", default="switchboard.db",
                     show_default=True, help="Where to find stored credentials.", **shared),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


pass_server = click.make_pass_decorator(Server, ensure=True)


def client_command(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command that talks to the server: the connection options, and the :class:`Server`
    passed as its first argument."""
    return connection_options(pass_server(command))


class ClientGroup(click.Group):
    """The ``switchboard`` group: every command's server errors become one readable CLI error
    here (exit REFUSED, click's default), and a command's :class:`Failed` its exit FAILED."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SimClientError as error:  # refused (Twilio's code and message) or unreachable
            raise click.ClickException(str(error)) from None
        except Failed:  # the command has printed what failed
            raise click.exceptions.Exit(FAILED) from None


def api_path(connection: ServerConnection, resource: str) -> str:
    """The 2010-04-01 path of one of the account's resources, e.g. ``Messages.json``."""
    return f"/2010-04-01/Accounts/{connection.account_sid}/{resource}"
