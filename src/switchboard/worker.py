"""Wiring of the background work: the outbox dispatcher and its job handlers."""

from __future__ import annotations

import asyncio

from switchboard.config import Config
from switchboard.domain.jobs import IncomingDelivery, JobKind
from switchboard.domain.models import Job, WebhookAttempt
from switchboard.outbox import Dispatcher
from switchboard.ports import JobOutcome
from switchboard.services.container import Services
from switchboard.transport import AiohttpTransport, RoutingTransport, Transport
from switchboard.webhooks.delivery import Deliverer
from switchboard.webhooks.incoming import IncomingWebhooks
from switchboard.webhooks.replay import replay_attempt
from switchboard.webhooks.status import StatusCallbacks
from switchboard.wiring import build_services, open_store


def build_dispatcher(services: Services, transport: Transport) -> Dispatcher:
    runtime = services.runtime
    store, clock = runtime.store, runtime.clock
    deliverer = Deliverer(transport, clock, runtime.new_sid)
    timeline = services.timeline

    async def auth_token(account_sid: str) -> str | None:
        account = await services.accounts.account(account_sid)
        return None if account is None else account.auth_token

    incoming = IncomingWebhooks(
        store, auth_token, deliverer, runtime.new_sid, clock.now, timeline.first_job
    )
    status_callbacks = StatusCallbacks(auth_token, deliverer)

    async def run_carrier_step(job: Job) -> JobOutcome:
        return await timeline.advance(job, await store.find_message(job.message_sid or ""))

    async def run_incoming(job: Job) -> JobOutcome:
        return await incoming.run(IncomingDelivery.from_payload(job.payload))

    dispatcher = Dispatcher(
        store,
        clock,
        {
            JobKind.CARRIER: run_carrier_step,
            JobKind.INCOMING: run_incoming,
            JobKind.STATUS_CALLBACK: status_callbacks.run,
        },
        concurrency=runtime.config.webhook_concurrency,
        lease_seconds=runtime.config.lease_seconds,
    )
    runtime.outbox = dispatcher

    async def replay(attempt: WebhookAttempt) -> list[WebhookAttempt]:
        token = await auth_token(attempt.account_sid)
        attempts = await replay_attempt(deliverer, attempt, token or "")
        await store.insert_attempts(attempts)
        return attempts

    services.replay = replay
    return dispatcher


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
