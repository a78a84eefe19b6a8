"""Fixtures for the dashboard tests: a live switchboard with a number wired to a tiny TwiML app.

The app is the public test receiver (``switchboard.testing.TestReceiver``) answering every
incoming-message webhook at ``/sms`` with ``<Message>You said: {Body}</Message>`` (or a
thank-you for media or a location), so a test can watch a reply travel back. Test modules reach
everything through the fixtures (they run under ``--import-mode=importlib`` and cannot import
this file).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.twiml.messaging_response import MessagingResponse

from switchboard.receiver import Reply, Request
from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    TestReceiver,
    live_server,
)

# CI keeps this folder as its artifacts (build/ is ignored by git); SWITCHBOARD_SCREENSHOTS=
# docs/screenshots writes the documentation's images instead (docs/dashboard.md, "Screenshots").
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"


def _echo(request: Request) -> Reply:
    params = request.params
    if int(params.get("NumMedia", "0")):
        text = f"Thanks for the picture! ({params['NumMedia']} attachment)"
    elif "Latitude" in params:
        who = params.get("ProfileName", "there")
        text = f"Thanks {who}! Pinned {params.get('Label') or params['Latitude']}."
    else:
        text = f"You said: {params.get('Body', '')}"
    response = MessagingResponse()
    response.message(text)
    return Reply(body=str(response))


@pytest.fixture
def twiml_app(receiver: TestReceiver) -> TestReceiver:
    """The user's app: ``twiml_app.url("/sms")`` echoes what it is sent."""
    receiver.route("/sms", _echo)
    return receiver


@pytest.fixture
def dashboard_server(twiml_app: TestReceiver) -> Iterator[LiveServer]:
    """A loopback switchboard whose number OUR_NUMBER sends its webhooks to ``twiml_app``."""
    with live_server() as server:
        response = httpx.post(
            f"{server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": OUR_NUMBER, "SmsUrl": twiml_app.url("/sms")},
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
        )
        assert response.status_code == 201, response.text
        yield server


@pytest.fixture
def screenshot() -> Callable[[Any, str], None]:
    """``screenshot(page, name)`` saves the page as ``name.png`` in build/screenshots/, or in
    the folder ``SWITCHBOARD_SCREENSHOTS`` names."""
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or SCREENSHOTS)

    def save(page: Any, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))

    return save
