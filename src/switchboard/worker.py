"""Wiring of the background work: the outbox dispatcher and its job handlers."""

from __future__ import annotations

import asyncio

from switchboard.config import Config
from switchboard.domain.models import Job, WebhookAttempt
from switchboard.leases import StoreOpener
from switchboard.outbox import Dispatcher
from switchboard.ports import JobOutcome
from switchboard.services.container import Services
from switchboard.timeline import CARRIER_JOB, STATUS_CALLBACK_JOB
from switchboard.transport import AiohttpTransport, RoutingTransport, Transport
from switchboard.webhooks.delivery import Deliverer
from switchboard.webhooks.incoming import INCOMING_JOB, IncomingWebhooks
from switchboard.webhooks.replay import replay_attempt
from switchboard.webhooks.status import StatusCallbacks
from switchboard.wiring import build_services, is_postgres, open_store


def build_dispatcher(services: Services, transport: Transport) -> Dispatcher:
    runtime = services.runtime
    store, clock = runtime.store, runtime.clock
    deliverer = Deliverer(transport, clock, runtime.new_sid)
    timeline = services.timeline

    async def auth_token(account_sid: str) -> str | None:
        account = await services.accounts.account(account_sid)
        return None if account is None else account.auth_token

    incoming = IncomingWebhooks(store, auth_token, deliverer, runtime.new_sid, clock.now, timeline)
    status_callbacks = StatusCallbacks(auth_token, deliverer)

    async def run_carrier_step(job: Job) -> JobOutcome:
        return await timeline.advance(job, await store.find_message(job.message_sid or ""))

    async def run_incoming(job: Job) -> JobOutcome:
        return await incoming.run(job.payload)

    dispatcher = Dispatcher(
        store,
        clock,
        {
            CARRIER_JOB: run_carrier_step,
            INCOMING_JOB: run_incoming,
            STATUS_CALLBACK_JOB: status_callbacks.run,
        },
        concurrency=runtime.config.webhook_concurrency,
        lease_seconds=runtime.config.lease_seconds,
        open_lease_store=_lease_store_opener(runtime.config),
    )
    runtime.outbox = dispatcher

    async def replay(attempt: WebhookAttempt) -> list[WebhookAttempt]:
        token = await auth_token(attempt.account_sid)
        attempts = await replay_attempt(deliverer, attempt, token or "")
        await store.insert_attempts(attempts)
        return attempts

    services.replay = replay
    return dispatcher


def _lease_store_opener(config: Config) -> StoreOpener | None:
    """On PostgreSQL, leases are renewed over a connection of their own (switchboard.leases):
    renewals through the shared pool were measured waiting seconds behind the jobs' queries.
    SQLite writes go through one group-commit queue whatever the connection, so a second
    store would only contend for the file's write lock."""
    if not is_postgres(config):
        return None
    return lambda: open_store(config)


async def run_worker(config: Config, stop: asyncio.Event) -> None:
    """A process that only delivers: it serves no HTTP and runs the outbox until ``stop``.

    It shares the database with ``switchboard serve`` nodes and claims jobs like they do, so
    adding workers adds delivery capacity without adding API endpoints.
    """
    store = await open_store(config)
    services = build_services(store, config)
    transport = RoutingTransport(AiohttpTransport())
    dispatcher = build_dispatcher(services, transport)
    dispatcher.start()
    try:
        await stop.wait()
    finally:
        await dispatcher.stop()
        await transport.aclose()
        await store.close()
