"""``switchboard``: serve the Twilio-compatible API and drive the simulator from a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
from rich.console import Console

from switchboard import __version__
from switchboard.cli.connection import ClientGroup, connection_options, own_database
from switchboard.cli.content import content
from switchboard.cli.env import ca, env
from switchboard.cli.events import events
from switchboard.cli.exits import CONFIG
from switchboard.cli.listen import CannotListen, banner, open_listener
from switchboard.cli.load import load
from switchboard.cli.messages import messages
from switchboard.cli.numbers import numbers
from switchboard.cli.reset import reset
from switchboard.cli.short_codes import short_codes
from switchboard.cli.text import text
from switchboard.cli.webhooks import webhooks
from switchboard.config import (
    CONTENT_APPROVAL,
    DEFAULTS,
    SERVER_IDLE_SECONDS,
    Config,
    ConfigError,
)
from switchboard.logs import FORMATS, Format
from switchboard.logs import configure as configure_logging

if TYPE_CHECKING:
    from switchboard.app import Ready

# The server stack (switchboard.app, uvicorn) is imported by the commands that run it, so the
# client commands start in a fraction of the time.

console = Console(stderr=False, highlight=False)
DATABASE_HELP = "A SQLite file path (or :memory:), or a postgresql://user@host/dbname URL."


def _shown(database: str) -> str:
    """The database as printed: a URL's password is replaced by ***."""
    parts = urlsplit(database)
    if parts.password is None:
        return database
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


@click.group(cls=ClientGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="switchboard")
@connection_options  # for the client commands, which also take them after their name
def cli() -> None:
    """A self-hosted, Twilio-compatible Programmable Messaging server."""


@contextlib.contextmanager
def _config_errors() -> Iterator[None]:
    """A configuration that cannot work stops the command: one line on stderr, exit CONFIG
    (docs/configuration.md)."""
    try:
        yield
    except ConfigError as error:
        click.echo(f"switchboard: {error}", err=True)
        sys.exit(CONFIG)


def _announce(ready: Ready) -> None:
    first, *rest = banner(ready, _shown(ready.config.database))
    console.print(first, style="bold", markup=False)
    for line in rest:
        console.print(line, markup=False, soft_wrap=True)
    sys.stdout.flush()


# Where replies are made: `serve` (which delivers unless --no-deliver) and `worker`.
loop_protection_option = click.option(
    "--loop-protection/--no-loop-protection",
    default=DEFAULTS.loop_protection,
    show_default=True,
    envvar="SWITCHBOARD_LOOP_PROTECTION",
    help="Fail the 31st quick TwiML reply between two numbers with 14107, as Twilio does.",
)


@cli.command()
@click.option("--host", default=DEFAULTS.host, show_default=True, help="Interface to bind.")
@click.option("--port", default=DEFAULTS.port, show_default=True, type=int, help="TCP port.")
@click.option(
    "--database",
    default=DEFAULTS.database,
    show_default=True,
    envvar="SWITCHBOARD_DATABASE",
    help=DATABASE_HELP,
)
@click.option(
    "--public-url",
    default=None,
    envvar="SWITCHBOARD_PUBLIC_URL",
    help="The base URL apps use to reach this server (for media URLs in webhooks).",
)
@click.option(
    "--workers",
    default=DEFAULTS.workers,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the database (use the machine's cores).",
)
@click.option(
    "--scenarios",
    "scenarios_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A JSON file of carrier scenarios (see docs/carrier.md).",
)
@click.option("--seed", type=int, default=None, help="Make SIDs and carrier randomness repeatable.")
@click.option("--throughput", is_flag=True, help="Queue messages per sender at Twilio's rates.")
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=1.0),
    default=DEFAULTS.lease_seconds,
    show_default=True,
    help="How long a claimed job stays reserved without a heartbeat: how soon the jobs of a "
    "node that died run on another node.",
)
@click.option(
    "--deliver/--no-deliver",
    default=DEFAULTS.deliver,
    show_default=True,
    help="Run webhooks, callbacks and the carrier here; --no-deliver leaves them to "
    "`switchboard worker` processes on the same database.",
)
@click.option(
    "--content-approval",
    type=click.Choice(sorted(CONTENT_APPROVAL)),
    default=DEFAULTS.content_approval,
    show_default=True,
    envvar="SWITCHBOARD_CONTENT_APPROVAL",
    help="WhatsApp template review: auto decides a new approval request at once; manual leaves "
    "it 'received' until POST /_sim/content/{ContentSid}/approval (or `switchboard content "
    "approve`) decides.",
)
@loop_protection_option
@click.option(
    "--twilio-hosts",
    is_flag=True,
    help="Also answer as api.twilio.com, messaging.twilio.com, ... through a Twilio-only HTTPS "
    "proxy with a local CA, so SDKs run unchanged (docs/sdks.md; `switchboard env`).",
)
@click.option(
    "--proxy-port",
    type=int,
    default=DEFAULTS.proxy_port,
    show_default=True,
    help="With --twilio-hosts: the proxy's TCP port (clients' HTTPS_PROXY).",
)
@click.option(
    "--tls-port",
    type=int,
    default=None,
    help="With --twilio-hosts: also serve TLS as the Twilio hosts on this port, for "
    "a hosts-file or DNS override (off unless given).",
)
@click.option(
    "--ca-dir",
    default=None,
    envvar="SWITCHBOARD_CA_DIR",
    help="The local CA's folder (default: switchboard-ca/ beside the SQLite file).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No line per API request and webhook attempt (the shutdown line stays).",
)
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              envvar="SWITCHBOARD_LOG_FORMAT",
              help="text: one readable line per event, coloured on a terminal; json: one JSON "
              "object per line.")  # fmt: skip
def serve(
    host: str,
    port: int,
    database: str,
    public_url: str | None,
    workers: int,
    scenarios_file: str | None,
    seed: int | None,
    throughput: bool,
    lease_seconds: float,
    deliver: bool,
    content_approval: str,
    loop_protection: bool,
    twilio_hosts: bool,
    proxy_port: int,
    tls_port: int | None,
    ca_dir: str | None,
    quiet: bool,
    log_format: Format,
) -> None:
    """Run the server (REST API, webhooks, simulated carrier) until interrupted.

    Logs one line per API request and webhook attempt on stderr (--quiet: none), and one when
    it stops.
    """
    import uvicorn

    from switchboard.app import CONFIG_ENV, check_config, create_app, prepare_database

    database = own_database(click.get_current_context(), database)
    with _config_errors():
        config = Config(
            host=host,
            port=port,
            database=database,
            public_url=public_url,
            account_sid=os.environ.get("SWITCHBOARD_ACCOUNT_SID") or None,
            auth_token=os.environ.get("SWITCHBOARD_AUTH_TOKEN") or None,
            workers=workers,
            scenarios_file=scenarios_file,
            seed=seed,
            throughput=throughput,
            lease_seconds=lease_seconds,
            deliver=deliver,
            content_approval=content_approval,
            loop_protection=loop_protection,
            twilio_hosts=twilio_hosts,
            proxy_port=proxy_port,
            tls_port=tls_port,
        )
        # Checked here, not in the server's start-up, where uvicorn would print a traceback.
        check_config(config)
    if workers > 1 and database == ":memory:":
        raise click.UsageError("--workers needs a database file the processes can share")
    _check_twilio_hosts(click.get_current_context(), twilio_hosts, workers)
    # The port first: nothing is created or announced for a server that cannot listen.
    try:
        listener = open_listener(host, port)
    except CannotListen as error:
        click.echo(str(error), err=True)
        sys.exit(1)  # docs/configuration.md: the port cannot be bound
    configure_logging(log_format, quiet=quiet)
    with listener:
        config = replace(config, port=listener.getsockname()[1])  # --port 0: the one given
        options: dict[str, Any] = {
            "fd": listener.fileno(), "log_level": "warning", "lifespan": "on", "access_log": False,
            "timeout_keep_alive": SERVER_IDLE_SECONDS,
        }  # fmt: skip
        if twilio_hosts:
            _serve_twilio_hosts(config, ca_dir, options)
            return
        if workers == 1:
            uvicorn.run(create_app(config, on_ready=_announce, server_process=True), **options)
            return
        with _config_errors():
            _announce(asyncio.run(prepare_database(config)))
        os.environ[CONFIG_ENV] = replace(config, release_leases_on_start=False).to_env()
        uvicorn.run("switchboard.app:app_from_env", factory=True, workers=workers, **options)


def _check_twilio_hosts(ctx: click.Context, twilio_hosts: bool, workers: int) -> None:
    if twilio_hosts and workers > 1:
        raise click.UsageError("--twilio-hosts runs in one server process (not with --workers)")
    if not twilio_hosts:
        for name in ("proxy_port", "tls_port", "ca_dir"):
            if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE:
                option = f"--{name.replace('_', '-')}"
                raise click.UsageError(f"{option} goes with --twilio-hosts")


def _serve_twilio_hosts(config: Config, ca_dir: str | None, options: dict[str, Any]) -> None:
    """One server process with the Twilio-only proxy (and the TLS listener) beside its port."""
    import uvicorn

    from switchboard.app import create_app
    from switchboard.edge.server import TwilioHostsServer
    from switchboard.edge.tls import LeafContexts
    from switchboard.localca import CAError, ca_directory, load_or_create, write_trust_files

    try:
        proxy = open_listener(config.host, config.proxy_port)
        tls = open_listener(config.host, config.tls_port) if config.tls_port is not None else None
    except CannotListen as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    try:
        ca = load_or_create(ca_directory(config.database, ca_dir))
        write_trust_files(ca)
    except CAError as error:
        click.echo(f"switchboard: {error}", err=True)
        sys.exit(CONFIG)
    config = replace(
        config,
        proxy_port=proxy.getsockname()[1],
        tls_port=tls.getsockname()[1] if tls is not None else None,
        ca_dir=str(ca.directory),
    )
    app = create_app(config, on_ready=_announce, server_process=True)
    server = TwilioHostsServer(
        uvicorn.Config(app, **options),
        app=app,
        contexts=LeafContexts(ca),
        proxy=proxy,
        tls=tls,
    )
    with proxy, tls or contextlib.nullcontext(), contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(CONFIG)  # as `uvicorn.run` exits when the start fails (its STARTUP_FAILURE)


@cli.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@click.option(
    "--database",
    default=DEFAULTS.database,
    show_default=True,
    envvar="SWITCHBOARD_DATABASE",
    help=DATABASE_HELP,
)
def migrate(database: str) -> None:
    """Apply pending schema migrations and exit (a server also does this when it starts)."""
    from switchboard.compose import open_store

    database = own_database(click.get_current_context(), database)

    async def run() -> None:
        store = await open_store(Config(database=database))
        await store.close()

    asyncio.run(run())
    console.print(f"Database {_shown(database)} is up to date.")


@cli.command()
@click.option(
    "--database",
    default=DEFAULTS.database,
    show_default=True,
    envvar="SWITCHBOARD_DATABASE",
    help=DATABASE_HELP,
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=1.0),
    default=DEFAULTS.lease_seconds,
    show_default=True,
    help="As for serve.",
)
@click.option("--concurrency", type=click.IntRange(1, 4096), default=DEFAULTS.webhook_concurrency,
              show_default=True, help="Deliveries in flight at once.")  # fmt: skip
@loop_protection_option
def worker(database: str, lease_seconds: float, concurrency: int, loop_protection: bool) -> None:
    """Deliver webhooks, callbacks and carrier steps for the servers on DATABASE (no HTTP)."""
    from switchboard.worker import run_worker

    database = own_database(click.get_current_context(), database)
    with _config_errors():
        config = Config(
            database=database,
            lease_seconds=lease_seconds,
            webhook_concurrency=concurrency,
            loop_protection=loop_protection,
        )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        console.print(f"switchboard worker delivering for {_shown(database)}")
        sys.stdout.flush()
        await run_worker(config, stop, server_process=True)

    with _config_errors():
        _run_on_serves_loop(main())


def _run_on_serves_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed, as uvicorn runs ``serve`` (uvicorn[standard]
    brings it, but not on Windows); on asyncio's own loop elsewhere. The worker spends half its
    time in aiohttp and the loop: on uvloop it used 5-7% less CPU a webhook
    (docs/performance.md)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


cli.add_command(text)
cli.add_command(numbers)
cli.add_command(short_codes)
cli.add_command(messages)
cli.add_command(webhooks)
cli.add_command(events)
cli.add_command(reset)
cli.add_command(load)
cli.add_command(env)
cli.add_command(ca)
cli.add_command(content)


def main() -> None:
    cli()
