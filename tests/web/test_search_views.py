"""The dashboard's searches, bulk replay and reset over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchboard.testing import LiveServer

OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"
MUTATION = {"X-Switchboard-Dashboard": "1"}
API = "/_dashboard/api"


@pytest.fixture
def http(dashboard_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard_server.base_url, timeout=30) as client:
        yield client


def wait_for(fetch: Any, ready: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(0.05)


def send(http: httpx.Client, body: str, handset: str = HANDSET) -> dict[str, Any]:
    data = {"From": handset, "To": OUR_NUMBER, "Body": body}
    response = http.post(f"{API}/inbound", data=data, headers=MUTATION)
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def listing(http: httpx.Client, what: str, **params: Any) -> dict[str, Any]:
    response = http.get(f"{API}/{what}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def every(http: httpx.Client, what: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a search, following each page's cursor."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = listing(http, what, **params, **({"cursor": cursor} if cursor else {}))
        found += page[what]
        cursor = page["next"]
        if cursor is None:
            return found


def settled(http: httpx.Client, count: int) -> list[dict[str, Any]]:
    """The attempts once ``count`` incoming webhooks have been answered."""
    return wait_for(
        lambda: listing(http, "attempts", limit=200)["attempts"], lambda a: len(a) >= count
    )


def test_messages_search_filters_and_pages(http: httpx.Client) -> None:
    first = send(http, "Your code is 1234")
    second = send(http, "where is my parcel?", handset="+15555550199")
    third = send(http, "CODE again")
    replies = wait_for(
        lambda: listing(http, "messages", direction="outbound", limit=200)["messages"],
        lambda found: len(found) == 3,
    )
    assert all(m["direction"] == "outbound-reply" for m in replies)

    # Newest first, in pages of two joined by the cursor.
    page = listing(http, "messages", direction="inbound", limit=2)
    assert [m["sid"] for m in page["messages"]] == [third["sid"], second["sid"]]
    assert page["next"] == second["sid"]
    rest = listing(http, "messages", direction="inbound", limit=2, cursor=page["next"])
    assert [m["sid"] for m in rest["messages"]] == [first["sid"]]
    assert rest["next"] is None

    inbound_code = [
        m["sid"] for m in every(http, "messages", q="code", direction="inbound", limit=1)
    ]
    assert inbound_code == [third["sid"], first["sid"]]
    assert [m["sid"] for m in every(http, "messages", q=second["sid"])] == [second["sid"]]
    by_number = every(http, "messages", number="+15555550199")
    assert {m["body"] for m in by_number} == {"where is my parcel?", f"You said: {second['body']}"}
    assert every(http, "messages", status="received", channel="whatsapp") == []
    assert len(every(http, "messages", channel="sms", since="2000-01-01T00:00:00Z")) == 6
    assert every(http, "messages", until="2000-01-01") == []

    attempts = every(http, "attempts", q="parcel")
    assert [a["message_sid"] for a in attempts] == [second["sid"]]
    assert every(http, "attempts", failed="1") == []
    assert len(every(http, "attempts", kind="incoming", number=HANDSET, limit=1)) == 2


@pytest.mark.parametrize(
    ("what", "params"),
    [
        ("messages", {"status": "lost"}),
        ("messages", {"direction": "sideways"}),
        ("messages", {"channel": "pigeon"}),
        ("messages", {"error_code": "abc"}),
        ("messages", {"error_code": "-1"}),
        ("messages", {"since": "yesterday"}),
        ("messages", {"limit": "0"}),
        ("messages", {"limit": "201"}),
        ("messages", {"limit": "x"}),
        ("messages", {"cursor": "SMnothing"}),
        ("messages", {"q": "x" * 201}),
        ("attempts", {"failed": "perhaps"}),
        ("attempts", {"kind": "telepathy"}),
        ("attempts", {"cursor": "WAnothing"}),
        ("attempts", {"until": "2024-13-01"}),
    ],
)
def test_bad_search_parameters_are_400_in_twilio_format(
    http: httpx.Client, what: str, params: dict[str, str]
) -> None:
    response = http.get(f"{API}/{what}", params=params)
    assert response.status_code == 400, response.text
    error = response.json()
    assert set(error) == {"code", "message", "more_info", "status"}
    assert error["status"] == 400


def test_bulk_replay_of_selected_and_of_filtered_attempts(
    http: httpx.Client, twiml_app: Any
) -> None:
    sent = {send(http, body)["sid"]: body for body in ("one", "two", "three")}
    original = {sent[a["message_sid"]]: a for a in settled(http, 3)}
    assert len(twiml_app.requests) == 3

    chosen = [original["three"]["sid"], original["one"]["sid"]]
    response = http.post(f"{API}/attempts/replay", json={"sids": chosen}, headers=MUTATION)
    assert response.status_code == 201, response.text
    replayed = response.json()
    assert [a["status"] for a in replayed["attempts"]] == [200, 200]
    assert replayed["more"] is False
    # Sent a few at a time: the app may see them in any order; the answer keeps the asked order.
    assert sorted(r.params["Body"] for r in twiml_app.requests[3:]) == ["one", "three"]
    assert [a["message_sid"] for a in replayed["attempts"]] == [
        original["three"]["message_sid"],
        original["one"]["message_sid"],
    ]

    # Without SIDs, the attempts the query string's search matches.
    response = http.post(f"{API}/attempts/replay?q=two&kind=incoming", headers=MUTATION)
    assert response.status_code == 201, response.text
    assert len(response.json()["attempts"]) == 1
    assert twiml_app.requests[-1].params["Body"] == "two"
    assert len(twiml_app.requests) == 6

    # All or none: an unknown SID replays nothing; too many is refused; the header is needed.
    unknown = http.post(
        f"{API}/attempts/replay", json={"sids": [chosen[0], "WAmissing"]}, headers=MUTATION
    )
    assert unknown.status_code == 404
    too_many = http.post(
        f"{API}/attempts/replay", json={"sids": [f"WA{i}" for i in range(201)]}, headers=MUTATION
    )
    assert too_many.status_code == 400
    assert too_many.json()["code"] == 21000
    for bad in ({"sids": "WA1"}, {"sids": [1]}, [1]):
        response = http.post(f"{API}/attempts/replay", json=bad, headers=MUTATION)
        assert response.status_code == 400, bad
    assert http.post(f"{API}/attempts/replay", json={"sids": chosen}).status_code == 403
    assert len(twiml_app.requests) == 6


def test_reset_clears_messages_and_keeps_numbers_unless_asked(http: httpx.Client) -> None:
    send(http, "before")
    settled(http, 1)
    assert http.post(f"{API}/reset").status_code == 403  # no dashboard header
    assert http.post(f"{API}/reset", content=b"nope", headers=MUTATION).status_code == 400

    response = http.post(f"{API}/reset", headers=MUTATION)
    assert response.status_code == 200, response.text
    assert response.json() == {"reset": True, "keep_numbers": True}
    assert listing(http, "messages")["messages"] == []
    assert listing(http, "attempts")["attempts"] == []
    numbers = [n["phone_number"] for n in http.get(f"{API}/overview").json()["numbers"]]
    assert numbers == [OUR_NUMBER]

    response = http.post(f"{API}/reset", json={"keep_numbers": False}, headers=MUTATION)
    assert response.json()["keep_numbers"] is False
    assert http.get(f"{API}/overview").json()["numbers"] == []
