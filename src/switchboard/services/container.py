"""All application services, built once over one Runtime."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.services.accounts import AccountService
from switchboard.services.inbound import InboundService
from switchboard.services.messages import MessageService
from switchboard.services.messaging_services import MessagingServiceService
from switchboard.services.numbers import NumberService
from switchboard.services.runtime import Runtime


@dataclass
class Services:
    runtime: Runtime
    accounts: AccountService
    numbers: NumberService
    messaging_services: MessagingServiceService
    messages: MessageService
    inbound: InboundService

    @classmethod
    def build(cls, runtime: Runtime) -> Services:
        return cls(
            runtime=runtime,
            accounts=AccountService(runtime),
            numbers=NumberService(runtime),
            messaging_services=MessagingServiceService(runtime),
            messages=MessageService(runtime),
            inbound=InboundService(runtime),
        )
