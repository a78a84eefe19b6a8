"""The ASGI application and the start-up of a server: the main account, scenarios, leases.

The parts are built by :func:`switchboard.compose.compose`; this module sequences a server's
start over them and serves them over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from switchboard.api.access_log import RequestLog
from switchboard.api.control import CONTROL_ROUTES
from switchboard.api.health import health
from switchboard.api.http import (
    handle_http_exception,
    handle_twilio_error,
    handle_unexpected,
)
from switchboard.api.router import IndexedRouter
from switchboard.api.routes import TWILIO_ROUTES
from switchboard.api.twilio_hosts import twilio_hosts_route
from switchboard.api.unexpected import UnexpectedErrors
from switchboard.clock import VirtualClock
from switchboard.compose import System, compose
from switchboard.config import Config, ConfigError
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Account
from switchboard.domain.numbering import load_geocoder
from switchboard.edge.routing import TwilioHostRouting
from switchboard.heap import settle_server_process
from switchboard.logs import SERVER, configure_from_env
from switchboard.logs import flush as flush_log
from switchboard.ports import Clock
from switchboard.services.scenarios import ScenarioBook
from switchboard.shutdown import ShutdownNotice, give_on_signals
from switchboard.web.routes import DASHBOARD_ROUTES


@dataclass(frozen=True, slots=True)
class Ready:
    """What the server announces once it is up."""

    account: Account
    created: bool
    config: Config


def read_scenarios(config: Config) -> list[dict[str, Any]] | None:
    """The checked scenarios of ``config.scenarios_file`` (None without one).

    Raises ConfigError when the file cannot be read or holds no valid scenarios."""
    if not config.scenarios_file:
        return None
    path = config.scenarios_file
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read scenarios from {path}: {error}") from None
    scenarios = document.get("scenarios", []) if isinstance(document, dict) else document
    if not isinstance(scenarios, list):
        raise ConfigError(f'{path}: expected a list of scenarios or {{"scenarios": [...]}}')
    try:
        return ScenarioBook.validate(scenarios)
    except TwilioError as error:
        raise ConfigError(f"{path}: {error.message}") from None


def check_config(config: Config) -> None:
    """Raise ConfigError for what would stop a server's start (before anything is started)."""
    read_scenarios(config)


async def start_up(system: System) -> Ready:
    """The main account exists and the scenarios file is loaded (ConfigError if it is bad)."""
    config = system.config
    account, created = await system.services.accounts.bootstrap_main_account(
        config.account_sid, config.auth_token
    )
    scenarios = await asyncio.to_thread(read_scenarios, config)
    if scenarios is not None:
        await system.services.scenarios.replace(scenarios)
    return Ready(account, created, config)


def create_app(
    config: Config,
    *,
    clock: Clock | None = None,
    on_ready: Callable[[Ready], None] | None = None,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    server_process: bool = False,
) -> Starlette:
    """The switchboard ASGI app; storage opens and the main account exists on startup.

    ``server_process``: the app owns its process (``serve``, a ``--workers`` process), whose
    garbage collector is tuned once the app is ready (see heap.py); not for an app served in a
    thread of someone else's process.
    """

    shutdown = ShutdownNotice()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        shutdown.bind()
        if server_process:
            give_on_signals(shutdown)
        async with compose(config, clock=clock, mounts=mounts) as system:
            app.state.services = system.services
            app.state.transport = system.transport
            app.state.dispatcher = system.dispatcher
            ready = await start_up(system)
            app.state.main_account = ready.account
            if config.release_leases_on_start:
                await system.release_stale_leases()
            # The geocoder's data (webhooks' FromCity/FromState) takes ~0.25 s of CPU to load:
            # before the first request and job, not in the first webhook that needs it, and not
            # in a thread that would take the GIL from the event loop while the first requests
            # are served (measured: bench/inbound.py lost ~0.2 s of its first second to it).
            load_geocoder()
            if server_process:
                settle_server_process()
            system.start_delivering()
            if on_ready is not None:
                on_ready(ready)
            yield
        # After compose: the deliveries in flight have finished and the store is closed.
        SERVER.info(
            "switchboard stopped", extra={"fields": {"event": "shutdown", "pid": os.getpid()}}
        )
        flush_log()

    routes = [
        *DASHBOARD_ROUTES,
        Route("/healthz", health, methods=["GET"]),
        *CONTROL_ROUTES,
        twilio_hosts_route(config),
        *TWILIO_ROUTES,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        # The log outermost: a request the host routing answers (404) is logged too.
        middleware=[
            Middleware(RequestLog),
            *([Middleware(TwilioHostRouting)] if config.twilio_hosts else []),
            Middleware(UnexpectedErrors),  # innermost: the log sees its 500 (unexpected.py)
        ],
        exception_handlers={
            TwilioError: handle_twilio_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    # The same routes and lifespan, tried only where a request's path could match (router.py).
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.shutdown = shutdown  # what streams wait on to end early (shutdown.py)
    return app


CONFIG_ENV = "SWITCHBOARD_WORKER_CONFIG"


def app_from_env() -> Starlette:
    """The app of one ``--workers`` process (uvicorn imports this factory in each worker)."""
    configure_from_env()
    return create_app(Config.from_env(os.environ[CONFIG_ENV]), server_process=True)


async def prepare_database(config: Config) -> Ready:
    """Migrate, create the main account and void stale leases: done once, before forking."""
    async with compose(replace(config, deliver=False), serves_api=False) as system:
        ready = await start_up(system)
        await system.release_stale_leases()
        return replace(ready, config=config)


__all__ = [
    "CONFIG_ENV",
    "Ready",
    "VirtualClock",
    "app_from_env",
    "check_config",
    "create_app",
    "prepare_database",
]
