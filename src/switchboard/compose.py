"""The composition root: the one place switchboard is assembled and its adapters chosen.

``compose(config)`` is used by every process that runs switchboard (``app.create_app``,
``app.prepare_database``, ``worker.run_worker``, and through the app ``testing.py``). It opens
the store and builds, in dependency order, each part with its collaborators passed to its
constructor; nothing is set on a built object afterwards:

1. the adapters: the store (SQLite or PostgreSQL, from ``config.database``), the clock (a
   controllable one unless given), the SID source and the webhook transport (the network, plus
   apps mounted in-process);
2. the outbox: the :class:`~switchboard.outbox.Dispatcher` when this process delivers
   (``config.deliver``), woken by writers on this machine through a
   :class:`~switchboard.wakeup.WakeListener`; else a :class:`~switchboard.wakeup.WakingOutbox`
   (the jobs wait in the database for the processes that deliver, which it wakes). The other
   way round, the store tells the processes on this machine that serve the API of its writes,
   and a process that serves it (``serves_api``) listens for theirs: the one thing set on a
   built object, the store, because it is opened first;
3. the runtime and the services; ``replay`` (the transport and the store, nothing more) is
   built before them and handed to ``Services.build``;
4. the job handlers, which need the services (the timeline, the accounts' auth tokens).

The one cycle: the dispatcher runs the job handlers, the handlers need the services, and the
services need the outbox (a write hands its jobs to it). It is broken by building the dispatcher
over a handler table, a dict it holds by reference, that is filled with the handlers before
``compose`` returns; the dispatcher runs no job before ``System.start_delivering()``, so it never
sees the table empty. (A lazily resolved table would do too, but would hide the order.)

Leaving the context stops the dispatcher (running jobs finish), then closes the transport and
the store.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

from switchboard.carrier.scenarios import Chaos, scenario_for
from switchboard.clock import ControllableClock
from switchboard.config import Config
from switchboard.domain.callbacks import channel_of
from switchboard.domain.jobs import IncomingDelivery, JobKind
from switchboard.domain.models import Job
from switchboard.domain.sids import SidFactory
from switchboard.leases import StoreOpener
from switchboard.outbox import Dispatcher, Handler
from switchboard.ports import Clock, JobOutcome, Store
from switchboard.services.container import Services
from switchboard.services.runtime import Runtime
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore
from switchboard.transport import AiohttpTransport, RoutingTransport, Transport
from switchboard.wakeup import (
    DELIVER,
    WATCH,
    WakeListener,
    WakeSender,
    WakingOutbox,
    wake_directory,
)
from switchboard.webhooks.delivery import Deliverer
from switchboard.webhooks.events import EventDeliveries
from switchboard.webhooks.incoming import IncomingWebhooks
from switchboard.webhooks.replay import Replay
from switchboard.webhooks.status import StatusCallbacks


def is_postgres(config: Config) -> bool:
    return config.database.startswith(("postgresql://", "postgres://"))


async def open_store(config: Config) -> Store:
    database = config.database
    if is_postgres(config):
        return await PostgresStore.open(database)
    path = database.removeprefix("sqlite:///").removeprefix("sqlite://")
    return await SqliteStore.open(path or ":memory:")


def _lease_store_opener(config: Config) -> StoreOpener | None:
    """On PostgreSQL, leases are renewed over a connection of their own (switchboard.leases):
    renewals through the shared pool were measured waiting seconds behind the jobs' queries.
    SQLite writes go through one group-commit queue whatever the connection, so a second
    store would only contend for the file's write lock."""
    if not is_postgres(config):
        return None
    return lambda: open_store(config)


def _unix_ms() -> int:
    return time.time_ns() // 1_000_000


def sid_factory(config: Config) -> SidFactory:
    # SIDs are identifiers, not secrets: a PRNG seeded from the OS is enough and avoids a
    # getrandom() call per SID (measured: 4% of the inbound hot path). They begin with the wall
    # clock's time (not the simulated clock's, which tests move back and forth) so that the
    # store's indexes on them grow at one end (domain/sids.py). A configured seed makes them
    # reproducible, and wholly random.
    if config.seed is None:
        return SidFactory(random.Random(os.urandom(32)).randbytes, clock_ms=_unix_ms)
    seed = config.seed
    return SidFactory(
        random.Random(seed).randbytes,
        per_prefix=lambda prefix: random.Random(f"{seed}:{prefix}").randbytes,
    )


def job_handlers(
    services: Services, deliverer: Deliverer, transport: Transport
) -> dict[str, Handler]:
    """What runs each kind of job: carrier steps, incoming webhooks, status callbacks, events."""
    runtime, timeline = services.runtime, services.timeline
    store, clock = runtime.store, runtime.clock

    async def auth_token(account_sid: str) -> str | None:
        account = await services.accounts.account(account_sid)  # cached: the hot path
        return None if account is None else account.auth_token

    incoming = IncomingWebhooks(
        store,
        auth_token,
        deliverer,
        runtime.new_sid,
        clock.now,
        timeline.first_job,
        loop_protection=runtime.config.loop_protection,
    )
    status_callbacks = StatusCallbacks(auth_token, deliverer)

    async def run_carrier_step(job: Job) -> JobOutcome:
        return await timeline.advance(job, await store.find_message(job.message_sid or ""))

    async def run_incoming(job: Job) -> JobOutcome:
        delivery = IncomingDelivery.from_payload(job.payload)
        return await incoming.run(delivery, read_cookies=not job.cookies_known_absent)

    async def chaos(account_sid: str, to: str, from_: str | None) -> Chaos:
        scenarios = await services.scenarios.scenarios(account_sid)
        return scenario_for(scenarios, to, from_, channel_of(to).value).chaos

    config = runtime.config
    events = EventDeliveries(
        store,
        auth_token,
        transport,
        clock,
        runtime.new_sid,
        chaos=chaos,
        lease_seconds=config.lease_seconds,
        seed=config.seed if config.seed is not None else 0,
    )
    return {
        JobKind.CARRIER: run_carrier_step,
        JobKind.INCOMING: run_incoming,
        JobKind.STATUS_CALLBACK: status_callbacks.run,
        JobKind.EVENT: events.run,
    }


@dataclass(frozen=True, slots=True)
class System:
    """switchboard assembled: what the entry points hand to the app, the worker, the tests."""

    config: Config
    store: Store
    services: Services
    transport: RoutingTransport  # apps can be mounted on it in-process (the pytest plugin)
    dispatcher: Dispatcher | None  # None: this process does not deliver
    wake_listener: WakeListener | None = None  # with the dispatcher: other writers' wake-ups

    def start_delivering(self) -> None:
        """Start running jobs (after start-up writes, so the first claim sees them)."""
        if self.dispatcher is not None:
            self.dispatcher.start()
        if self.wake_listener is not None:
            self.wake_listener.start()

    async def release_stale_leases(self) -> None:
        """Void the leases left by a previous run, where they can only be a dead run's.

        One node owns a SQLite file, so its leases at start belong to a run that crashed. On
        PostgreSQL other nodes may be running: their leases expire on their own."""
        if not is_postgres(self.config):
            await self.store.release_all_leases()


@contextlib.asynccontextmanager
async def compose(
    config: Config,
    *,
    clock: Clock | None = None,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    serves_api: bool = True,
) -> AsyncIterator[System]:
    """switchboard over ``config``, built in dependency order; torn down on exit.
    ``serves_api``: this process answers HTTP (its assertion API's waits want other processes'
    writes)."""
    store = await open_store(config)
    transport = RoutingTransport(AiohttpTransport(), mounts)
    dispatcher: Dispatcher | None = None
    directory = wake_directory(config)
    listener: WakeListener | None = None  # a delivering process is woken by the others
    sender: WakeSender | None = None  # one that does not deliver wakes them
    watcher: WakeListener | None = None  # one that serves the API hears others' writes
    writes: WakeSender | None = None  # and every process tells those of its own
    try:
        if directory is not None:
            if serves_api:
                watcher = WakeListener(directory, WATCH, store.writes_elsewhere)
                watcher.start()
            writes = WakeSender(directory, WATCH, own=watcher)
            store.announce_writes(writes.wake)
        clock = clock or ControllableClock()
        handlers: dict[str, Handler] = {}  # filled below, before anything can start the dispatcher
        if config.deliver:
            dispatcher = Dispatcher(
                store,
                clock,
                handlers,
                concurrency=config.webhook_concurrency,
                lease_seconds=config.lease_seconds,
                open_lease_store=_lease_store_opener(config),
            )
            if directory is not None:
                listener = WakeListener(directory, DELIVER, dispatcher.wake)
        elif directory is not None:
            sender = WakeSender(directory, DELIVER)
        runtime = Runtime(
            store=store,
            clock=clock,
            new_sid=sid_factory(config),
            config=config,
            outbox=WakingOutbox(sender) if dispatcher is None else dispatcher,
        )
        deliverer = Deliverer(transport, clock, runtime.new_sid, config.max_redirects)
        services = Services.build(runtime, replay=Replay(deliverer, store))
        handlers.update(job_handlers(services, deliverer, transport))
        yield System(config, store, services, transport, dispatcher, listener)
    finally:
        for closing in (listener, sender, watcher, writes):
            if closing is not None:
                closing.close()
        if dispatcher is not None:
            await dispatcher.stop()
        await transport.aclose()
        await store.close()
