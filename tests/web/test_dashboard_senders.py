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


def _pool_senders(server: LiveServer) -> str:
    """A service whose pool holds a number, a short code and an RCS agent, and a WhatsApp
    sender outside any pool with its own SMS URL; answers the service's sid."""
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=10) as http:
        number = http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": "+14155550100"})
        service = http.post("/v1/Services", data={"FriendlyName": "pooled"}).json()["sid"]
        http.post(
            f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": number.json()["sid"]}
        )
        code = http.post("/_sim/short-codes", data={"ShortCode": "55555"}).json()["sid"]
        assert http.post(
            f"/v1/Services/{service}/ShortCodes", data={"ShortCodeSid": code}
        ).is_success
        agent = http.post("/_sim/channel-senders", data={"Sender": "rcs:acme_agent"}).json()
        assert http.post(
            f"/v1/Services/{service}/ChannelSenders", data={"Sid": agent["sid"]}
        ).is_success
        whatsapp = http.post("/_sim/channel-senders", data={"Sender": "whatsapp:+14155550111"})
        http.post(f"{API}/SMS/ShortCodes/{code}.json", data={"SmsUrl": "http://127.0.0.1:9/short"})
        assert whatsapp.is_success, whatsapp.text
        return str(service)


def test_the_overview_lists_short_codes_and_channel_senders(
    dashboard_server: LiveServer,
) -> None:
    service = _pool_senders(dashboard_server)
    with httpx.Client(base_url=dashboard_server.base_url, timeout=10) as http:
        overview = http.get("/_dashboard/api/overview").json()
    held = {s["address"]: s for s in overview["senders"]}
    assert set(held) == {"55555", "rcs:acme_agent", "whatsapp:+14155550111"}
    assert held["55555"]["kind"] == "short_code"
    assert held["55555"]["service_sid"] == service
    # In a service without an inbound URL, its own SmsUrl is not used: nowhere to go.
    assert held["55555"]["webhook"] is None
    assert held["whatsapp:+14155550111"]["service_sid"] is None
    assert held["rcs:acme_agent"]["kind"] == "channel_sender"
    (pooled,) = [s for s in overview["services"] if s["sid"] == service]
    assert pooled["numbers"] == ["+14155550100"]
    assert {p["sender"]: p["kind"] for p in pooled["senders"]} == {
        "55555": "short_code",
        "rcs:acme_agent": "channel_sender",
    }


def test_the_sidebar_shows_short_codes_and_channel_senders(dashboard_server: LiveServer) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    executable = os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or ""
    if not os.access(executable, os.X_OK):
        pytest.skip("no Chromium (apt-get install chromium)")
    _pool_senders(dashboard_server)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--headless=new"]
        )
        try:
            page: Any = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(dashboard_server.base_url + "/")
            numbers = page.get_by_test_id("numbers")
            expect(numbers.locator("li.sender")).to_have_count(3)
            code = numbers.locator("li.sender", has_text="55555")
            expect(code).to_contain_text("short code")
            expect(code).to_contain_text("pooled")  # the service's tag
            expect(numbers.locator("li.sender", has_text="rcs:acme_agent")).to_contain_text("RCS")
            whatsapp = numbers.locator("li.sender", has_text="whatsapp:+14155550111")
            expect(whatsapp).to_contain_text("WhatsApp")
            expect(whatsapp).to_contain_text("no webhook URL")
            pool = page.get_by_test_id("services").get_by_test_id("pool")
            for sender in ("+14155550100", "55555", "rcs:acme_agent"):
                expect(pool).to_contain_text(sender)
        finally:
            browser.close()
