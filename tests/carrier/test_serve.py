"""``switchboard serve --scenarios FILE --seed N --throughput`` as a real subprocess."""

from __future__ import annotations

import itertools
import json
import time
from datetime import timedelta

from twilio.rest import Client

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

OURS = "+15555550100"
HANDSET = "+15555550199"

SCENARIOS = [
    {"name": "blocked", "to": "+1555555019?", "outcome": "undelivered", "error_code": 30007},
    {"name": "slow", "from": "+1555*", "delays": {"sent": [1, 2]}, "chaos": {"duplicate": 0.5}},
]


def _client(server) -> Client:
    client = Client(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    client.api.base_url = server.url
    client.messaging.base_url = server.url
    return client


def _advance(http, seconds: float) -> dict:
    response = http.post("/_sim/clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text
    return response.json()


def _wait_for(client, sid: str, status: str):
    """Poll (bounded) until the subprocess's dispatcher has caught up with the clock."""
    deadline = time.monotonic() + 10
    while True:
        message = client.messages(sid).fetch()
        if message.status == status or time.monotonic() > deadline:
            return message
        time.sleep(0.05)


def _wait_for_callback(receiver, sid: str, status: str) -> list[str]:
    """The resource changes before its status callback is sent: wait (bounded) for it."""
    deadline = time.monotonic() + 10
    while True:
        statuses = receiver.statuses("/status", sid)
        if status in statuses or time.monotonic() > deadline:
            return statuses
        time.sleep(0.02)


def test_serve_loads_scenarios_and_seed(server_process, receiver, make_carrier, tmp_path):
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(SCENARIOS))
    server = server_process.start("--scenarios", str(path), "--seed", "7")
    with server.http() as http:
        listed = http.get("/_sim/scenarios")
        assert listed.status_code == 200
        assert listed.json() == {"scenarios": SCENARIOS}

        frozen = http.post("/_sim/clock", data={"Freeze": "true"}).json()
        assert frozen["frozen"] is True
        assert http.get("/_sim/clock").json() == frozen  # time stands still
        client = _client(server)
        number = client.incoming_phone_numbers.create(phone_number=OURS)
        # --seed is Config(seed=...): the same SIDs as an in-process server with that seed.
        assert number.sid == make_carrier(seed=7).number(OURS).sid
        message = client.messages.create(
            to=HANDSET, from_=OURS, body="hi", status_callback=receiver.url("/status")
        )
        _advance(http, 10)
        fetched = _wait_for(client, message.sid, "undelivered")
        assert (fetched.status, fetched.error_code) == ("undelivered", 30007)
        statuses = _wait_for_callback(receiver, message.sid, "undelivered")
        assert statuses == ["sent", "undelivered"]  # one at a time, in order
        thawed = http.post("/_sim/clock", data={"Freeze": "false"}).json()
        assert thawed["frozen"] is False


def test_serve_takes_a_scenarios_object_and_throughput(server_process, receiver, tmp_path):
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps({"scenarios": [{"to": "+1555555019?", "outcome": "sent"}]}))
    server = server_process.start("--scenarios", str(path), "--throughput")
    with server.http() as http:
        assert http.get("/_sim/scenarios").json()["scenarios"] == [
            {"to": "+1555555019?", "outcome": "sent"}
        ]
        http.post("/_sim/clock", data={"Freeze": "true"})
        client = _client(server)
        client.incoming_phone_numbers.create(phone_number=OURS)
        messages = [
            client.messages.create(to=HANDSET, from_=OURS, body=f"queued {i}") for i in range(3)
        ]
        _advance(http, 5)
        sent = [_wait_for(client, m.sid, "sent") for m in messages]
        assert {m.status for m in sent} == {"sent"}
        # One per second from a long code: whole-second dates, each exactly 1 s apart.
        dates = sorted(m.date_sent for m in sent)
        assert [b - a for a, b in itertools.pairwise(dates)] == [timedelta(seconds=1)] * 2


def test_serve_refuses_a_bad_scenarios_file(server_process, tmp_path):
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps([{"outcome": "delivered"}, {"outcome": "lost"}]))
    result = server_process.run_to_exit("--scenarios", str(path))
    assert result.returncode != 0
    assert "scenario 1: outcome must be one of" in result.stderr, result.stderr

    path.write_text("{not json")
    result = server_process.run_to_exit("--scenarios", str(path))
    assert result.returncode != 0
    assert "cannot read scenarios" in result.stderr, result.stderr
