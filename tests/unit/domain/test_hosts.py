"""Twilio's hostnames and the part of the API each serves (domain/hosts.py)."""

from __future__ import annotations

import pytest

from switchboard.domain.hosts import TwilioHost, connect_target, product_serves, twilio_host


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("api.twilio.com", TwilioHost("api.twilio.com", "api")),
        ("API.Twilio.COM.", TwilioHost("api.twilio.com", "api")),
        ("messaging.twilio.com", TwilioHost("messaging.twilio.com", "messaging")),
        ("content.twilio.com", TwilioHost("content.twilio.com", "content")),
        ("events.twilio.com", TwilioHost("events.twilio.com", "events")),
        # The SDKs' edge/region rewriting (SPEC.md §22.1).
        ("api.au1.twilio.com", TwilioHost("api.au1.twilio.com", "api", region="au1")),
        (
            "api.sydney.au1.twilio.com",
            TwilioHost("api.sydney.au1.twilio.com", "api", edge="sydney", region="au1"),
        ),
        (
            "messaging.sao-paulo.br1.twilio.com",
            TwilioHost("messaging.sao-paulo.br1.twilio.com", "messaging", "sao-paulo", "br1"),
        ),
    ],
)
def test_twilio_hosts_are_recognised(name: str, expected: TwilioHost) -> None:
    assert twilio_host(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "twilio.com", "www.twilio.com", "verify.twilio.com", "api.twilio.com.evil.example",
        "evil-api.twilio.com", "a.b.c.api.twilio.com", "api.x.y.z.twilio.com", "api..twilio.com",
        "api.-bad.twilio.com", "api.twilio.co", "127.0.0.1", "", "api_twilio.com",
    ],
)  # fmt: skip
def test_other_names_are_not_twilio_hosts(name: str) -> None:
    assert twilio_host(name) is None


@pytest.mark.parametrize(
    ("product", "path", "served"),
    [
        ("api", "/2010-04-01/Accounts.json", True),
        ("api", "/2010-04-01/Accounts/AC1/Messages.json", True),
        ("api", "/v1/Services", False),
        ("messaging", "/v1/Services", True),
        ("messaging", "/v1/Services/MG1/PhoneNumbers", True),
        ("messaging", "/2010-04-01/Accounts.json", False),
        ("messaging", "/v1/Content", False),
        ("content", "/v1/Content", True),
        ("content", "/v1/Content/HX1/ApprovalRequests", True),
        ("content", "/v1/ContentAndApprovals", True),
        ("content", "/v2/Content", True),
        ("content", "/v1/Services", False),
        ("events", "/v1/Sinks", True),
        ("events", "/v1/Subscriptions/DF1/SubscribedEvents", True),
        ("events", "/v1/Types", True),
        ("events", "/v1/Services", False),
        ("api", "/", False),
        ("api", "/_sim/messages", False),
        ("api", "", False),
        ("messaging", "/v1", False),
        ("nope", "/v1/Services", False),
    ],
)
def test_each_product_serves_its_own_paths(product: str, path: str, served: bool) -> None:
    assert product_serves(product, path) is served


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("api.twilio.com:443", "api.twilio.com"),
        ("api.sydney.au1.twilio.com:443", "api.sydney.au1.twilio.com"),
        ("api.twilio.com:80", None),
        ("api.twilio.com", None),
        ("api.twilio.com:0443", None),
        ("example.com:443", None),
        ("[::1]:443", None),
    ],
)
def test_the_proxy_tunnels_to_twilio_on_443_only(target: str, host: str | None) -> None:
    found = connect_target(target)
    assert (found.name if found else None) == host
