"""``switchboard numbers`` (add, update, list, remove) and ``switchboard reset``, which keeps
them unless told otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from cli_helpers import API, NUMBER, OTHER, PLAIN_ENV, inbound, own_number, switchboard
from switchboard.testing import TEST_ACCOUNT_SID


def test_numbers_add_update_list_and_remove(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    added = switchboard(server, "numbers", "add", NUMBER, "--sms-url", f"{receiver.base_url}/sms",
                        "--status-callback", f"{receiver.base_url}/status")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"SMS URL          {receiver.base_url}/sms" in added.stdout
    updated = switchboard(server, "numbers", "update", NUMBER, "--sms-method", "get",
                          "--fallback-url", f"{receiver.base_url}/fallback",
                          "--friendly-name", "Front desk")  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert "Front desk" in updated.stdout
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": OTHER})

    listed = switchboard(server, "numbers", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:4] == ["NUMBER", "SID", "NAME", "METHOD"]
    front = next(row for row in rows if row.startswith(NUMBER))
    assert "Front desk" in front
    assert "GET" in front
    assert f"{receiver.base_url}/fallback" in front

    with server.http() as http:
        stored = http.get(f"{API}/IncomingPhoneNumbers.json", params={"PhoneNumber": NUMBER})
        number = stored.json()["incoming_phone_numbers"][0]
    assert number["sms_method"] == "GET"
    assert number["sms_fallback_url"] == f"{receiver.base_url}/fallback"
    assert number["status_callback"] == f"{receiver.base_url}/status"

    as_json = json.loads(switchboard(server, "numbers", "list", "--json").stdout)
    assert sorted(n["phone_number"] for n in as_json) == [NUMBER, OTHER]
    other_sid = next(n["sid"] for n in as_json if n["phone_number"] == OTHER)
    by_sid = switchboard(server, "numbers", "update", other_sid, "--sms-url", "http://x.test/")
    assert by_sid.returncode == 0
    assert "http://x.test/" in by_sid.stdout

    duplicate = switchboard(server, "numbers", "add", NUMBER)
    assert duplicate.returncode == 1
    assert "error 21422" in duplicate.stderr
    removed = switchboard(server, "numbers", "remove", OTHER)
    assert removed.returncode == 0
    assert f"Removed {OTHER}" in removed.stdout
    with server.http() as http:
        remaining = http.get(f"{API}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
    assert [n["phone_number"] for n in remaining] == [NUMBER]
    wrong = subprocess.run(
        [sys.executable, "-m", "switchboard", "messages", "list", "--url", server.url,
         "--account-sid", TEST_ACCOUNT_SID, "--auth-token", "wrong"],
        capture_output=True, text=True, env=PLAIN_ENV, timeout=30, check=False,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "error 20003" in wrong.stderr


def test_reset_keeps_numbers_unless_all(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
        inbound(http, "to be forgotten")
        kept = switchboard(server, "reset")  # piped: no confirmation asked
        assert kept.returncode == 0, kept.stderr
        assert "Phone numbers and Messaging Services were kept" in kept.stdout
        assert http.get(f"{API}/Messages.json").json()["messages"] == []
        assert http.get("/_sim/webhooks").json()["webhooks"] == []
        numbers = http.get(f"{API}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
        assert len(numbers) == 1
        everything = switchboard(server, "reset", "--all", "--yes")
        assert everything.returncode == 0, everything.stderr
        numbers = http.get(f"{API}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
        assert numbers == []
