"""The client commands (numbers, messages, webhooks, reset, load) against a live server.

Every command runs as ``python -m switchboard ...`` in a subprocess with its output piped, so
it must print plain text (no ANSI codes); one test runs on a pseudo-terminal for the rich side.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from switchboard.cli.main import cli
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

NUMBER = "+15555550100"
OTHER = "+15555550101"
HANDSET = "+14155550123"
API = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
CREDENTIALS = ["--account-sid", TEST_ACCOUNT_SID, "--auth-token", TEST_AUTH_TOKEN]
# A terminal-looking environment: piped output must still come out plain.
PLAIN_ENV = {
    **{k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}},
    "TERM": "xterm-256color",
    "COLUMNS": "200",
}


def switchboard(server: Any, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the CLI piped, with --url and credential flags; no ANSI codes may appear."""
    result = subprocess.run(
        [sys.executable, "-m", "switchboard", *args, "--url", server.url, *CREDENTIALS],
        capture_output=True, text=True, env=PLAIN_ENV, timeout=timeout, check=False,
    )  # fmt: skip
    assert "\x1b[" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def settled(http: httpx.Client, sid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        exchange: dict[str, Any] = http.get(f"/_sim/messages/{sid}").json()
        done = not exchange["webhook_pending"] and exchange["message"]["status"] in {
            "received", "delivered", "failed", "undelivered",
        }  # fmt: skip
        if done or time.monotonic() > deadline:
            return exchange
        time.sleep(0.05)


def inbound(http: httpx.Client, body: str, to: str = NUMBER) -> str:
    response = http.post("/_sim/inbound", data={"From": HANDSET, "To": to, "Body": body})
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    settled(http, sid)
    return sid


def test_every_command_has_help() -> None:
    runner = CliRunner()
    commands = [["numbers", "list"], ["numbers", "add"], ["numbers", "update"],
                ["numbers", "remove"], ["messages", "list"], ["messages", "show"],
                ["messages", "wait"], ["webhooks", "list"], ["webhooks", "show"],
                ["webhooks", "replay"], ["webhooks", "wait"], ["reset"], ["load"],
                ["short-codes", "add"], ["short-codes", "list"], ["events"],
                ["content", "approve"], ["content", "reject"], ["env"]]  # fmt: skip
    for command in commands:
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "--url" in result.output, command
        assert "--account-sid" in result.output, command
        assert "\x1b[" not in result.output


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


def test_usage_and_connection_errors_are_readable() -> None:
    runner = CliRunner()
    nowhere = ["--url", f"http://127.0.0.1:{free_port()}", *CREDENTIALS]
    unreachable = runner.invoke(cli, ["webhooks", "list", *nowhere])
    assert unreachable.exit_code == 1
    assert "cannot reach switchboard" in unreachable.output
    nothing = runner.invoke(cli, ["numbers", "update", NUMBER, *nowhere])
    assert nothing.exit_code == 2
    assert "nothing to change" in nothing.output
    no_env = {"SWITCHBOARD_ACCOUNT_SID": "", "SWITCHBOARD_AUTH_TOKEN": ""}
    missing = runner.invoke(
        cli, ["messages", "list", "--database", "/nonexistent/switchboard.db"], env=no_env
    )
    assert missing.exit_code == 2
    assert "no credentials" in missing.output


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI piped with exactly ``args`` (no options added)."""
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *args], capture_output=True, text=True,
        env={**PLAIN_ENV, **(env or {})}, timeout=60, check=False,
    )  # fmt: skip


def test_connection_options_go_before_or_after_the_command(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
    connection = ["--url", server.url, *CREDENTIALS]
    nowhere = f"http://127.0.0.1:{free_port()}"
    # Somewhere the credentials are not stored, with the environment pointing nowhere: only
    # the options given count.
    elsewhere = {
        "SWITCHBOARD_URL": nowhere,
        "SWITCHBOARD_ACCOUNT_SID": "",
        "SWITCHBOARD_AUTH_TOKEN": "",
        "SWITCHBOARD_DATABASE": "/nonexistent.db",
    }

    before = run_cli(*connection, "numbers", "list", env=elsewhere)
    assert before.returncode == 0, before.stderr
    assert NUMBER in before.stdout
    after = run_cli("numbers", "list", *connection, env=elsewhere)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    split = run_cli("--url", server.url, "messages", "list", *CREDENTIALS, env=elsewhere)
    assert split.returncode == 0, split.stderr

    # Given at both places, the value after the command wins.
    url_after_wins = run_cli("--url", nowhere, "numbers", "list", *connection, env=elsewhere)
    assert url_after_wins.returncode == 0, url_after_wins.stderr
    assert NUMBER in url_after_wins.stdout
    token_after_wins = run_cli(*connection, "numbers", "list", "--auth-token", "wrong")
    assert token_after_wins.returncode == 1
    assert "error 20003" in token_after_wins.stderr
    unreachable = run_cli(*connection, "webhooks", "list", "--url", nowhere)
    assert unreachable.returncode == 1
    assert f"cannot reach switchboard at {nowhere}" in unreachable.stderr


def test_messages_list_and_show(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
        first = inbound(http, "hello there")
        sent = http.post(
            f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": "out"}
        )
        outbound = sent.json()["sid"]
        settled(http, outbound)
        inbound(http, "elsewhere", to=NUMBER)

    listed = switchboard(server, "messages", "list", "--from", HANDSET, "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:2] == ["SID", "CREATED"]
    assert len(lines) == 3  # the two inbound messages, newest first
    assert lines[2].startswith(first)
    assert "hello there" in lines[2]
    assert "received" in lines[2]
    limited = json.loads(switchboard(server, "messages", "list", "--limit", "1", "--json").stdout)
    assert len(limited) == 1

    shown = switchboard(server, "messages", "show", outbound)
    assert shown.returncode == 0, shown.stderr
    timeline = shown.stdout.split("Timeline")[1].split("Webhooks")[0]
    assert [w for w in ("queued", "sending", "sent", "delivered") if w in timeline] == [
        "queued", "sending", "sent", "delivered",
    ]  # fmt: skip
    shown = switchboard(server, "messages", "show", first)
    assert "Status     received" in shown.stdout
    webhooks = shown.stdout.split("Webhooks")[1].split("Replies")[0]
    assert "incoming" in webhooks
    assert f"POST {receiver.base_url}/sms" in webhooks
    assert "200" in webhooks
    missing = switchboard(server, "messages", "show", "SM" + "0" * 32)
    assert missing.returncode == 1
    assert "20404" in missing.stderr


def test_messages_follow_prints_new_messages_and_status_changes(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
        before = inbound(http, "already here")
        follower = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "messages", "list", "--follow",
             "--interval", "0.1", "--max-seconds", "3", "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        assert follower.stdout is not None
        first = follower.stdout.readline()  # it is up and has printed what was there
        sent = http.post(f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": "hi"})
        outbound = sent.json()["sid"]
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert before in first
    assert "already here" in first
    assert "\x1b[" not in first + out
    lines = out.splitlines()
    mine = [line.split()[2] for line in lines if outbound in line]
    assert mine[-1] == "delivered", out
    assert {"sent", "delivered"} <= set(mine), out
    assert any("outbound-api" in line and "hi" in line for line in lines if outbound in line)


def test_webhooks_list_show_and_replay(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
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


def test_reset_keeps_numbers_unless_all(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
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
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
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


def test_load_sends_messages_and_summarises_webhooks(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    dead = f"http://127.0.0.1:{free_port()}/sms"
    with server.http() as http:
        for number, url in ((NUMBER, f"{receiver.base_url}/sms"), (OTHER, dead)):
            http.post(f"{API}/IncomingPhoneNumbers.json",
                      data={"PhoneNumber": number, "SmsUrl": url})  # fmt: skip

    result = switchboard(server, "load", "--to", NUMBER, "--count", "40", "--rate", "200",
                         "--concurrency", "8", "--body", "load {n}")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Messages sent     40 in" in result.stdout
    assert "Webhook attempts  40" in result.stdout
    assert "p50" in result.stdout
    assert "p99" in result.stdout
    assert "max" in result.stdout
    assert "Replies           0" in result.stdout
    assert "Webhook errors    none" in result.stdout
    assert len(receiver.values("/sms", "MessageSid")) == 40
    assert len(set(receiver.values("/sms", "From"))) == 40
    assert set(receiver.values("/sms", "Body")) == {f"load {n}" for n in range(1, 41)}

    failing = switchboard(server, "load", "--to", OTHER, "--count", "5", "--rate", "0", "--json")
    assert failing.returncode == 4, failing.stderr  # the run completed; webhooks failed
    report = json.loads(failing.stdout)
    assert report["messages_sent"] == 5
    assert report["ok"] is False
    assert report["errors"]["11205"]["count"] == report["webhook_attempts"] >= 5
    unknown = switchboard(server, "load", "--to", "+15555550199", "--count", "3")
    assert unknown.returncode == 1
    assert "not a phone number of this account" in unknown.stderr


# --- Nothing fails silently (exit statuses: docs/cli.md#exit-status) -----------------------------

EXIT_FAILED = 4  # the command did its job and something in it failed


def test_text_marks_a_failed_reply_with_its_code_and_exits_4(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    sms = receiver.route("/sms", "<Response><Message>Thanks!</Message></Response>")
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER, "SmsUrl": sms})
        inbound(http, "STOP")  # the handset opts out: the app's replies now fail with 21610

    texted = switchboard(server, "text", "--from", HANDSET, "--to", NUMBER, "hello")
    assert texted.returncode == EXIT_FAILED, texted.stdout + texted.stderr
    [reply] = [line for line in texted.stdout.splitlines() if "Thanks!" in line]
    assert reply.startswith(f"{NUMBER} → {HANDSET}: Thanks!"), reply
    assert reply.endswith("✗ failed 21610: Attempt to send to unsubscribed recipient"), reply

    with server.http() as http:
        inbound(http, "START")
        settled_reply = switchboard(server, "text", "--from", HANDSET, "--to", NUMBER, "again")
    assert settled_reply.returncode == 0, settled_reply.stdout + settled_reply.stderr
    assert f"{NUMBER} → {HANDSET}: Thanks!" in settled_reply.stdout
    assert "✗" not in settled_reply.stdout


def test_text_prints_one_labelled_line_per_failed_attempt(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    dead = f"http://127.0.0.1:{free_port()}/sms"
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER, "SmsUrl": dead})

    texted = switchboard(server, "text", "--from", HANDSET, "--to", NUMBER, "anyone there?")
    assert texted.returncode == EXIT_FAILED, texted.stdout + texted.stderr
    assert "ssl:default" not in texted.stdout + texted.stderr
    failures = [line for line in texted.stdout.splitlines() if line.startswith("✗")]
    # A refused connection is retried once (Twilio's default policy): two attempts, two lines.
    port = dead.split(":")[2].split("/")[0]
    assert failures == [
        f"✗ incoming attempt {n} POST {dead} failed 11205: HTTP connection failure"
        f" (cannot connect to 127.0.0.1:{port}: connection refused)"
        for n in (1, 2)
    ], texted.stdout
    with server.http() as http:  # the attempt log (and the dashboard) get the clean detail too
        details = [a["error_detail"] for a in http.get("/_sim/webhooks").json()["webhooks"]]
    assert details == [f"cannot connect to 127.0.0.1:{port}: connection refused"] * 2


def test_webhooks_replay_labels_a_note_as_a_note(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
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


def test_messages_follow_shows_a_new_message_from_queued(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
        inbound(http, "already here")
        follower = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "messages", "list", "--follow",
             "--interval", "0.5", "--max-seconds", "60", "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        assert follower.stdout is not None
        follower.stdout.readline()  # it is up and has printed what was there
        sent = http.post(f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": "hi"})
        outbound = sent.json()["sid"]
        settled(http, outbound)  # it moves on between two polls
        lines: list[str] = []
        while not any(outbound in line and "delivered" in line for line in lines):
            line = follower.stdout.readline()  # '' once --max-seconds stopped it
            if not line:
                break
            lines.append(line)
        follower.terminate()
        follower.communicate(timeout=30)
    mine = [line.split()[2] for line in lines if outbound in line]
    assert mine == ["queued", "sending", "sent", "delivered"], "".join(lines)


# --- Daily use: what is shown can be pasted, errors say what to do (issue 19) --------------------

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


def serve_once(database: Path, account_sid: str, auth_token: str) -> None:
    """Run ``switchboard serve`` on ``database`` until it has announced itself (so the database
    holds a main account with these credentials), then stop it."""
    env = {
        **PLAIN_ENV,
        "SWITCHBOARD_ACCOUNT_SID": account_sid,
        "SWITCHBOARD_AUTH_TOKEN": auth_token,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "serve", "--port", "0", "--database", str(database)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.strip().startswith("Database"):
                break
        else:
            pytest.fail("switchboard serve exited before announcing itself")
    finally:
        process.terminate()
        process.communicate(timeout=30)


NO_CREDENTIALS_ENV = {"SWITCHBOARD_ACCOUNT_SID": "", "SWITCHBOARD_AUTH_TOKEN": ""}


def test_unreadable_stored_credentials_say_why_and_where(tmp_path: Path) -> None:
    def listing(database: Path) -> subprocess.CompletedProcess[str]:
        url = f"http://127.0.0.1:{free_port()}"  # never reached: the credentials come first
        return run_cli("numbers", "list", "--url", url, "--database", str(database),
                       env=NO_CREDENTIALS_ENV)  # fmt: skip

    missing = listing(tmp_path / "missing.db")
    assert missing.returncode == 2
    assert f"no credentials: there is no database at {tmp_path / 'missing.db'}" in missing.stderr

    folder = listing(tmp_path)
    assert folder.returncode == 1
    assert f"the database {tmp_path} is not a file" in folder.stderr

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, just bytes " * 100)
    not_sqlite = listing(garbage)
    assert not_sqlite.returncode == 1
    assert f"cannot open the database file {garbage}: file is not a database" in not_sqlite.stderr

    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    not_ours = listing(other)
    assert not_ours.returncode == 1
    assert f"{other} is not a switchboard database" in not_ours.stderr
    with contextlib.closing(sqlite3.connect(other)) as connection:  # and it was left alone
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["notes"]

    empty = tmp_path / "empty.db"
    assert run_cli("db", "migrate", "--database", str(empty)).returncode == 0
    no_account = listing(empty)
    assert no_account.returncode == 2
    assert f"the database {empty} holds no main account" in no_account.stderr


def test_rejected_credentials_say_where_they_came_from(server_process: Any, tmp_path: Path) -> None:
    server = server_process.start()
    nothing_stored = {**NO_CREDENTIALS_ENV, "SWITCHBOARD_DATABASE": str(tmp_path / "none.db")}

    flags = run_cli("numbers", "list", "--url", server.url, "--account-sid", TEST_ACCOUNT_SID,
                    "--auth-token", "wrong", env=nothing_stored)  # fmt: skip
    assert flags.returncode == 1
    assert "error 20003" in flags.stderr
    assert "the credentials came from --account-sid and --auth-token" in flags.stderr

    variables = run_cli("numbers", "list", "--url", server.url, env={
        **nothing_stored, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "SWITCHBOARD_AUTH_TOKEN": "wrong",
    })  # fmt: skip
    assert variables.returncode == 1
    assert (
        "the credentials came from SWITCHBOARD_ACCOUNT_SID and SWITCHBOARD_AUTH_TOKEN"
        in variables.stderr
    )

    elsewhere = tmp_path / "elsewhere.db"  # another server's database: another main account
    serve_once(elsewhere, "AC" + "2" * 32, "another-auth-token-0123456789abcd")
    stored = run_cli("numbers", "list", "--url", server.url, "--database", str(elsewhere),
                     env=NO_CREDENTIALS_ENV)  # fmt: skip
    assert stored.returncode == 1
    assert "error 20003" in stored.stderr
    assert f"the credentials came from the main account stored in {elsewhere}" in stored.stderr


def test_an_unreachable_server_suggests_starting_one() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_cli("messages", "list", "--url", nowhere, *CREDENTIALS)
    assert result.returncode == 1
    assert f"cannot reach switchboard at {nowhere}" in result.stderr
    assert "switchboard serve" in result.stderr


def test_database_before_serve_is_the_database_served(spawn_server: Any, tmp_path: Path) -> None:
    database = tmp_path / "given-before.db"
    server = spawn_server(tmp_path / "given-after.db")
    server.command = lambda *more: [  # type: ignore[method-assign]
        sys.executable, "-m", "switchboard", "--database", str(database), "serve",
        "--port", str(server.port), *more,
    ]  # fmt: skip
    server.start()
    assert database.is_file()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
    # The client commands find the credentials in the same database, given the same way.
    listed = run_cli("--database", str(database), "numbers", "list", "--url", server.url,
                     env=NO_CREDENTIALS_ENV)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert NUMBER in listed.stdout
    migrated = run_cli("--database", str(tmp_path / "migrated.db"), "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "migrated.db").is_file()

    misplaced = run_cli("--url", server.url, "serve", "--port", "0")
    assert misplaced.returncode == 2
    assert "--url is for the client commands, not serve" in misplaced.stderr


def test_text_sends_from_the_dashboards_handset_by_default(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
    texted = switchboard(server, "text", "--to", NUMBER, "no from given")
    assert texted.returncode == 0, texted.stderr
    assert receiver.values("/sms", "From") == ["+15555550123"]  # web/static/index.html's From


def test_content_approval_by_hand_and_a_tap_from_the_command_line(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start("--content-approval", "manual")
    ours, handset = f"whatsapp:{NUMBER}", "whatsapp:+15555550123"
    quick = {"body": "Will you be home?", "actions": [{"title": "Yes", "id": "home_yes"}]}
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
        content = http.post("/v1/Content", json={
            "language": "en", "friendly_name": "Home check",
            "types": {"twilio/quick-reply": quick},
        }).json()  # fmt: skip
        submitted = http.post(
            f"/v1/Content/{content['sid']}/ApprovalRequests/whatsapp",
            json={"name": "home_check", "category": "UTILITY"},
        )
        assert submitted.json()["status"] == "received"
        approved = switchboard(server, "content", "approve", content["sid"])
        assert approved.returncode == 0, approved.stderr
        assert f"{content['sid']} home_check (UTILITY): approved" in approved.stdout
        message = {"To": handset, "From": ours, "ContentSid": content["sid"]}
        sent = http.post(f"{API}/Messages.json", data=message).json()
    tapped = switchboard(server, "text", "--from", handset, "--to", ours,
                         "--reply-to", sent["sid"], "--button", "home_yes")  # fmt: skip
    assert tapped.returncode == 0, tapped.stderr
    assert receiver.values("/sms", "ButtonPayload") == ["home_yes"]
    assert receiver.values("/sms", "Body") == ["Yes"]
    assert receiver.values("/sms", "ButtonType") == ["REPLY"]
    unknown = switchboard(server, "text", "--from", handset, "--to", ours,
                          "--reply-to", sent["sid"], "--button", "nope")  # fmt: skip
    assert unknown.returncode != 0
    assert "home_yes" in unknown.stdout + unknown.stderr


def wait_for_log(server: Any, condition: Any, timeout: float = 20) -> str:
    """The server's log once ``condition(log)`` holds (fails with the log after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        log: str = server.log.read_text()
        if condition(log):
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.05)


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


# --- The assertion API from the command line: searches and waits (issue 19) ----------------------


def rows(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The data lines of a piped table (its header dropped); [] for its empty message."""
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    return [] if lines[0].startswith("No ") else lines[1:]


def server_now(http: httpx.Client) -> str:
    now: str = http.get("/_sim/clock").json()["now"]
    return now


def next_second(http: httpx.Client, then: datetime) -> str:
    """The server's time once its clock has passed ``then`` (a time to the second)."""
    while datetime.fromisoformat(now := server_now(http)) <= then:
        time.sleep(0.05)  # the condition is the clock's next second: at most one second away
    return now


def test_messages_list_filters_by_status_direction_body_and_since(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json",
                  data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"})  # fmt: skip
        coded = inbound(http, "your code is 1234")
        hello = inbound(http, "Hello there")
        sent = http.post(
            f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": "out"}
        )
        outbound = sent.json()["sid"]
        settled(http, outbound)

    def sids(*options: str) -> list[str]:
        return [row.split()[0] for row in rows(switchboard(server, "messages", "list", *options))]

    assert sids("--direction", "inbound") == [hello, coded]  # newest first
    assert sids("--direction", "outbound-api") == [outbound]
    assert sids("--status", "delivered") == [outbound]
    assert sids("--status", "received", "--from", HANDSET) == [hello, coded]
    assert sids("--body", r"code is \d+") == [coded]
    assert sids("--body", "(?i)^hello") == [hello]
    assert sids("--since", "2999-01-01T00:00:00Z") == []
    assert sids("--since", "1h") == [outbound, hello, coded]
    assert sids("--since", "2000-01-01 00:00:00") == [outbound, hello, coded]  # UTC
    listed = json.loads(switchboard(server, "messages", "list", "--body", "code", "--json").stdout)
    assert [m["sid"] for m in listed] == [coded]
    assert listed[0]["body"] == "your code is 1234"  # Twilio's Message JSON, as before

    # Above the assertion API's 1,000 the REST API's pages are read: To and From only.
    assert sids("--limit", "1001", "--to", NUMBER) == [hello, coded]
    refused = switchboard(server, "messages", "list", "--limit", "1001", "--status", "sent")
    assert refused.returncode == 2
    assert "above 1000, messages are listed with --to and --from only" in refused.stderr
    for bad, says in (
        (["--body", "("], "not a regular expression"),
        (["--since", "yesterday"], "'yesterday' is not a time"),
        (["--status", "bogus"], "'bogus' is not one of"),
        (["--direction", "outbound"], "'outbound' is not one of"),
    ):
        result = switchboard(server, "messages", "list", *bad)
        assert result.returncode == 2, result.stderr
        assert says in result.stderr


def test_messages_wait_prints_the_message_that_arrives(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
        text = {"To": HANDSET, "From": NUMBER}
        old = http.post(f"{API}/Messages.json", data={**text, "Body": "Your code is 1111"})
        settled(http, old.json()["sid"])
        # The clock answers whole seconds: a --since in the next one leaves the old text out.
        since = next_second(http, parsedate_to_datetime(old.json()["date_created"]))
        waiter = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "messages", "wait", "--to", HANDSET,
             "--body", r"code is (\d+)", "--since", since, "--status", "delivered",
             "--timeout", "60", "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        sent = http.post(f"{API}/Messages.json", data={**text, "Body": "Your code is 2222"})
        new = sent.json()["sid"]
        out, err = waiter.communicate(timeout=90)
    assert waiter.returncode == 0, err
    # One line: time, SID, status, direction, addresses, body.
    [line] = out.splitlines()
    assert line.split()[1:4] == [new, "delivered", "outbound-api"], line
    assert line.endswith(f"{NUMBER} → {HANDSET}  Your code is 2222"), line

    # By default only a message created from now on counts: the two above are too old.
    timed_out = switchboard(server, "messages", "wait", "--to", HANDSET, "--timeout", "0.5")
    assert timed_out.returncode == EXIT_FAILED
    assert timed_out.stdout == ""
    [said] = timed_out.stderr.splitlines()
    assert said.startswith(f"No message matched within 0.5 s (to {HANDSET}, since "), said
    # An earlier --since finds the newest match at once; --json prints its JSON.
    found = switchboard(server, "messages", "wait", "--to", HANDSET, "--since", "10m", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["sid"] == new
    whole = switchboard(server, "messages", "wait", "--since", "1h", "--body", r"\d{4}",
                        "--extract", "0")  # fmt: skip
    assert whole.stdout == "2222\n"
    older = switchboard(server, "messages", "wait", "--since", "1h", "--body", "code is (1+)",
                        "--extract", "1")  # fmt: skip
    assert older.stdout == "1111\n"
    for bad, says in (
        (["--extract", "1"], "needs --body"),
        (["--body", "code", "--extract", "1"], "--body has 0 capture group(s)"),
        (["--timeout", "-1"], "-1"),
    ):
        result = switchboard(server, "messages", "wait", *bad)
        assert result.returncode == 2, result.stderr
        assert says in result.stderr


def test_messages_wait_by_default_answers_with_a_new_message_only(server_process: Any) -> None:
    """Without --since only a text made after the wait began counts, even one made in the same
    second as an older match (the server's clock answers whole seconds)."""
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})

        def text(code: int) -> None:
            body = f"Your code is {code}"
            sent = http.post(
                f"{API}/Messages.json", data={"To": HANDSET, "From": NUMBER, "Body": body}
            )
            assert sent.status_code == 201, sent.text

        text(1000)  # there before the wait, and likely in its first second
        waiter = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "messages", "wait", "--to", HANDSET,
             "--body", r"code is (\d+)", "--extract", "1", "--timeout", "60",
             "--url", server.url, *CREDENTIALS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PLAIN_ENV,
        )  # fmt: skip
        # The waiter's start cannot be seen from here: text until it answers.
        sent = []
        for code in range(1001, 1400):
            text(code)
            sent.append(str(code))
            with contextlib.suppress(subprocess.TimeoutExpired):
                waiter.wait(timeout=0.1)
            if waiter.returncode is not None:
                break
        out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert out.strip() in sent, out


def test_a_shell_script_reads_a_verification_code(server_process: Any, tmp_path: Path) -> None:
    """The documented use (docs/cli.md): a script triggers a text and reads the code from it."""
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
    script = tmp_path / "signup.sh"
    script.write_text(
        'set -eu\n'
        'switchboard() { "$PYTHON" -m switchboard "$@"; }\n'
        'since=$(date -u +%Y-%m-%dT%H:%M:%SZ)\n'
        '# the app under test texts a code (here: straight through the REST API)\n'
        'curl -sf -u "$SWITCHBOARD_ACCOUNT_SID:$SWITCHBOARD_AUTH_TOKEN" -o /dev/null \\\n'
        '  "$SWITCHBOARD_URL/2010-04-01/Accounts/$SWITCHBOARD_ACCOUNT_SID/Messages.json" \\\n'
        f'  -d To={HANDSET} -d From={NUMBER} --data-urlencode "Body=Your code: 424242"\n'
        f"code=$(switchboard messages wait --to {HANDSET} --since \"$since\" \\\n"
        "  --body 'code: (\\d+)' --extract 1)\n"
        'echo "entering $code"\n'
        f"if switchboard messages wait --to {HANDSET} --timeout 0.2 >/dev/null; then\n"
        '  echo "no second code"; else echo "none: exit $?"; fi\n'
    )  # fmt: skip
    env = {**PLAIN_ENV, "PYTHON": sys.executable, "SWITCHBOARD_URL": server.url,
           "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env,
                            timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["entering 424242", "none: exit 4"], result.stdout
    assert result.stderr.startswith("No message matched within 0.2 s"), result.stderr


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


def test_text_waits_for_a_slow_app_and_says_when_it_is_still_pending(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    slow = receiver.route("/slow", "<Response><Message>Sorry, I was slow</Message></Response>",
                          delay=1.5)  # fmt: skip
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER, "SmsUrl": slow})
    # Within --timeout: the reply once the app answers (the attempt is waited for, not polled).
    answered = switchboard(server, "text", "--to", NUMBER, "hello?")
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert answered.stdout.splitlines() == [f"{NUMBER} → +15555550123: Sorry, I was slow"]
    # Past it: the command says so and exits 4.
    pending = switchboard(server, "text", "--to", NUMBER, "--timeout", "0.3", "anyone?")
    assert pending.returncode == EXIT_FAILED, pending.stdout + pending.stderr
    assert "✗ the webhook was still pending after 0.3 s" in pending.stdout.splitlines()
