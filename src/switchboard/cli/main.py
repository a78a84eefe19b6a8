"""``switchboard``: serve the Twilio-compatible API and drive the simulator from a terminal."""

from __future__ import annotations

import os
import sys

import click
import uvicorn
from rich.console import Console

from switchboard import __version__
from switchboard.app import Ready, create_app
from switchboard.cli.text import text
from switchboard.config import DEFAULT_PORT, Config

console = Console(stderr=False, highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="switchboard")
def cli() -> None:
    """A self-hosted, Twilio-compatible Programmable Messaging server."""


def _announce(ready: Ready) -> None:
    config, account = ready.config, ready.account
    base = config.base_url
    verb = "created" if ready.created else "using"
    console.print(f"[bold]switchboard {__version__}[/] listening on {base}")
    console.print(
        f"  API base URL   {base}   (set client.api.base_url and client.messaging.base_url)"
    )
    console.print(f"  Account SID    {account.sid}   ({verb})")
    console.print(f"  Auth token     {account.auth_token}")
    console.print(f"  Database       {config.database}")
    sys.stdout.flush()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="TCP port.")
@click.option(
    "--database",
    default="switchboard.db",
    show_default=True,
    envvar="SWITCHBOARD_DATABASE",
    help="A SQLite file path (or :memory:).",
)
@click.option(
    "--public-url",
    default=None,
    envvar="SWITCHBOARD_PUBLIC_URL",
    help="The base URL apps use to reach this server (for media URLs in webhooks).",
)
def serve(host: str, port: int, database: str, public_url: str | None) -> None:
    """Run the server (REST API, webhooks, simulated carrier) until interrupted."""
    config = Config(
        host=host,
        port=port,
        database=database,
        public_url=public_url,
        account_sid=os.environ.get("SWITCHBOARD_ACCOUNT_SID") or None,
        auth_token=os.environ.get("SWITCHBOARD_AUTH_TOKEN") or None,
    )
    app = create_app(config, on_ready=_announce)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False)


cli.add_command(text)


def main() -> None:
    cli()
