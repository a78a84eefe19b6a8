"""Fixtures for the dashboard tests: a live switchboard with a number wired to a tiny TwiML app.

The app (stdlib ``ThreadingHTTPServer`` on a free loopback port) answers every incoming-message
webhook with ``<Message>You said: {Body}</Message>`` (or a thank-you for media or a location),
so a test can watch a reply travel back. Test modules reach everything through the fixtures
(they run under ``--import-mode=importlib`` and cannot import this file).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, live_server

OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"


@dataclass
class TwimlApp:
    """A stand-in for the user's app; ``requests`` keeps each webhook's parsed parameters."""

    url: str
    requests: list[dict[str, str]] = field(default_factory=list)


def _handler(app: TwimlApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            app.requests.append(params)
            if int(params.get("NumMedia", "0")):
                text = f"Thanks for the picture! ({params['NumMedia']} attachment)"
            elif "Latitude" in params:
                who = params.get("ProfileName", "there")
                text = f"Thanks {who}! Pinned {params.get('Label') or params['Latitude']}."
            else:
                text = f"You said: {params.get('Body', '')}"
            body = f"<Response><Message>{escape(text)}</Message></Response>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def twiml_app() -> Iterator[TwimlApp]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(TwimlApp("")))
    app = TwimlApp(f"http://127.0.0.1:{server.server_address[1]}/sms")
    server.RequestHandlerClass = _handler(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dashboard_server(twiml_app: TwimlApp) -> Iterator[LiveServer]:
    """A loopback switchboard whose number OUR_NUMBER sends its webhooks to ``twiml_app``."""
    with live_server() as server:
        response = httpx.post(
            f"{server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": OUR_NUMBER, "SmsUrl": twiml_app.url},
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
        )
        assert response.status_code == 201, response.text
        yield server
