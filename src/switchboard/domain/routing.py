"""Where an inbound message's webhook goes (SPEC §7.3), as a pure decision.

A number in a Messaging Service uses the service's inbound URL unless the service defers to
its senders (``use_inbound_webhook_on_number``); otherwise the number's own ``sms_url``. No URL:
the message is stored and no request is made. A short code or a channel sender (WhatsApp, RCS)
is routed the same way as a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from switchboard.domain.models import MessagingService


class SmsTarget(Protocol):
    """What a number, a short code or a channel sender says about its own webhook."""

    @property
    def sms_url(self) -> str: ...
    @property
    def sms_method(self) -> str: ...
    @property
    def sms_fallback_url(self) -> str: ...
    @property
    def sms_fallback_method(self) -> str: ...


@dataclass(frozen=True, slots=True)
class InboundRoute:
    url: str
    method: str
    fallback_url: str
    fallback_method: str
    source: str  # "service" or "number": which configuration was used


def route_inbound(number: SmsTarget, service: MessagingService | None) -> InboundRoute | None:
    if service is not None and not service.use_inbound_webhook_on_number:
        if not service.inbound_request_url:
            return None
        return InboundRoute(
            url=service.inbound_request_url,
            method=service.inbound_method or "POST",
            fallback_url=service.fallback_url or "",
            fallback_method=service.fallback_method or "POST",
            source="service",
        )
    if not number.sms_url:
        return None
    return InboundRoute(
        url=number.sms_url,
        method=number.sms_method or "POST",
        fallback_url=number.sms_fallback_url,
        fallback_method=number.sms_fallback_method or "POST",
        source="number",
    )
