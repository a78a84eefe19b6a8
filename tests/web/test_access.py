"""DNS rebinding against the dashboard of a loopback bind, over real HTTP.

A page on ``attacker.example`` that re-resolves its name to 127.0.0.1 reaches switchboard with
its own name in ``Host`` (and its own origin in ``Origin``); neither may stand for "this
machine". The hostile names below once passed a "starts with 127." check and got the main
account's auth token from the overview.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer

OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"
MUTATION = {"X-Switchboard-Dashboard": "1"}
HOSTILE_HOSTS = ["127.attacker.example", "127.0.0.1.nip.io", "[::1].evil", "localhost.", "127.1"]


@pytest.fixture
def http(dashboard_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard_server.base_url, timeout=10) as client:
        yield client


def inbound(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    data = {"From": HANDSET, "To": OUR_NUMBER, "Body": "rebound"}
    return http.post("/_dashboard/api/inbound", data=data, headers={**MUTATION, **headers})


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_hostile_host_gets_no_token_and_changes_nothing(http: httpx.Client, host: str) -> None:
    overview = http.get("/_dashboard/api/overview", headers={"Host": host})
    assert overview.status_code == 401
    assert TEST_AUTH_TOKEN not in overview.text
    assert overview.headers["www-authenticate"] == 'Basic realm="switchboard"'
    assert http.get("/", headers={"Host": host}).status_code == 401
    assert inbound(http, {"Host": host}).status_code == 401
    # The credentials still open it, whatever the name.
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    allowed = http.get("/_dashboard/api/overview", headers={"Host": host}, auth=auth)
    assert allowed.status_code == 200


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "[::1]"])
def test_loopback_names_are_trusted(
    dashboard_server: LiveServer, http: httpx.Client, host: str
) -> None:
    with_port = f"{host}:{dashboard_server.config.port}"
    overview = http.get("/_dashboard/api/overview", headers={"Host": with_port})
    assert overview.status_code == 200
    assert overview.json()["account"]["sid"] == TEST_ACCOUNT_SID


def test_a_change_from_another_origin_is_refused(
    dashboard_server: LiveServer, http: httpx.Client
) -> None:
    port = dashboard_server.config.port
    for origin in ("http://attacker.example", f"http://localhost:{port}", "null"):
        refused = inbound(http, {"Origin": origin})
        assert refused.status_code == 403, origin
        assert "origin" in refused.text
    # Even with credentials: the origin rule is about the browser page, not the caller.
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    with_auth = http.post(
        "/_dashboard/api/inbound",
        data={"From": HANDSET, "To": OUR_NUMBER, "Body": "x"},
        headers={**MUTATION, "Origin": "http://attacker.example"},
        auth=auth,
    )
    assert with_auth.status_code == 403
    # The dashboard's own page (same origin) and clients that send no Origin are served.
    assert inbound(http, {"Origin": f"http://127.0.0.1:{port}"}).status_code == 201
    assert inbound(http, {}).status_code == 201
