"""The composition root: builds the store, clock, services and the ASGI application.

This is the only place adapters are chosen (SQLite or PostgreSQL, system or virtual clock,
real HTTP or in-process transports); everything else receives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from switchboard.api.control import CONTROL_ROUTES
from switchboard.api.health import health
from switchboard.api.http import handle_http_exception, handle_twilio_error, handle_unexpected
from switchboard.api.routes import TWILIO_ROUTES
from switchboard.clock import VirtualClock
from switchboard.config import Config
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Account
from switchboard.ports import Clock
from switchboard.services.container import Services
from switchboard.services.runtime import NoOutbox
from switchboard.transport import AiohttpTransport, RoutingTransport
from switchboard.web.routes import DASHBOARD_ROUTES
from switchboard.wiring import build_services, is_postgres, open_store
from switchboard.worker import build_dispatcher


@dataclass(frozen=True, slots=True)
class Ready:
    """What the server announces once it is up."""

    account: Account
    created: bool
    config: Config


async def load_scenarios_file(services: Services, config: Config) -> None:
    if not config.scenarios_file:
        return
    try:
        text = await asyncio.to_thread(Path(config.scenarios_file).read_text, encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as error:
        raise SystemExit(f"cannot read scenarios from {config.scenarios_file}: {error}") from None
    scenarios = document.get("scenarios", []) if isinstance(document, dict) else document
    try:
        await services.scenarios.replace(scenarios)
    except TwilioError as error:
        raise SystemExit(f"{config.scenarios_file}: {error.message}") from None


def create_app(
    config: Config,
    *,
    clock: Clock | None = None,
    on_ready: Callable[[Ready], None] | None = None,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> Starlette:
    """The switchboard ASGI app; storage opens and the main account exists on startup."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await open_store(config)
        services = build_services(store, config, clock)
        runtime = services.runtime
        app.state.services = services
        account, created = await services.accounts.bootstrap_main_account(
            config.account_sid, config.auth_token
        )
        app.state.main_account = account
        await load_scenarios_file(services, config)
        transport = RoutingTransport(AiohttpTransport(), mounts)
        app.state.transport = transport
        dispatcher = build_dispatcher(services, transport)
        app.state.dispatcher = dispatcher
        if config.release_leases_on_start and not is_postgres(config):
            # One node owns a SQLite file: leases left by a previous (crashed) run are void.
            # On PostgreSQL other nodes may be running: their leases expire on their own.
            await store.release_all_leases()
        if config.deliver:
            dispatcher.start()
        else:
            runtime.outbox = NoOutbox()  # worker processes find the jobs in the database
        if on_ready is not None:
            on_ready(Ready(account, created, config))
        try:
            yield
        finally:
            await dispatcher.stop()
            await transport.aclose()
            await store.close()

    return Starlette(
        routes=[
            *DASHBOARD_ROUTES,
            Route("/healthz", health, methods=["GET"]),
            *CONTROL_ROUTES,
            *TWILIO_ROUTES,
        ],
        lifespan=lifespan,
        exception_handlers={
            TwilioError: handle_twilio_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )


CONFIG_ENV = "SWITCHBOARD_WORKER_CONFIG"


def app_from_env() -> Starlette:
    """The app of one ``--workers`` process (uvicorn imports this factory in each worker)."""
    return create_app(Config.from_env(os.environ[CONFIG_ENV]))


async def prepare_database(config: Config) -> Ready:
    """Migrate, create the main account and void stale leases: done once, before forking."""
    store = await open_store(config)
    try:
        services = build_services(store, config)
        account, created = await services.accounts.bootstrap_main_account(
            config.account_sid, config.auth_token
        )
        await load_scenarios_file(services, config)
        if not is_postgres(config):
            await store.release_all_leases()
        return Ready(account, created, config)
    finally:
        await store.close()


__all__ = ["CONFIG_ENV", "Ready", "VirtualClock", "app_from_env", "create_app", "prepare_database"]
