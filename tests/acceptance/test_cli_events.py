"""``switchboard events``: the Event Streams events sent to Sinks, listed and tailed, over a
real ``switchboard serve`` and a real receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from cli_helpers import API, CREDENTIALS, NUMBER, PLAIN_ENV, switchboard

HANDSET = "+14155550199"
LIFECYCLE = ["queued", "sent", "delivered"]


def _subscribe(http: Any, receiver: Any) -> str:
    config = json.dumps({"destination": f"{receiver.base_url}/events"})
    sink = http.post(
        "/v1/Sinks", data={"Description": "cli", "SinkType": "webhook", "SinkConfiguration": config}
    ).json()
    http.post(f"/v1/Sinks/{sink['sid']}/Test").raise_for_status()
    [test] = receiver.wait_for_events("/events", lambda events: len(events) == 1)
    http.post(
        f"/v1/Sinks/{sink['sid']}/Validate", data={"TestId": test["data"]["test_id"]}
    ).raise_for_status()
    types = [json.dumps({"type": f"com.twilio.messaging.message.{t}"}) for t in LIFECYCLE]
    http.post(
        "/v1/Subscriptions", data={"Description": "cli", "SinkSid": sink["sid"], "Types": types}
    ).raise_for_status()
    return str(sink["sid"])


def _send(http: Any, receiver: Any) -> str:
    sent = http.post(f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": "hi"})
    sid: str = sent.json()["sid"]
    receiver.wait_for_events(
        "/events",
        lambda events: len([e for e in events if e["data"].get("messageSid") == sid]) == 3,
    )
    return sid


def _wait_for_attempts(server: Any, count: int) -> None:
    """Event attempts are logged when their answers are read, just after the receiver saw them."""
    deadline = time.monotonic() + 10
    with server.http() as http:
        while time.monotonic() < deadline:
            found = http.get("/_sim/webhooks", params={"Kind": "event"}).json()["webhooks"]
            if len(found) >= count:
                return
            time.sleep(0.05)


def test_events_lists_what_each_sink_was_sent(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
        sink = _subscribe(http, receiver)
        sid = _send(http, receiver)
    _wait_for_attempts(server, 4)

    listed = switchboard(server, "events", "--message", sid)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["TIME", "TYPE", "MESSAGE", "SINK", "ID", "SENT", "HTTP"]
    assert sorted(row.split()[1] for row in rows) == sorted(
        f"messaging.message.{t}" for t in LIFECYCLE
    )
    assert all(sid in row and sink in row and row.split()[-2:] == ["1", "200"] for row in rows)

    delivered = json.loads(switchboard(server, "events", "--type", "delivered", "--json").stdout)
    assert [e["event"]["type"] for e in delivered] == ["com.twilio.messaging.message.delivered"]
    assert delivered[0]["sink_sid"] == sink


def test_events_follow_prints_new_events(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
        _subscribe(http, receiver)
        follower = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "events", "--follow", "--json",
             "--interval", "0.1", "--max-seconds", "4", "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        assert follower.stdout is not None
        first = json.loads(follower.stdout.readline())  # up, and has printed the test event
        assert first["event"]["type"] == "com.twilio.eventstreams.test-event"
        sid = _send(http, receiver)
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    mine = [json.loads(line)["event"] for line in out.splitlines()]
    assert sorted(
        e["type"].rsplit(".", 1)[1] for e in mine if e["data"].get("messageSid") == sid
    ) == sorted(LIFECYCLE)
