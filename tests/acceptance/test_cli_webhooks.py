"""``switchboard webhooks``: list, show and replay the attempts, and the assertion API's
searches and waits over them (``webhooks list`` filters, ``webhooks wait``)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

from cli_helpers import (
    API,
    CREDENTIALS,
    EXIT_FAILED,
    HANDSET,
    NUMBER,
    OTHER,
    PLAIN_ENV,
    inbound,
    next_second,
    own_number,
    rows,
    switchboard,
)


def test_webhooks_list_show_and_replay(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
    texted = switchboard(server, "text", "--from", HANDSET, "--to", NUMBER, "webhook me")
    assert texted.returncode == 0, texted.stderr
    assert texted.stdout.strip() == "(no reply)"  # the receiver answers an empty <Response/>
    [sid] = receiver.values("/sms", "MessageSid")

    listed = switchboard(server, "webhooks", "list", "--message", sid)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["SID", "TIME", "KIND", "MESSAGE", "REQUEST", "HTTP", "MS", "ERROR"]
    attempt = row.split()[0]
    assert attempt.startswith("NO")
    assert "incoming" in row
    assert sid in row
    assert " 200 " in row

    shown = switchboard(server, "webhooks", "show", attempt)
    assert shown.returncode == 0, shown.stderr
    request, response = shown.stdout.split("\nRequest\n")[1].split("\nResponse\n")
    assert f"POST {receiver.base_url}/sms" in request
    assert "X-Twilio-Signature: " in request
    assert f"MessageSid={sid}" in request
    assert "Body=webhook me" in request
    assert "HTTP 200" in response
    assert "<Response />" in response

    replayed = switchboard(server, "webhooks", "replay", attempt)
    assert replayed.returncode == 0, replayed.stderr
    assert "replay (attempt 1)" in replayed.stdout
    assert "HTTP status  200" in replayed.stdout
    assert receiver.values("/sms", "MessageSid") == [sid, sid]
    attempts = json.loads(switchboard(server, "webhooks", "list", "--json").stdout)
    assert [a["kind"] for a in attempts] == ["incoming", "replay"]
    assert switchboard(server, "webhooks", "show", "NO" + "0" * 32).returncode == 1


def test_webhooks_replay_labels_a_note_as_a_note(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
        sid = inbound(http, "replay me")
        [attempt] = http.get("/_sim/webhooks", params={"MessageSid": sid}).json()["webhooks"]

    replayed = switchboard(server, "webhooks", "replay", attempt["sid"])
    assert replayed.returncode == 0, replayed.stderr
    fields = replayed.stdout.split("\nRequest\n")[0].splitlines()
    assert "Error        -" in fields, replayed.stdout
    assert f"Note         replay of {attempt['sid']}" in fields, replayed.stdout

    receiver.route("/sms", status=500)
    failed = switchboard(server, "webhooks", "replay", attempt["sid"])
    assert failed.returncode == EXIT_FAILED, failed.stdout + failed.stderr
    assert (
        "Error        11200: HTTP retrieval failure "
        f"(the application answered HTTP 500; replay of {attempt['sid']})"
    ) in failed.stdout.splitlines()


# --- The assertion API from the command line: searches and waits (issue 19) ----------------------


def test_webhooks_list_filters_and_wait(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    ok_url = f"{receiver.base_url}/sms"
    broken = receiver.route("/broken", status=500)
    with server.http() as http:
        http.post(
            f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER, "SmsUrl": ok_url}
        )
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": OTHER, "SmsUrl": broken})
        good = inbound(http, "fine")
        bad = inbound(http, "boom", to=OTHER)
        last = http.get("/_sim/webhooks", params={"Limit": 1}).json()["webhooks"][-1]
        # The clock answers whole seconds: a --since in the next one leaves these out.
        since = next_second(http, datetime.fromisoformat(last["date_created"]))

    def messages_of(*options: str) -> list[str]:
        listed = switchboard(server, "webhooks", "list", *options, "--json")
        assert listed.returncode == 0, listed.stderr
        return [a["message_sid"] for a in json.loads(listed.stdout)]

    assert messages_of() == [good, bad]  # oldest first, as before
    assert messages_of("--failed") == [bad]
    assert messages_of("--status", "500") == [bad]
    assert messages_of("--status", "200", "--kind", "incoming") == [good]
    assert messages_of("--kind", "status_callback") == []
    assert messages_of("--request-url", broken) == [bad]
    assert messages_of("--error-code", "11200") == [bad]
    assert messages_of("--since", "2999-01-01T00:00:00Z") == []
    assert messages_of("--since", "1h", "--message", good) == [good]
    table = rows(switchboard(server, "webhooks", "list", "--failed"))
    assert [row.split()[3] for row in table] == [bad]
    assert "11200" in table[0]
    bad_kind = switchboard(server, "webhooks", "list", "--kind", "bogus")
    assert bad_kind.returncode == 2

    # wait: the attempt made for a message texted after --since.
    with server.http() as http:
        waiter = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "webhooks", "wait", "--failed", "--since",
             since, "--timeout", "60", "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        inbound(http, "fine again")
        again = inbound(http, "boom again", to=OTHER)
        out, err = waiter.communicate(timeout=90)
    assert waiter.returncode == 0, err
    header, row = out.splitlines()
    assert header.split()[:4] == ["SID", "TIME", "KIND", "MESSAGE"]
    assert row.split()[3] == again
    assert "11200" in row
    shown = switchboard(server, "webhooks", "wait", "--message", again, "--since", "1h", "--json")
    assert json.loads(shown.stdout)["message_sid"] == again
    timed_out = switchboard(server, "webhooks", "wait", "--kind", "fallback", "--timeout", "0.3")
    assert timed_out.returncode == EXIT_FAILED
    [said] = timed_out.stderr.splitlines()
    assert said.startswith("No webhook attempt matched within 0.3 s (kind fallback, since "), said
