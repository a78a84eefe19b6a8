"""The ``switchboard`` fixture, exercised the way users run it: in a pytest session of its own."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ASGI_APP = """
from urllib.parse import parse_qsl

async def sms_app(scope, receive, send):
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    params = dict(parse_qsl(body.decode()))
    twiml = f"<Response><Message>ASGI heard: {params['Body']}</Message></Response>".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml")]})
    await send({"type": "http.response.body", "body": twiml})
"""

WSGI_APP = """
from urllib.parse import parse_qsl

def sms_app(environ, start_response):
    size = int(environ.get("CONTENT_LENGTH") or 0)
    params = dict(parse_qsl(environ["wsgi.input"].read(size).decode()))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"WSGI heard: {params['Body']}".encode()]
"""


def test_asgi_app_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        ASGI_APP
        + """
def test_reply(switchboard):
    number = switchboard.number(sms_app)
    replies = switchboard.text("hello", to=number)
    assert replies.bodies == ["ASGI heard: hello"]
    assert replies[0].to == "+15555550123" and replies[0].from_ == number
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_wsgi_app_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        WSGI_APP
        + """
def test_reply(switchboard):
    switchboard.number(sms_app)
    assert switchboard.text("hi").bodies == ["WSGI heard: hi"]
    [inbound] = [m for m in switchboard.messages() if m["direction"] == "inbound"]
    assert inbound["body"] == "hi"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_url_app_over_real_http(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from twilio.request_validator import RequestValidator
from urllib.parse import parse_qsl

def test_reply(switchboard):
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            params = dict(parse_qsl(body, keep_blank_values=True))
            url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
            seen["valid"] = RequestValidator(switchboard.auth_token).validate(
                url, params, self.headers["X-Twilio-Signature"])
            reply = b"<Response><Message>over HTTP</Message></Response>"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        switchboard.number(f"http://127.0.0.1:{server.server_port}/sms")
        assert switchboard.text("ping").bodies == ["over HTTP"]
        assert seen["valid"] is True
    finally:
        server.shutdown()
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


FAILING_APP = """
async def sms_app(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b"boom"})
"""


def test_failing_webhook_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        FAILING_APP
        + """
def test_app_errors(switchboard):
    switchboard.number(sms_app)
    assert switchboard.text("hi").bodies == []
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*webhooks to your app failed*", "*error 11200*", "*boom*"])


def test_failing_webhook_allowed_by_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        FAILING_APP
        + """
import pytest

@pytest.mark.switchboard(allow_webhook_errors=True)
def test_app_errors(switchboard):
    switchboard.number(sms_app)
    switchboard.text("hi")
    [attempt] = switchboard.failed_webhooks()
    assert attempt["response"]["status"] == 500
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_clock_advance_moves_outbound_messages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
def test_lifecycle(switchboard):
    number = switchboard.number()
    message = switchboard.client.messages.create(to="+15555550199", from_=number, body="hi")
    assert message.status == "queued"
    switchboard.settle()
    assert switchboard.client.messages(message.sid).fetch().status == "queued"
    switchboard.advance(5)
    assert switchboard.client.messages(message.sid).fetch().status == "delivered"
    found = switchboard.wait_for_message(body="^hi$", status="delivered")
    assert found["sid"] == message.sid
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_asgi_app_may_call_switchboard_with_the_blocking_sdk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
from urllib.parse import parse_qsl

def make_app(switchboard):
    async def app(scope, receive, send):
        event = await receive()
        params = dict(parse_qsl(event.get("body", b"").decode()))
        # A blocking call back to switchboard from inside the app (the sync twilio Client).
        switchboard.client.messages.create(
            to=params["From"], from_=params["To"], body="sent through the REST API"
        )
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/xml")]})
        await send({"type": "http.response.body", "body": b"<Response/>"})
    return app

def test_rest_call_from_the_app(switchboard):
    switchboard.number(make_app(switchboard))
    assert switchboard.text("hi").bodies == []
    found = switchboard.wait_for_message(body="sent through the REST API")
    assert found["direction"] == "outbound-api"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


FLASK_SESSION_APP = """
from flask import Flask, session
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)
app.secret_key = "tests only"


@app.post("/sms")
def sms():
    # Twilio's SMS conversation tutorial: state kept in a cookie-backed session.
    count = session.get("count", 0) + 1
    session["count"] = count
    response = MessagingResponse()
    response.message(f"Message {count} from you")
    return str(response)
"""


def test_a_flask_session_lasts_the_conversation(pytester: pytest.Pytester) -> None:
    """Cookies the app sets come back on the same conversation's next webhooks (SPEC §1.3), so
    session-based SMS apps work in-process as they do against Twilio."""
    pytester.makepyfile(
        FLASK_SESSION_APP
        + """
def test_conversation(switchboard):
    switchboard.number(app, path="/sms")
    assert switchboard.text("one").bodies == ["Message 1 from you"]
    assert switchboard.text("two").bodies == ["Message 2 from you"]
    assert switchboard.text("hi", from_="+15555550777").bodies == ["Message 1 from you"]
    assert switchboard.text("three").bodies == ["Message 3 from you"]
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_loop_protection_is_off_by_default_and_on_by_marker(pytester: pytest.Pytester) -> None:
    """Under the frozen clock all 31 replies are simultaneous: the plugin lets them go, unless
    the test asks for Twilio's loop protection (then the 31st fails with 14107 for 30 s)."""
    pytester.makepyfile(
        ASGI_APP
        + """
import pytest

def test_default(switchboard):
    switchboard.number(sms_app)
    statuses = [switchboard.text(f"ping {i}")[0].status for i in range(31)]
    assert "failed" not in statuses

@pytest.mark.switchboard(loop_protection=True)
def test_on(switchboard):
    switchboard.number(sms_app)
    statuses = [switchboard.text(f"ping {i}")[0].status for i in range(31)]
    assert statuses == ["queued"] * 30 + ["failed"]
    [held] = [m for m in switchboard.messages() if m["status"] == "failed"]
    assert held["error_code"] == 14107 and held["body"] == "ASGI heard: ping 30"
    switchboard.advance(30)
    assert switchboard.text("after the hold")[0].status != "failed"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


EVENTS_APP = """
from flask import Flask, request
from twilio.request_validator import RequestValidator
from switchboard.testing import TEST_AUTH_TOKEN

app = Flask(__name__)
received = []

@app.post("/sms")
def sms():
    return "<Response/>", 200, {"Content-Type": "text/xml"}

@app.post("/events")
def events():
    body = request.get_data(as_text=True)
    valid = RequestValidator(TEST_AUTH_TOKEN).validate(
        request.url, body, request.headers.get("X-Twilio-Signature", "")
    )
    received.append((valid, request.get_json()))
    return "", 200 if valid else 403
"""


def test_an_app_subscribed_as_an_event_sink(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        EVENTS_APP
        + """
PREFIX = "com.twilio.messaging.message."

def test_events(switchboard):
    number = switchboard.number(app, path="/sms")
    sink = switchboard.event_sink(app, path="/events")
    sid = switchboard.client.messages.create(to="+15555550123", from_=number, body="hi").sid
    switchboard.advance(5)
    assert sink.types(sid) == [PREFIX + "queued", PREFIX + "sent", PREFIX + "delivered"]
    switchboard.text("hello")
    [inbound] = sink.events("com.twilio.messaging.inbound-message.received")
    assert inbound["data"]["body"] == "hello"
    assert received and all(valid for valid, _ in received)
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_an_event_sink_that_answers_an_error_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
def broken(environ, start_response):
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"boom"]

def test_events(switchboard):
    switchboard.event_sink(broken, types=["com.twilio.messaging.message.queued"])
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*webhook event POST http://app1.switchboard.test/?bodySHA256=*"])
