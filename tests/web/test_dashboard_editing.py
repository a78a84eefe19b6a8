"""The dashboard's editing and chart endpoints over real HTTP: the REST API's rules and codes,
and the dashboard's guard on changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, sdk_client

MUTATION = {"X-Switchboard-Dashboard": "1"}
OUR_NUMBER = "+15005550006"


@pytest.fixture
def http(dashboard_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard_server.base_url, timeout=10) as client:
        yield client


def change(http: httpx.Client, method: str, path: str, data: Any = None) -> httpx.Response:
    return http.request(method, f"/_dashboard/api{path}", json=data, headers=MUTATION)


def number_sid(overview: dict[str, Any], phone: str) -> str:
    sid: str = next(n["sid"] for n in overview["numbers"] if n["phone_number"] == phone)
    return sid


def test_numbers_are_created_and_updated_with_the_rest_apis_rules(
    http: httpx.Client, dashboard_server: LiveServer
) -> None:
    created = change(http, "POST", "/numbers", {"PhoneNumber": "+15555550100", "SmsMethod": "GET"})
    assert created.status_code == 201, created.text
    sid = number_sid(created.json(), "+15555550100")

    bad = change(http, "POST", "/numbers", {"PhoneNumber": "12"})
    assert (bad.status_code, bad.json()["code"]) == (400, 21421)
    taken = change(http, "POST", "/numbers", {"PhoneNumber": "+15555550100"})
    assert taken.json()["code"] == 21422
    method = change(http, "POST", f"/numbers/{sid}", {"SmsMethod": "PUT"})
    assert (method.status_code, method.json()["code"]) == (400, 21403)
    missing = change(http, "POST", "/numbers/PN" + "0" * 32, {"SmsUrl": "http://x.test/"})
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)
    for body in (["SmsUrl"], {"SmsUrl": 3}):
        malformed = change(http, "POST", f"/numbers/{sid}", body)
        assert (malformed.status_code, malformed.json()["code"]) == (400, 21000)

    updated = change(http, "POST", f"/numbers/{sid}", {"SmsUrl": "http://app.test/sms"})
    assert updated.status_code == 200
    client: Any = sdk_client(dashboard_server)
    number = client.incoming_phone_numbers(sid).fetch()
    assert (number.sms_url, number.sms_method) == ("http://app.test/sms", "GET")


def test_a_number_joins_and_leaves_a_services_pool(http: httpx.Client) -> None:
    overview = change(http, "POST", "/services", {"FriendlyName": "Support"}).json()
    service = overview["services"][0]["sid"]
    sid = number_sid(overview, OUR_NUMBER)
    assert change(http, "POST", "/services", {}).json()["code"] == 20001

    joined = change(http, "POST", f"/services/{service}/numbers", {"PhoneNumberSid": sid})
    assert joined.status_code == 201
    assert joined.json()["services"][0]["numbers"] == [OUR_NUMBER]
    again = change(http, "POST", f"/services/{service}/numbers", {"PhoneNumberSid": sid})
    assert again.json()["code"] == 21710
    left = change(http, "DELETE", f"/services/{service}/numbers/{sid}")
    assert left.json()["services"][0]["numbers"] == []


def test_changes_need_the_dashboard_header(http: httpx.Client) -> None:
    refused = http.post("/_dashboard/api/numbers", json={"PhoneNumber": "+15555550100"})
    assert refused.status_code == 403
    cross = http.post(
        "/_dashboard/api/numbers",
        json={"PhoneNumber": "+15555550100"},
        headers={**MUTATION, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_stats_count_the_store(http: httpx.Client, dashboard_server: LiveServer) -> None:
    empty = http.get("/_dashboard/api/stats").json()
    assert len(empty["per_minute"]) == 30
    assert empty["delivery"] == {"reached": 0, "not_reached": 0, "rate": None}
    assert empty["latency"]["count"] == 0

    sent = http.post(
        "/_dashboard/api/inbound",
        data={"From": "+15555550123", "To": OUR_NUMBER, "Body": "hi"},
        headers=MUTATION,
    )
    assert sent.status_code == 201
    deadline = time.monotonic() + 10
    while True:
        stats = http.get("/_dashboard/api/stats").json()
        if stats["delivery"]["reached"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert stats["delivery"] == {"reached": 1, "not_reached": 0, "rate": 1.0}
    assert stats["latency"]["count"] == 1
    assert stats["latency"]["p50"] == stats["latency"]["max"]
    assert sum(sum(m["counts"].values()) for m in stats["per_minute"]) == 2
    assert stats["error_codes"] == []
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    assert httpx.get(f"{dashboard_server.base_url}/_dashboard/api/stats", auth=auth).is_success
