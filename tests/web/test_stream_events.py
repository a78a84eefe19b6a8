"""The dashboard shows a message's Event Streams events beside its status callbacks, and the
signature inspector explains an event delivery's JSON-webhook signature."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, TestReceiver

OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"
LIFECYCLE = ["queued", "sent", "delivered"]


@pytest.fixture
def http(dashboard_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=dashboard_server.base_url, timeout=10, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    ) as client:
        yield client


def _wait_for(fetch: Any, ready: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(0.05)


def _subscribe(http: httpx.Client, receiver: TestReceiver) -> None:
    config = json.dumps({"destination": receiver.url("/events")})
    sink = http.post(
        "/v1/Sinks", data={"Description": "web", "SinkType": "webhook", "SinkConfiguration": config}
    ).json()
    http.post(f"/v1/Sinks/{sink['sid']}/Test").raise_for_status()
    [test] = receiver.wait_for_events("/events", lambda events: len(events) == 1)
    http.post(
        f"/v1/Sinks/{sink['sid']}/Validate", data={"TestId": test["data"]["test_id"]}
    ).raise_for_status()
    types = [json.dumps({"type": f"com.twilio.messaging.message.{t}"}) for t in LIFECYCLE]
    http.post(
        "/v1/Subscriptions", data={"Description": "web", "SinkSid": sink["sid"], "Types": types}
    ).raise_for_status()


def test_a_messages_detail_lists_its_events_and_their_attempts(
    http: httpx.Client, receiver: TestReceiver
) -> None:
    _subscribe(http, receiver)
    sent = http.post(
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json",
        data={
            "To": HANDSET,
            "From": OUR_NUMBER,
            "Body": "watch",
            "StatusCallback": receiver.url("/status"),
        },
    )
    sid = sent.json()["sid"]
    detail = _wait_for(
        lambda: http.get(f"/_dashboard/api/messages/{sid}").json(),
        lambda d: (
            len(d["events"]) == 3
            and len([a for a in d["attempts"] if a["kind"] == "status_callback"]) >= 2
        ),
    )
    assert sorted(e["type"] for e in detail["events"]) == sorted(
        f"com.twilio.messaging.message.{t}" for t in LIFECYCLE
    )
    assert all(e["status"] == 200 and e["id"].startswith("NO") for e in detail["events"])
    event_attempts = {a["sid"] for a in detail["attempts"] if a["kind"] == "event"}
    assert {e["attempt_sid"] for e in detail["events"]} <= event_attempts

    inspected = http.get(
        f"/_dashboard/api/attempts/{detail['events'][0]['attempt_sid']}/signature"
    ).json()
    assert inspected["consistent"] is True
    assert "bodySHA256=" in inspected["signed_url"]
    attempts = http.get("/_dashboard/api/attempts", params={"kind": "event"}).json()
    assert attempts["attempts"]
    assert all(a["kind"] == "event" for a in attempts["attempts"])
