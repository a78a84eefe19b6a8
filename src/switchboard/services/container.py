"""All application services, built once over one Runtime."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.services.accounts import AccountService
from switchboard.services.inbound import InboundService
from switchboard.services.messages import MessageService
from switchboard.services.messaging_services import MessagingServiceService
from switchboard.services.numbers import NumberService
from switchboard.services.runtime import Runtime
from switchboard.services.scenarios import ScenarioBook
from switchboard.services.simulator import Replayer, SimulatorService
from switchboard.timeline import Timeline


@dataclass
class Services:
    runtime: Runtime
    accounts: AccountService
    numbers: NumberService
    messaging_services: MessagingServiceService
    messages: MessageService
    inbound: InboundService
    scenarios: ScenarioBook
    timeline: Timeline
    simulator: SimulatorService
    # Set by the worker wiring once the transport exists (replaying needs the network).
    replay: Replayer | None = None

    @classmethod
    def build(cls, runtime: Runtime) -> Services:
        book = ScenarioBook(runtime.store)
        config = runtime.config
        accounts = AccountService(runtime)
        timeline = Timeline(
            runtime.store,
            book.scenarios,
            config.carrier,
            runtime.clock.now,
            seed=config.seed if config.seed is not None else 0,
            throughput=config.throughput,
            account_active=accounts.is_active,
        )
        messages = MessageService(runtime, timeline, accounts)
        inbound = InboundService(runtime, timeline, accounts)
        # The simulator looks ``replay`` up when it replays: the worker wiring sets it later.
        simulator = SimulatorService(
            runtime, accounts, messages, inbound, book, lambda: services.replay
        )
        services = cls(
            runtime=runtime,
            accounts=accounts,
            numbers=NumberService(runtime),
            messaging_services=MessagingServiceService(runtime),
            messages=messages,
            inbound=inbound,
            scenarios=book,
            timeline=timeline,
            simulator=simulator,
        )
        return services
