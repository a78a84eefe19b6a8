"""The dashboard's message detail says why a Messaging Service chose the sender."""

from __future__ import annotations

import os
import shutil
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer

API = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
AUTH = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)


def _service_send(server: LiveServer) -> str:
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=10) as http:
        number = http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": "+14155550100"})
        service = http.post("/v1/Services", data={"FriendlyName": "detail"}).json()["sid"]
        http.post(
            f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": number.json()["sid"]}
        )
        sent = http.post(
            f"{API}/Messages.json",
            data={"To": "+14155550199", "MessagingServiceSid": service, "Body": "pooled"},
        )
        sid: str = sent.json()["sid"]
        found = http.get("/_sim/messages", params={"From": "+14155550100", "Wait": "10"})
        assert found.json()["messages"], found.text
        return sid


def test_the_detail_api_carries_the_sender_choice(dashboard_server: LiveServer) -> None:
    sid = _service_send(dashboard_server)
    with httpx.Client(base_url=dashboard_server.base_url, timeout=10) as http:
        detail = http.get(f"/_dashboard/api/messages/{sid}").json()
    assert detail["sender_choice"] == {
        "rule": "area_code_geomatch",
        "sender": "+14155550100",
        "detail": "a number of the pool has the recipient's area code 415",
        "mms_converted": False,
    }


def test_the_message_detail_shows_the_sender_choice(dashboard_server: LiveServer) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    executable = os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or ""
    if not os.access(executable, os.X_OK):
        pytest.skip("no Chromium (apt-get install chromium)")
    _service_send(dashboard_server)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--headless=new"]
        )
        try:
            page: Any = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(dashboard_server.base_url + "/?view=messages")
            rows = page.get_by_test_id("messages").locator("tbody tr")
            rows.filter(has_text="pooled").first.click()
            choice = page.get_by_test_id("sender-choice")
            expect(choice).to_contain_text("+14155550100")
            expect(choice).to_contain_text("area code geomatch")
            expect(choice).to_contain_text("has the recipient's area code 415")
        finally:
            browser.close()
