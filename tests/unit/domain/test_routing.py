"""Inbound routing precedence (SPEC §7.3)."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.domain.models import MessagingService, PhoneNumber
from switchboard.domain.routing import route_inbound

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def number(**kwargs: str) -> PhoneNumber:
    return PhoneNumber("PN" + "1" * 32, "AC" + "1" * 32, "+15005550006", "n", NOW, NOW, **kwargs)


def service(**kwargs: object) -> MessagingService:
    return MessagingService("MG" + "1" * 32, "AC" + "1" * 32, "s", NOW, NOW, **kwargs)  # type: ignore[arg-type]


def test_number_alone() -> None:
    route = route_inbound(
        number(sms_url="https://a/sms", sms_method="GET", sms_fallback_url="https://a/fb"), None
    )
    assert route is not None
    assert (route.url, route.method, route.fallback_url, route.source) == (
        "https://a/sms", "GET", "https://a/fb", "number"
    )  # fmt: skip


def test_no_url_configured_sends_nothing() -> None:
    assert route_inbound(number(), None) is None


def test_service_url_wins_over_the_number() -> None:
    route = route_inbound(
        number(sms_url="https://a/sms"),
        service(inbound_request_url="https://svc/in", fallback_url="https://svc/fb"),
    )
    assert route is not None
    assert (route.url, route.fallback_url, route.source) == (
        "https://svc/in",
        "https://svc/fb",
        "service",
    )


def test_service_deferring_to_the_number() -> None:
    route = route_inbound(
        number(sms_url="https://a/sms"),
        service(inbound_request_url="https://svc/in", use_inbound_webhook_on_number=True),
    )
    assert route is not None
    assert route.url == "https://a/sms"


def test_service_without_url_drops_the_webhook() -> None:
    assert route_inbound(number(sms_url="https://a/sms"), service()) is None
