"""All application services, built once over one Runtime.

Each service gets its collaborators in its constructor: ``build`` takes what comes from outside
the services (the runtime, and ``replay``, which needs the network) and builds the rest in
dependency order. The composition root (``switchboard.compose``) is its only production caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.services.accounts import AccountService
from switchboard.services.content import ContentService
from switchboard.services.events import EventStreamService
from switchboard.services.inbound import InboundService
from switchboard.services.messages import MessageService
from switchboard.services.messaging_services import MessagingServiceService
from switchboard.services.numbers import NumberService
from switchboard.services.runtime import Runtime
from switchboard.services.scenarios import ScenarioBook
from switchboard.services.senders import HeldSenderService, PoolSenderService
from switchboard.services.simulator import Replayer, SimulatorService
from switchboard.timeline import Timeline


@dataclass
class Services:
    runtime: Runtime
    accounts: AccountService
    numbers: NumberService
    messaging_services: MessagingServiceService
    pool_senders: PoolSenderService
    held_senders: HeldSenderService
    messages: MessageService
    contents: ContentService
    inbound: InboundService
    scenarios: ScenarioBook
    timeline: Timeline
    simulator: SimulatorService
    replay: Replayer  # sends a recorded webhook attempt again (over the network)
    events: EventStreamService  # Event Streams: Sinks and Subscriptions

    @classmethod
    def build(cls, runtime: Runtime, *, replay: Replayer) -> Services:
        config = runtime.config
        book = ScenarioBook(runtime.store, cache_seconds=config.scenario_cache_seconds)
        accounts = AccountService(runtime)
        contents = ContentService(runtime)
        timeline = Timeline(
            runtime.store,
            book.scenarios,
            config.carrier,
            runtime.clock.now,
            seed=config.seed if config.seed is not None else 0,
            throughput=config.throughput,
            account_active=accounts.is_active,
            may_go_out=contents.window_refusal,
        )
        messages = MessageService(runtime, timeline, accounts, contents)
        inbound = InboundService(runtime, timeline, accounts)
        simulator = SimulatorService(runtime, accounts, messages, inbound, book, replay)
        messaging_services = MessagingServiceService(runtime)
        return cls(
            runtime=runtime,
            accounts=accounts,
            numbers=NumberService(runtime),
            messaging_services=messaging_services,
            pool_senders=PoolSenderService(runtime, messaging_services),
            held_senders=HeldSenderService(runtime),
            messages=messages,
            contents=contents,
            inbound=inbound,
            scenarios=book,
            timeline=timeline,
            simulator=simulator,
            replay=replay,
            events=EventStreamService(runtime),
        )
