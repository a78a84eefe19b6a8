"""What ``switchboard serve`` logs: a line per request and webhook attempt, as text or JSON
lines, or only its shutdown with ``--quiet``."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from cli_helpers import API, NUMBER, inbound, wait_for_log
from switchboard.testing import TEST_ACCOUNT_SID


def logged_exchange(server: Any, receiver: Any) -> tuple[str, str]:
    """An API request refused with 20003, an inbound message and its webhook: their sids."""
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
        sid = inbound(http, "log me")
        [attempt] = http.get("/_sim/webhooks", params={"MessageSid": sid}).json()["webhooks"]
    refused = httpx.get(f"{server.url}{API}/Messages.json", auth=(TEST_ACCOUNT_SID, "wrong"))
    assert refused.status_code == 401
    return sid, attempt["sid"]


def test_serve_logs_each_request_and_webhook_attempt(spawn_server: Any, receiver: Any) -> None:
    server = spawn_server(None, name="text-log").start()
    logged_exchange(server, receiver)
    log = wait_for_log(server, lambda log: "20003" in log)
    lines = log.splitlines()
    assert any(
        re.search(r"\d\d:\d\d:\d\d\.\d{3}  POST /_sim/inbound  201  [\d.]+ ms$", line)
        for line in lines
    ), log
    assert any(
        re.search(rf"webhook incoming POST {receiver.base_url}/sms  200  [\d.]+ ms$", line)
        for line in lines
    ), log
    assert any(re.search(rf"GET {API}/Messages.json  401  [\d.]+ ms  20003$", line)
               for line in lines), log  # fmt: skip
    assert "\x1b[" not in log  # not a terminal: no colour
    server.stop()
    assert server.log.read_text().rstrip().endswith("switchboard stopped")


def test_serve_logs_json_lines(spawn_server: Any, receiver: Any) -> None:
    server = spawn_server(None, "--log-format", "json", name="json-log").start()
    sid, attempt = logged_exchange(server, receiver)
    log = wait_for_log(server, lambda log: "20003" in log)
    server.stop()
    events = [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]
    inbound_request = next(e for e in events if e.get("path") == "/_sim/inbound")
    assert inbound_request["event"] == "request"
    assert inbound_request["method"] == "POST"
    assert inbound_request["status"] == 201
    assert inbound_request["duration_ms"] >= 0
    assert inbound_request["error_code"] is None
    webhook = next(e for e in events if e["event"] == "webhook")
    assert webhook["sid"] == attempt
    assert webhook["message_sid"] == sid
    assert webhook["kind"] == "incoming"
    assert (webhook["method"], webhook["url"], webhook["status"]) == (
        "POST", f"{receiver.base_url}/sms", 200,
    )  # fmt: skip
    refused = next(e for e in events if e.get("status") == 401)
    assert refused["error_code"] == 20003
    assert events[-1]["event"] == "shutdown", log


def test_serve_quiet_logs_only_the_shutdown(spawn_server: Any, receiver: Any) -> None:
    server = spawn_server(None, "--quiet", name="quiet-log").start()
    logged_exchange(server, receiver)
    server.stop()
    log = server.log.read_text()
    assert "/_sim/inbound" not in log
    assert "webhook" not in log
    assert log.rstrip().endswith("switchboard stopped")
