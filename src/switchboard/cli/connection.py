"""How CLI commands reach a running server: base URL, credentials, one client, one error path.

The connection options are accepted on the ``switchboard`` group and after each client command
(``switchboard --url U numbers list`` or ``switchboard numbers list --url U``); both land in one
context object, :class:`Server`, where a value given after the command wins over one given
before it, and either wins over the environment and the defaults.

Credentials come from flags, else ``SWITCHBOARD_ACCOUNT_SID``/``SWITCHBOARD_AUTH_TOKEN``, else the
main account stored in the database that ``switchboard serve`` created (``cli/credentials.py``),
so ``switchboard text`` works in the same folder with no setup. A server that rejects them is
answered with where they came from; an unreachable server with how to start one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from switchboard.cli.credentials import stored_credentials
from switchboard.cli.exits import FAILED, Failed
from switchboard.simclient import (
    AsyncSimClient,
    ServerUnreachable,
    SimClient,
    SimClientError,
    SimError,
)

DEFAULT_URL = "http://127.0.0.1:8080"
CREDENTIAL_VARIABLES = {
    "account_sid": "SWITCHBOARD_ACCOUNT_SID",
    "auth_token": "SWITCHBOARD_AUTH_TOKEN",
}


@dataclass(frozen=True, slots=True)
class ServerConnection:
    url: str
    account_sid: str
    auth_token: str
    origin: str = ""  # where the credentials came from, for the error that rejects them

    def client(self, timeout: float = 30.0) -> SimClient:
        return SimClient(self.url, self.account_sid, self.auth_token, timeout=timeout)

    def async_client(self, limit: int, timeout: float = 30.0) -> AsyncSimClient:
        return AsyncSimClient(
            self.url, self.account_sid, self.auth_token, timeout=timeout, limit=limit
        )


def resolve_connection(
    url: str,
    account_sid: str | None,
    auth_token: str | None,
    database: str,
    given_by: Mapping[str, str] | None = None,
) -> ServerConnection:
    """The connection, its credentials from the options given (``given_by`` names where each
    came from: ``--auth-token`` or ``SWITCHBOARD_AUTH_TOKEN``), else from ``database``."""
    given_by = given_by or {}
    stored_by = f"the main account stored in {database}"
    if not (account_sid and auth_token):
        sid, token = stored_credentials(database)
        account_sid, auth_token = account_sid or sid, auth_token or token
        given_by = {"account_sid": stored_by, "auth_token": stored_by, **given_by}
    return ServerConnection(
        url.rstrip("/"), account_sid, auth_token, _origin(given_by.get("account_sid", ""),
                                                         given_by.get("auth_token", ""))
    )  # fmt: skip


def _origin(sid_from: str, token_from: str) -> str:
    """Where the credentials came from, as the user would look for them."""
    if sid_from == token_from:
        return sid_from
    if sid_from.startswith("the ") or token_from.startswith("the "):  # one of them stored
        return f"the account SID from {sid_from}, the auth token from {token_from}"
    return f"{sid_from} and {token_from}"


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
        return self._chosen(name)[0]

    def given(self, name: str) -> bool:
        """Whether ``name`` was given on the command line (before or after the command)."""
        return self._chosen(name)[1] is ParameterSource.COMMANDLINE

    def _chosen(self, name: str) -> tuple[Any, ParameterSource | None]:
        chosen: tuple[Any, ParameterSource | None] = (None, None)
        for ctx, offered, value in self._offers:
            if offered != name:
                continue
            # Known only once the level is parsed (click records it after the callback).
            source = ctx.get_parameter_source(name)
            if (
                source is ParameterSource.COMMANDLINE
                or chosen[1] is not ParameterSource.COMMANDLINE
            ):
                chosen = (value, source)
        return chosen

    def _given_by(self) -> dict[str, str]:
        """For each credential option that has a value: the flag or variable that gave it."""
        named = {}
        for name, variable in CREDENTIAL_VARIABLES.items():
            value, source = self._chosen(name)
            if value and source is ParameterSource.ENVIRONMENT:
                named[name] = variable
            elif value:
                named[name] = f"--{name.replace('_', '-')}"
        return named

    @property
    def connection(self) -> ServerConnection:
        if self._connection is None:
            self._connection = resolve_connection(
                self.option("url"), self.option("account_sid"), self.option("auth_token"),
                self.option("database"), self._given_by(),
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
        click.option("--account-sid", envvar=CREDENTIAL_VARIABLES["account_sid"], default=None,
                     help="Account SID (default: the local database's main account).", **shared),
        click.option("--auth-token", envvar=CREDENTIAL_VARIABLES["auth_token"], default=None,
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
            raise click.ClickException(_explained(error, ctx.find_object(Server))) from None
        except Failed:  # the command has printed what failed
            raise click.exceptions.Exit(FAILED) from None


def own_database(ctx: click.Context, database: str) -> str:
    """The ``--database`` of a command that opens the database itself (serve, worker, db migrate):
    given after the command, else before it (``switchboard --database X serve``), else the
    environment's or the default. The other connection options are the client commands' only:
    before such a command they are a usage error saying where they go."""
    server = ctx.find_object(Server)
    if server is None:
        return database
    command = ctx.command_path.removeprefix(f"{ctx.find_root().info_name} ")
    for name, instead in CLIENT_ONLY.items():
        if server.given(name):
            option = f"--{name.replace('_', '-')}"
            raise click.UsageError(f"{option} is for the client commands, not {command}: {instead}")
    if ctx.get_parameter_source("database") is ParameterSource.COMMANDLINE:
        return database
    return str(server.option("database")) if server.given("database") else database


# What a server-side command takes instead of a client command's connection option.
CLIENT_ONLY = {
    "url": "serve listens where its --host and --port say",
    "account_sid": "the main account's SID comes from SWITCHBOARD_ACCOUNT_SID",
    "auth_token": "the main account's token comes from SWITCHBOARD_AUTH_TOKEN",
}


def _explained(error: SimClientError, server: Server | None) -> str:
    """The server's error, and what to do about the two a newcomer meets first."""
    if isinstance(error, ServerUnreachable):
        return f"{error}: is it running? Start it with `switchboard serve` (or pass --url)"
    connection = server._connection if server is not None else None
    if isinstance(error, SimError) and error.status == 401 and connection and connection.origin:
        return f"{error}; the credentials came from {connection.origin}"
    return str(error)


def api_path(connection: ServerConnection, resource: str) -> str:
    """The 2010-04-01 path of one of the account's resources, e.g. ``Messages.json``."""
    return f"/2010-04-01/Accounts/{connection.account_sid}/{resource}"
