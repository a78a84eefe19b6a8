"""Simulator-wide state through a real server: the clock survives hostile changes, only the
main account moves it, and a subaccount's scenarios shape only its own messages."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard.clock import ControllableClock
from switchboard.testing import live_server, sdk_client

OURS = "+14155550100"
THEIRS = "+14155550101"
HANDSET = "+14155550199"
POLL_LIMIT = 10.0

HOSTILE_CHANGES = [
    {"Advance": "300000000000"},
    {"Advance": "1e309"},
    {"Advance": "nan"},
    {"Advance": "inf"},
    {"Advance": "-inf"},
    {"Advance": "99999999999999999999"},
    {"Set": "9999-12-31T23:59:59Z"},
    {"Set": "9000-01-01T00:00:01Z"},
]


def assert_twilio_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["message"]
    assert body["more_info"].endswith(str(code))


def status(client: Any, sid: str, wanted: str) -> Any:
    """Poll (generous deadline) until message ``sid`` of ``client``'s account is ``wanted``."""
    deadline = time.monotonic() + POLL_LIMIT
    while (message := client.messages(sid).fetch()).status != wanted:
        assert time.monotonic() < deadline, f"{sid} is {message.status!r}, never {wanted!r}"
        time.sleep(0.02)
    return message


def assert_serving(sim: Any) -> None:
    """Every request that reads the clock still works."""
    assert sim.http.get("/_sim/clock").status_code == 200
    assert sim.http.get("/healthz").status_code == 200
    message = sim.client.messages.create(to=HANDSET, from_=OURS, body="still here")
    assert message.status == "queued"
    assert sim.inbound("still here")["sid"].startswith("SM")


@pytest.mark.parametrize("change", HOSTILE_CHANGES, ids=lambda c: "=".join(*c.items()))
def test_a_hostile_clock_change_is_refused_and_the_server_keeps_working(sim, change):
    sim.number(OURS)
    before = sim.http.post("/_sim/clock", data={"Freeze": "true"}).json()
    assert_twilio_error(sim.http.post("/_sim/clock", data=change), 400, 21000)
    assert sim.http.get("/_sim/clock").json() == before
    assert_serving(sim)
    assert sim.http.post("/_sim/clock", data={"Freeze": "false"}).status_code == 200


def test_a_refused_change_applies_none_of_its_parts(sim):
    running = sim.http.get("/_sim/clock").json()
    assert running["frozen"] is False
    refused = {"Freeze": "true", "Advance": "60", "Set": "9999-01-01T00:00:00Z"}
    assert_twilio_error(sim.http.post("/_sim/clock", data=refused), 400, 21000)
    assert sim.http.get("/_sim/clock").json()["frozen"] is False

    frozen = sim.http.post("/_sim/clock", data={"Freeze": "true"}).json()
    refused = {"Freeze": "false", "Advance": "3600", "Set": "2000-01-01T00:00:00Z"}
    assert_twilio_error(sim.http.post("/_sim/clock", data=refused), 400, 21000)
    assert sim.http.get("/_sim/clock").json() == frozen
    assert_twilio_error(
        sim.http.post("/_sim/clock", data={"Advance": "60", "Freeze": "maybe"}), 400, 21000
    )
    assert sim.http.get("/_sim/clock").json() == frozen


@pytest.fixture
def tenant(sim) -> Iterator[dict[str, Any]]:
    """A subaccount with a number of its own, its SDK client and raw /_sim access."""
    account = sim.client.api.v2010.accounts.create(friendly_name="suite on its own subaccount")
    client = sdk_client(sim.server, account.sid, account.auth_token)
    client.incoming_phone_numbers.create(phone_number=THEIRS)
    http = httpx.Client(
        base_url=sim.server.base_url, auth=(account.sid, account.auth_token), timeout=15
    )
    yield {"sid": account.sid, "client": client, "http": http}
    http.close()


@pytest.fixture
def as_key(sim) -> Iterator[Callable[[Any], httpx.Client]]:
    """Raw /_sim access with a new API key of the account ``client`` acts for."""
    opened: list[httpx.Client] = []

    def make(client: Any) -> httpx.Client:
        key = client.new_keys.create(friendly_name="ci")
        opened.append(
            httpx.Client(base_url=sim.server.base_url, auth=(key.sid, key.secret), timeout=15)
        )
        return opened[-1]

    yield make
    for http in opened:
        http.close()


@pytest.mark.parametrize("who", ["subaccount", "subaccount key", "main account key"])
def test_only_the_main_account_moves_the_clock(sim, tenant, as_key, who):
    if who == "subaccount":
        http = tenant["http"]
    else:
        http = as_key(tenant["client"] if who == "subaccount key" else sim.client)
    assert http.get("/_sim/clock").status_code == 200  # reading is fine
    assert_twilio_error(http.post("/_sim/clock", data={"Freeze": "true"}), 403, 20403)
    assert sim.http.get("/_sim/clock").json()["frozen"] is False
    frozen = sim.http.post("/_sim/clock", data={"Freeze": "true"}).json()
    assert_twilio_error(http.post("/_sim/clock", data={"Advance": "3600"}), 403, 20403)
    assert_twilio_error(http.post("/_sim/clock", data={"Freeze": "false"}), 403, 20403)
    assert sim.http.get("/_sim/clock").json() == frozen
    assert_twilio_error(http.post("/_sim/reset"), 403, 20403)


FAIL_EVERYTHING = [{"name": "all fail", "outcome": "failed", "error_code": 30007}]


def test_a_subaccounts_scenarios_shape_only_its_own_messages(sim, tenant):
    sim.number(OURS)
    shared = [{"name": "bad handset", "to": "+15555550199", "outcome": "undelivered"}]
    assert sim.http.put("/_sim/scenarios", json=shared).status_code == 200

    put = tenant["http"].put("/_sim/scenarios", json=FAIL_EVERYTHING)
    assert put.status_code == 200, put.text
    assert tenant["http"].get("/_sim/scenarios").json() == {"scenarios": FAIL_EVERYTHING}
    assert sim.http.get("/_sim/scenarios").json() == {"scenarios": shared}

    ours = sim.client.messages.create(to=HANDSET, from_=OURS, body="main account")
    theirs = tenant["client"].messages.create(to=HANDSET, from_=THEIRS, body="subaccount")
    assert sim.status(ours.sid, "delivered").error_code is None
    assert status(tenant["client"], theirs.sid, "failed").error_code == 30007

    # Without a rule of its own, the subaccount's messages fall back on the shared rules.
    assert tenant["http"].delete("/_sim/scenarios").status_code == 200
    assert sim.http.get("/_sim/scenarios").json() == {"scenarios": shared}
    bounced = tenant["client"].messages.create(to="+15555550199", from_=THEIRS, body="x")
    assert status(tenant["client"], bounced.sid, "undelivered").error_code == 30003


def test_a_subaccount_adding_a_scenario_leaves_the_main_accounts_alone(sim, tenant):
    sim.number(OURS)
    added = tenant["http"].post("/_sim/scenarios", json=FAIL_EVERYTHING[0])
    assert added.status_code == 201, added.text
    assert added.json() == {"scenarios": FAIL_EVERYTHING}
    assert sim.http.get("/_sim/scenarios").json() == {"scenarios": []}
    ours = sim.client.messages.create(to=HANDSET, from_=OURS, body="main account")
    assert sim.status(ours.sid, "delivered").error_code is None
    # A rule cannot claim another owner.
    spoof = {**FAIL_EVERYTHING[0], "account_sid": sim.server.config.account_sid}
    assert_twilio_error(tenant["http"].post("/_sim/scenarios", json=spoof), 400, 21000)


def test_a_main_account_key_cannot_change_the_shared_scenarios(sim, as_key):
    http = as_key(sim.client)
    assert http.get("/_sim/scenarios").status_code == 200
    assert_twilio_error(http.put("/_sim/scenarios", json=FAIL_EVERYTHING), 403, 20403)
    assert_twilio_error(http.post("/_sim/scenarios", json=FAIL_EVERYTHING[0]), 403, 20403)
    assert_twilio_error(http.delete("/_sim/scenarios"), 403, 20403)


class BreakableClock(ControllableClock):
    broken = False

    def now(self):  # type: ignore[no-untyped-def]
        if self.broken:
            raise OverflowError("date value out of range")
        return super().now()


def test_healthz_says_503_when_the_clock_cannot_be_read():
    clock = BreakableClock()
    with live_server(clock=clock) as server:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        clock.broken = True
        response = httpx.get(f"{server.base_url}/healthz")
        clock.broken = False
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "clock" in response.json()["reason"]
