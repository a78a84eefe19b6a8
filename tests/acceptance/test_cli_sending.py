"""Sending from the command line: ``switchboard text`` (a handset's message and the app's
replies, each failure on a line of its own and exit status 4), a button tap on approved
content, and ``switchboard load``."""

from __future__ import annotations

import json
from typing import Any

from cli_helpers import API, EXIT_FAILED, HANDSET, NUMBER, OTHER, inbound, own_number, switchboard
from switchboard.testing import free_port


def test_text_sends_from_the_dashboards_handset_by_default(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start()
    with server.http() as http:
        own_number(http, receiver)
    texted = switchboard(server, "text", "--to", NUMBER, "no from given")
    assert texted.returncode == 0, texted.stderr
    assert receiver.values("/sms", "From") == ["+15555550123"]  # web/static/index.html's From


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


def test_content_approval_by_hand_and_a_tap_from_the_command_line(
    server_process: Any, receiver: Any
) -> None:
    server = server_process.start("--content-approval", "manual")
    ours, handset = f"whatsapp:{NUMBER}", "whatsapp:+15555550123"
    quick = {"body": "Will you be home?", "actions": [{"title": "Yes", "id": "home_yes"}]}
    with server.http() as http:
        own_number(http, receiver)
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
