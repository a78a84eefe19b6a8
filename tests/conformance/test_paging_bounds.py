"""The bounds of PageSize, Page and PageToken on every list endpoint (SPEC §6.4, §6.9).

Each out-of-bounds or malformed value is a 400 with Twilio's error JSON (the recorder checks the
shape of every error body); none may reach the envelope, where an integer beyond 64 bits once
made the JSON renderer fail with a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from switchboard.api.routes import TWILIO_ROUTES
from switchboard.testing import TEST_ACCOUNT_SID

RECIPIENT = "+14155550199"
SID_SHAPE = "PASM" + "0" * 32  # well-formed, but not a token this server issued

LIST_ROUTES = [
    route
    for route in TWILIO_ROUTES
    if isinstance(route, Route)
    and "GET" in (route.methods or ())
    and route.endpoint.__name__.startswith("list_")
]

# (parameters, Twilio code): every one a 400.
REFUSED: list[tuple[dict[str, str], int]] = [
    ({"Page": "9223372036854775808"}, 21000),  # 2**63: once a 500
    ({"Page": "4611686018427387904", "PageSize": "1000"}, 21000),  # start overflowed 64 bits
    ({"Page": "1000000001"}, 21000),
    ({"Page": "9" * 5000}, 21000),
    ({"Page": "-1"}, 21000),
    ({"Page": "+1"}, 21000),
    ({"Page": " 1"}, 21000),
    ({"Page": "1 "}, 21000),
    ({"Page": "١٢"}, 21000),  # Arabic-Indic digits: int() would read 12
    ({"Page": "1_0"}, 21000),
    ({"Page": "abc"}, 21000),
    ({"PageSize": "1001"}, 20007),
    ({"PageSize": "99999999999999999999999999"}, 20007),
    ({"PageSize": "9" * 5000}, 20007),
    ({"PageSize": "0"}, 21000),
    ({"PageSize": "-5"}, 21000),
    ({"PageSize": "+5"}, 21000),
    ({"PageSize": "\t5"}, 21000),
    ({"PageSize": "1.5"}, 21000),
    ({"PageSize": "１０"}, 21000),  # fullwidth digits
    ({"PageSize": "²"}, 21000),  # str.isdigit() says yes; int() says no
    ({"PageToken": "garbage"}, 21481),
    ({"PageToken": "PA"}, 21481),
    ({"PageToken": "PA" + "z" * 5000}, 21481),
    ({"PageToken": "PA" + "9" * 400}, 21481),
    ({"PageToken": SID_SHAPE}, 21481),
    ({"PageToken": SID_SHAPE + "\n"}, 21481),
]


@pytest.fixture
def list_paths(raw: Any, client: Any, number: str, receiver: Any) -> list[str]:
    """A concrete path for every list route, its path parameters filled with real sids."""
    message = client.messages.create(to=RECIPIENT, from_=number, body="x")
    service = client.messaging.v1.services.create(friendly_name="bounds")
    sink = client.events.v1.sinks.create(
        description="bounds",
        sink_configuration={"destination": receiver.url("/events")},
        sink_type="webhook",
    )
    client.events.v1.sinks(sink.sid).sink_test.create()
    [test] = receiver.wait_for_events("/events", lambda events: len(events) == 1)
    client.events.v1.sinks(sink.sid).sink_validate.create(test_id=test["data"]["test_id"])
    subscription = client.events.v1.subscriptions.create(
        description="bounds",
        sink_sid=sink.sid,
        types=[{"type": "com.twilio.messaging.message.delivered"}],
    )
    sids = {
        "account_sid": TEST_ACCOUNT_SID,
        "message_sid": message.sid,
        "service_sid": service.sid,
        "subscription_sid": subscription.sid,
        "id": "Messaging.MessageStatus",
    }
    paths = [route.path.format(**sids) for route in LIST_ROUTES]
    for path in paths:
        assert raw.get(path).status_code == 200, path
    return paths


def test_every_list_route_is_covered() -> None:
    names = {route.endpoint.__name__ for route in LIST_ROUTES}
    assert names == {
        "list_accounts", "list_keys", "list_messages", "list_media",
        "list_incoming_phone_numbers", "list_services", "list_phone_numbers",
        "list_short_code", "list_alpha_sender", "list_destination_alpha_sender",
        "list_channel_sender",
        "list_sinks", "list_subscriptions", "list_subscribed_events", "list_event_types",
        "list_schema_versions",
        "list_content", "list_content_and_approvals", "list_legacy_content",
    }  # fmt: skip


def test_out_of_bounds_paging_is_a_400_on_every_list(raw: Any, list_paths: list[str]) -> None:
    wrong = []
    for path in list_paths:
        for params, code in REFUSED:
            response = raw.get(path, params=params)
            got = (response.status_code, response.json().get("code"))
            if got != (400, code):
                wrong.append(f"{path} {params!r:.60}: {got}, wanted (400, {code})")
    assert not wrong, "\n".join(wrong)


def test_the_bounds_themselves_are_accepted(raw: Any, list_paths: list[str]) -> None:
    for path in list_paths:
        for params in (
            {"PageSize": "1000", "Page": "1000000000"},
            {"PageSize": "1", "Page": "0"},
            {"PageSize": "0050", "Page": "007"},  # leading zeros are still digits
            {"PageSize": "", "Page": "", "PageToken": ""},  # empty: the defaults
        ):
            response = raw.get(path, params=params)
            assert response.status_code == 200, (path, params, response.text)


def test_the_envelope_of_the_last_allowed_page(raw: Any, account_path: str) -> None:
    body = raw.get(
        f"{account_path}/Messages.json", params={"PageSize": 1000, "Page": 1_000_000_000}
    ).json()
    assert body["messages"] == []
    assert body["page"] == 1_000_000_000
    assert body["start"] == 10**12


def test_sim_webhooks_limit_is_a_whole_number_within_bounds(raw: Any) -> None:
    # Out of bounds is a 400 naming the bounds (the assertion API never answers a search it
    # did not understand); 5000 is the largest.
    for limit in ("²", "9" * 5000, "5001", "0", "-1", "abc"):
        response = raw.get("/_sim/webhooks", params={"Limit": limit})
        assert (response.status_code, response.json()["code"]) == (400, 21000), limit
    assert raw.get("/_sim/webhooks", params={"Limit": "5000"}).status_code == 200
