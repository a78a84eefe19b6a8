"""A survey app in the style of Twilio's automated-survey sample: its POST webhook answers with
``redirect(url_for(...))`` (a 302) to a view that accepts only POST, reads ``MessageSid``,
``From`` and ``Body`` and keeps its place in the Flask session cookie. Three texts through
``switchboard text`` against a real ``switchboard serve`` run the whole survey, as on Twilio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, abort, redirect, request, session, url_for
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.serving import make_server

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

NUMBER = "+15555550100"
HANDSET = "+14155550123"
QUESTIONS = ["What is your name?", "What is your favourite colour?"]


def create_survey(auth_token: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = "survey-secret"
    validator = RequestValidator(auth_token)
    app.config["seen"] = []  # (path, method, MessageSid) of every request the app accepted

    @app.before_request
    def signed_by_twilio() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            abort(403)
        app.config["seen"].append((request.path, request.method, request.form["MessageSid"]))

    @app.post("/first-survey")
    def first_survey() -> Any:
        return redirect(url_for("save_response"))  # 302, a relative Location

    @app.post("/survey/response")  # POST only, like the sample's @require_POST views
    def save_response() -> str:
        assert request.form["MessageSid"].startswith("SM")
        answers: list[str] = session.get("answers", [])
        if session.get("from") == request.form["From"]:
            answers.append(request.form["Body"])
        session["from"] = request.form["From"]
        session["answers"] = answers
        response = MessagingResponse()
        if len(answers) < len(QUESTIONS):
            response.message(QUESTIONS[len(answers)])
        else:
            name, colour = answers[:2]
            response.message(f"Thanks {name}, {colour} it is!")
            session.clear()
        return str(response)

    return app


@pytest.fixture
def survey() -> Iterator[tuple[Flask, str]]:
    app = create_survey(TEST_AUTH_TOKEN)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def text(url: str, body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard", "text", "--from", HANDSET, "--to", NUMBER, body,
         "--url", url, "--account-sid", TEST_ACCOUNT_SID, "--auth-token", TEST_AUTH_TOKEN],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_a_302_to_a_post_only_view_runs_the_survey(server_process: Any, survey: Any) -> None:
    app, base = survey
    server_process.start()
    client = Client(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    client.api.base_url = server_process.url
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=f"{base}/first-survey")

    replies = []
    for body in ("survey please", "Ada", "blue"):
        result = text(server_process.url, body)
        assert result.returncode == 0, result.stdout + result.stderr
        replies.append(result.stdout.strip().splitlines()[-1])
    assert replies == [
        f"{NUMBER} → {HANDSET}: {QUESTIONS[0]}",
        f"{NUMBER} → {HANDSET}: {QUESTIONS[1]}",
        f"{NUMBER} → {HANDSET}: Thanks Ada, blue it is!",
    ]
    # Every text: a signed POST to the webhook, then a signed POST of the same message to the
    # view it redirected to.
    seen = app.config["seen"]
    assert [(path, method) for path, method, _ in seen] == [
        ("/first-survey", "POST"),
        ("/survey/response", "POST"),
    ] * 3
    assert all(seen[i][2] == seen[i + 1][2] for i in range(0, 6, 2))
    # The attempt log has both hops of each text, the 302 with its Location.
    with server_process.http() as http:
        attempts = http.get("/_sim/webhooks").json()["webhooks"]
    assert [
        (a["response"]["status"], a["response"]["headers"].get("location")) for a in attempts
    ] == [
        (302, "/survey/response"),
        (200, None),
    ] * 3
