"""The client commands on a pseudo-terminal: coloured tables that never cut a SID, and
``reset`` asking first (every other test pipes the output, which must stay plain)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

from cli_helpers import API, CREDENTIALS, NUMBER, PLAIN_ENV, inbound, own_number


def run_on_terminal(server: Any, *args: str, answer: bytes = b"", columns: int = 200) -> str:
    """The CLI on a pseudo-terminal ``columns`` wide (rich reads COLUMNS): all it wrote."""
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", *args, "--url", server.url, *CREDENTIALS],
        stdin=terminal, stdout=terminal, stderr=terminal,
        env={**PLAIN_ENV, "COLUMNS": str(columns)},
    )  # fmt: skip
    os.close(terminal)
    if answer:
        os.write(controller, answer)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed when the process exited
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=30)
    os.close(controller)
    return output.decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_tables_are_coloured_and_reset_asks_first(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
        inbound(http, "on a terminal")

    def on_terminal(*args: str, answer: bytes = b"") -> str:
        return run_on_terminal(server, *args, answer=answer)

    listed = on_terminal("messages", "list")
    assert "\x1b[" in listed
    assert "on a terminal" in listed
    assert "received" in listed
    declined = on_terminal("reset", answer=b"n\n")
    assert "Delete all messages" in declined
    assert "Aborted" in declined
    with server.http() as http:
        assert len(http.get(f"{API}/Messages.json").json()["messages"]) == 1


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_tables_on_a_terminal_never_cut_a_sid(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    long_url = f"{receiver.base_url}/sms/" + "a-rather-long-path/" * 4
    receiver.route(long_url.removeprefix(receiver.base_url), "<Response/>")
    body = "a body long enough to be shortened on a terminal, " * 2
    with server.http() as http:
        created = http.post(f"{API}/IncomingPhoneNumbers.json", data={
            "PhoneNumber": NUMBER, "SmsUrl": long_url, "FriendlyName": "The front desk line",
            "StatusCallback": f"{receiver.base_url}/status/" + "x" * 40,
        }).json()  # fmt: skip
        message = inbound(http, body)
        [attempt] = http.get("/_sim/webhooks", params={"MessageSid": message}).json()["webhooks"]

    tables = {
        ("numbers", "list"): [created["sid"]],
        ("messages", "list"): [message],
        ("webhooks", "list"): [attempt["sid"], message],
        ("messages", "show", message): [message, attempt["sid"]],
    }
    for columns in (80, 50):
        for command, sids in tables.items():
            shown = ANSI.sub("", run_on_terminal(server, *command, columns=columns))
            for sid in sids:
                assert sid in shown, (columns, command, shown)
    wide = ANSI.sub("", run_on_terminal(server, "messages", "list", "--wide", columns=80))
    assert body.strip() in wide.replace("\r\n", "\n").replace("\n", ""), wide
    wide = ANSI.sub("", run_on_terminal(server, "numbers", "list", "--wide", columns=80))
    assert long_url in wide.replace("\r\n", "\n").replace("\n", ""), wide
