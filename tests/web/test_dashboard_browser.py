"""The dashboard end to end in a real browser (Playwright driving Debian's Chromium).

A live switchboard sends its webhooks to a tiny TwiML app; the test opens the dashboard, sends
messages from the phone simulator, watches the app's replies and the webhook attempts arrive
over the event stream, and opens the signature inspector.

The browser is the system's Chromium (``/usr/bin/chromium``, or ``SWITCHBOARD_CHROMIUM``);
``playwright install`` is never needed. Without it the test is skipped locally and fails in CI
(``CI`` set), where .ci/run installs it.

Screenshots go to ``build/screenshots/`` (CI's artifacts), or with
``SWITCHBOARD_SCREENSHOTS=docs/screenshots`` to the documentation's images (docs/dashboard.md).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard.receiver import Reply
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
OUR_NUMBER = "+15005550006"
Screenshot = Callable[[Any, str], None]  # the ``screenshot`` fixture (conftest.py)


def chromium_path() -> str:
    return os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it: .ci/run installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture
def page(dashboard_server: LiveServer) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        unavailable(f"no Chromium at {executable} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(TIMEOUT_MS)
            yield page
            assert errors == [], f"JavaScript errors: {errors}"
        finally:
            # Closing the browser ends its event stream before the server stops.
            browser.close()


def tiny_png(width: int = 96, height: int = 64) -> bytes:
    """A gradient PNG, made here so the test ships no binary files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((40 + x * 2, 110 + y, 230)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_template_message_and_tapping_its_quick_reply(
    page: Any, dashboard_server: LiveServer, twiml_app: Any
) -> None:
    from playwright.sync_api import expect

    handset, ours = "whatsapp:+15555550123", f"whatsapp:{OUR_NUMBER}"
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    with httpx.Client(base_url=dashboard_server.base_url, auth=auth, timeout=30) as http:
        template = http.post("/v1/Content", json={
            "language": "en", "friendly_name": "delivery", "variables": {"1": "Ada"},
            "types": {"twilio/quick-reply": {
                "body": "Hi {{1}}, will you be home?",
                "actions": [{"title": "Yes", "id": "home_yes"}, {"title": "No", "id": "home_no"}],
            }},
        }).json()  # fmt: skip
        approval = http.post(
            f"/v1/Content/{template['sid']}/ApprovalRequests/whatsapp",
            json={"name": "delivery", "category": "UTILITY"},
        )
        assert approval.json()["status"] == "approved"
        sent = http.post(
            f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json",
            data={"To": handset, "From": ours, "ContentSid": template["sid"],
                  "ContentVariables": '{"1": "Grace"}'},
        ).json()  # fmt: skip

    page.goto(dashboard_server.base_url + "/")
    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("Hi Grace, will you be home?")
    expect(conversation).to_contain_text("twilio/quick-reply")
    expect(conversation).to_contain_text("{{1}}=Grace")
    buttons = conversation.get_by_test_id("buttons").locator("button")
    expect(buttons).to_have_count(2)
    buttons.filter(has_text="Yes").click()
    expect(conversation).to_contain_text("You said: Yes")
    tapped = twiml_app.requests[-1].params
    assert (tapped["ButtonPayload"], tapped["ButtonText"], tapped["ButtonType"]) == (
        "home_yes",
        "Yes",
        "REPLY",
    )
    assert tapped["OriginalRepliedMessageSid"] == sent["sid"]


def test_phone_simulator_reply_webhook_and_signature_inspector(
    page: Any, dashboard_server: LiveServer, twiml_app: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(dashboard_server.base_url + "/")
    expect(page.get_by_test_id("numbers")).to_contain_text(OUR_NUMBER)
    expect(page.get_by_test_id("numbers")).to_contain_text(twiml_app.url("/sms"))
    expect(page.locator("#live")).to_have_class("live on")

    # A text from the phone; the app's reply arrives over the event stream.
    page.locator("#to").select_option(OUR_NUMBER)
    page.locator("#body").fill("Hi! Is my order on its way?")
    page.locator("#send").click()
    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("You said: Hi! Is my order on its way?")
    expect(conversation.locator(".bubble.theirs")).to_have_count(1)
    expect(page.get_by_test_id("threads")).to_contain_text("+15555550123")

    # A picture uploaded from the phone reaches the app as media.
    page.locator("#extras summary").click()
    page.locator("#media-files").set_input_files(
        {"name": "parcel.png", "mimeType": "image/png", "buffer": tiny_png()}
    )
    page.locator("#body").fill("Here's the parcel")
    page.locator("#send").click()
    expect(conversation).to_contain_text("Thanks for the picture! (1 attachment)")
    expect(conversation.locator(".bubble.mine img")).to_have_count(1)
    assert twiml_app.requests[-1].params["MediaContentType0"] == "image/png"

    # The sent message's status timeline and its webhook attempt.
    detail = page.get_by_test_id("detail")
    expect(detail.get_by_test_id("timeline")).to_contain_text("received")
    attempts = page.get_by_test_id("attempts").locator("tbody tr")
    expect(attempts).to_have_count(2)

    # A WhatsApp user with a profile name shares a location: a conversation of its own.
    page.locator("#new-thread").click()
    page.locator("#from").fill("+447700900123")
    page.locator("#channel").select_option("whatsapp")
    page.locator("#extras summary").click()
    page.locator("#profile-name").fill("Ada")
    page.locator("#latitude").fill("51.5072")
    page.locator("#longitude").fill("-0.1276")
    page.locator("#label").fill("Office")
    page.locator("#send").click()
    expect(conversation).to_contain_text("~ Ada")
    expect(conversation).to_contain_text("Office (51.5072, -0.1276)")
    expect(conversation).to_contain_text("Thanks Ada! Pinned Office.")
    expect(page.locator("#thread-sub")).to_contain_text("whatsapp")
    expect(attempts).to_have_count(3)
    sent = twiml_app.requests[-1].params
    assert (sent["From"], sent["ProfileName"], sent["Label"]) == (
        "whatsapp:+447700900123",
        "Ada",
        "Office",
    )
    expect(page.get_by_test_id("threads").locator("li")).to_have_count(2)

    # Markup in a message is shown as text, never interpreted.
    page.locator("#body").fill('<img src=x onerror="window.__xss = 1">')
    page.locator("#body").press("Enter")
    expect(conversation.locator(".bubble.theirs")).to_have_count(2)
    expect(conversation).to_contain_text('You said: <img src=x onerror="window.__xss = 1">')
    assert conversation.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None

    page.get_by_test_id("threads").locator("li", has_text="+15555550123").click()
    expect(conversation).to_contain_text("Here's the parcel")
    expect(attempts.first).to_contain_text("200")  # newest first
    expect(attempts.first).to_contain_text(twiml_app.url("/sms"))

    # The reply's timeline runs through the carrier to delivered.
    conversation.locator(".bubble.theirs").first.click()
    expect(detail.get_by_test_id("timeline")).to_contain_text("delivered")

    # The signature inspector for the first webhook.
    attempts.last.click()
    page.locator("#inspect").click()
    expect(page.get_by_test_id("signed-url")).to_have_text(twiml_app.url("/sms"))
    expect(page.get_by_test_id("string-to-sign")).to_contain_text(
        twiml_app.url("/sms") + "AccountSid"
    )
    expect(detail).to_contain_text("the header we sent matches")
    expect(detail).to_contain_text("https:// instead of http://")

    # What the app saw behind a TLS proxy: https. Our header does not validate there.
    page.get_by_label("URL your app saw").fill(twiml_app.url("/sms").replace("http://", "https://"))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(detail).to_contain_text("does NOT validate at this URL")
    expect(detail).to_contain_text("scheme: we signed http, you have https")

    # Replaying sends the same request again; the new attempt shows up in the list.
    page.locator("#replay").click()
    expect(detail).to_contain_text("Replayed:")
    expect(attempts).to_have_count(5)


BROKEN_NUMBER = "+15005550009"
MUTATION = {"X-Switchboard-Dashboard": "1"}


def seed(server: LiveServer, twiml_app: Any, load: int) -> None:
    """``load`` one-message handsets as ``switchboard load`` makes them, and two messages to a
    number whose app answers 500 (failed webhooks), then one from the phone; returns once every
    webhook has run (an answered webhook's reply is written with its attempt)."""
    twiml_app.route("/broken", lambda request: Reply(status=500, body="boom", content_type=None))
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        created = http.post(
            f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": BROKEN_NUMBER, "SmsUrl": twiml_app.url("/broken")},
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
        )
        assert created.status_code == 201, created.text
        texts = [(f"+1555{n:07d}", OUR_NUMBER, f"load {n}") for n in range(1, load + 1)]
        texts += [("+15555550123", BROKEN_NUMBER, f"order {n} please") for n in (41, 42)]
        # Last, the phone's own conversation: the dashboard opens the newest one.
        texts.append(("+15555550123", OUR_NUMBER, "hello there"))
        for handset, ours, body in texts:
            sent = http.post(
                "/_dashboard/api/inbound",
                data={"From": handset, "To": ours, "Body": body},
                headers=MUTATION,
            )
            assert sent.status_code == 201, sent.text
        deadline = time.monotonic() + 30
        while len(http.get("/_dashboard/api/attempts?limit=200").json()["attempts"]) < len(texts):
            assert time.monotonic() < deadline, "the webhooks did not all run"
            time.sleep(0.1)


def test_finder_search_filters_url_paging_bulk_replay_and_clear(
    page: Any, dashboard_server: LiveServer, twiml_app: Any, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    seed(dashboard_server, twiml_app, load=60)
    page.goto(dashboard_server.base_url + "/")
    rows = page.get_by_test_id("attempts").locator("tbody tr")
    count = page.get_by_test_id("list-count")

    # Load-test handsets are one folded entry; the phone's own conversation stays in sight.
    threads = page.get_by_test_id("threads")
    expect(threads.get_by_test_id("load-group")).to_contain_text("Load test: 60 handsets")
    expect(threads.locator(":scope > li.thread")).to_have_count(2)
    threads.get_by_test_id("load-group").locator("summary").click()
    expect(threads.get_by_test_id("load-group").locator("li.thread")).to_have_count(60)

    # One page at first; scrolling to the end loads the rest.
    expect(count).to_have_text("50+ shown")
    expect(rows).to_have_count(50)
    page.locator("#results").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(rows).to_have_count(63)
    expect(count).to_have_text("63 shown")

    # Failed only, then a search: both in the URL, and a reload shows the same view.
    page.locator("#failed").check()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("500")
    expect(page).to_have_url(re.compile(r"[?&]failed=1"))
    page.locator("#q").fill("load 1")
    expect(rows).to_have_count(0 + 1)  # failed and "load 1": nothing, one "no match" row
    expect(rows.first).to_contain_text("No webhook attempts match.")
    page.locator("#failed").uncheck()
    expect(rows).to_have_count(11)  # load 1 and load 10 to 19
    expect(page).to_have_url(re.compile(r"\?view=attempts&q=load\+1$"))
    page.reload()
    expect(page.locator("#q")).to_have_value("load 1")
    expect(rows).to_have_count(11)

    # Messages, filtered by direction and number.
    page.locator("#view-messages").click()
    messages = page.get_by_test_id("messages").locator("tbody tr")
    page.locator("#q").fill("")
    page.locator("#filters-toggle").click()
    page.locator("select[name=direction]").select_option("inbound")
    page.locator("input[name=number]").fill("+15555550123")
    expect(messages).to_have_count(3)
    expect(messages.first).to_contain_text("hello there")
    expect(page).to_have_url(
        re.compile(r"\?view=messages&number=%2B15555550123&direction=inbound$")
    )
    page.reload()
    expect(page.locator("select[name=direction]")).to_have_value("inbound")
    expect(page.locator("#filters")).to_be_visible()
    expect(messages).to_have_count(3)
    screenshot(page, "messages-filters")
    messages.nth(1).click()
    expect(page.get_by_test_id("detail")).to_contain_text("order 42 please")

    # Bulk replay of the selected failed attempts, then of every attempt that matches.
    page.locator("#view-attempts").click()
    page.locator("#filters-reset").click()
    page.locator("#failed").check()
    expect(rows).to_have_count(2)
    page.locator("#select-shown").check()
    expect(page.locator("#replay-selected")).to_have_text("Replay selected (2)")
    page.locator("#replay-selected").click()
    expect(page.locator("#bulk-notice")).to_contain_text("Replayed: 2 new attempts, 2 failed")
    expect(rows).to_have_count(4)
    page.locator("#q").fill("order 41")
    expect(rows).to_have_count(2)
    page.locator("#replay-matching").click()
    expect(page.locator("#bulk-notice")).to_contain_text("Replayed: 2 new attempts")
    expect(rows).to_have_count(4)
    page.locator("#q").fill("")
    expect(rows).to_have_count(6)
    screenshot(page, "attempts-failed-bulk-replay")

    # Clear asks first; cancelling keeps everything.
    page.locator("#clear").click()
    dialog = page.locator("#clear-dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "clear-dialog")
    page.locator("#clear-cancel").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(6)
    page.locator("#clear").click()
    page.locator("#clear-confirm").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No webhook attempts match.")
    expect(threads).to_contain_text("No messages yet.")
    expect(page.get_by_test_id("numbers")).to_contain_text(OUR_NUMBER)  # numbers are kept


def test_the_readme_picture_a_conversation_its_webhooks_and_a_failure(
    page: Any, dashboard_server: LiveServer, twiml_app: Any, screenshot: Screenshot
) -> None:
    """The README's first image (docs/screenshots/dashboard.png): a conversation through the
    phone, the app's own text whose first status callback its server refused, and that failed
    attempt opened."""
    from playwright.sync_api import expect

    # The app's status endpoint fails once (HTTP 500), then answers.
    refused = Reply(status=500, body="Internal Server Error", content_type="text/plain")
    status_url = twiml_app.route("/status", [refused, Reply(status=204)])
    page.goto(dashboard_server.base_url + "/")
    expect(page.locator("#live")).to_have_class("live on")
    conversation = page.get_by_test_id("conversation")
    rows = page.get_by_test_id("attempts").locator("tbody tr")

    page.locator("#to").select_option(OUR_NUMBER)
    page.locator("#body").fill("Hi! Is my order on its way?")
    page.locator("#send").click()
    expect(conversation).to_contain_text("You said: Hi! Is my order on its way?")

    # The app texts the handset through the REST API, with a status callback.
    sent = httpx.post(
        f"{dashboard_server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json",
        data={"To": "+15555550123", "From": OUR_NUMBER, "StatusCallback": status_url,
              "Body": "Good news: order #1042 ships today. Track it at https://example.com/t/1042"},
        auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    expect(conversation).to_contain_text("order #1042 ships today")

    page.locator("#body").fill("Great, thanks!")
    page.locator("#send").click()
    expect(conversation).to_contain_text("You said: Great, thanks!")

    # Every attempt is listed; the refused callback is the one failure, with Twilio's 11200.
    failed = rows.filter(has_text="status_callback").filter(has_text="500")
    expect(failed).to_have_count(1)
    expect(rows.filter(has_text="incoming")).to_have_count(2)
    failed.click()
    detail = page.get_by_test_id("detail")
    expect(detail).to_contain_text("11200")
    page.locator("#detail").evaluate("el => { el.scrollTop = 0; }")
    screenshot(page, "dashboard")
