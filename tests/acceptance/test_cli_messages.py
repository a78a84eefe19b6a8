"""``switchboard messages``: list, show and follow, and the assertion API's searches and waits
(``messages list`` filters, ``messages wait``) as a shell script uses them."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from cli_helpers import (
    API,
    CREDENTIALS,
    EXIT_FAILED,
    HANDSET,
    NUMBER,
    PLAIN_ENV,
    inbound,
    next_second,
    own_number,
    rows,
    settled,
    switchboard,
)
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN


def test_messages_list_and_show(server_process: Any, receiver: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
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


# --- The assertion API from the command line: searches and waits (issue 19) ----------------------


def test_messages_list_filters_by_status_direction_body_and_since(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
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
