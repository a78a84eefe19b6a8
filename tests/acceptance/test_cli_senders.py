"""``switchboard short-codes`` and the sender rule in ``switchboard messages show``."""

from __future__ import annotations

import json
from typing import Any

from cli_helpers import API, switchboard


def test_short_codes_add_and_list(server_process: Any) -> None:
    server = server_process.start()
    added = switchboard(server, "short-codes", "add", "55555")
    assert added.returncode == 0, added.stderr
    assert "55555" in added.stdout
    assert "SC" in added.stdout
    bad = switchboard(server, "short-codes", "add", "1234")
    assert bad.returncode == 1
    assert "error 20001" in bad.stderr
    listed = json.loads(switchboard(server, "short-codes", "list", "--json").stdout)
    assert [c["short_code"] for c in listed] == ["55555"]
    table = switchboard(server, "short-codes", "list").stdout
    assert table.splitlines()[0].split()[:2] == ["SHORT", "CODE"]


def test_messages_show_says_why_the_service_chose_the_sender(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        number = http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": "+14155550100"})
        service = http.post("/v1/Services", data={"FriendlyName": "cli"}).json()["sid"]
        http.post(
            f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": number.json()["sid"]}
        )
        sent = http.post(
            f"{API}/Messages.json",
            data={"To": "+14155550199", "MessagingServiceSid": service, "Body": "hi"},
        ).json()["sid"]
        found = http.get("/_sim/messages", params={"From": "+14155550100", "Wait": "10"})
        assert found.json()["messages"], found.text
    shown = switchboard(server, "messages", "show", sent)
    assert shown.returncode == 0, shown.stderr
    assert "area_code_geomatch: a number of the pool has the recipient's area code 415" in (
        " ".join(shown.stdout.split())
    )
