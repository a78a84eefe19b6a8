"""The dashboard for a day's work, in a real browser (Playwright driving Debian's Chromium):
editing numbers and services, the charts, dark mode, the 400 px layout, the keyboard, the
live indicator when the server goes away, and scripting the page under its strict CSP.

Like test_dashboard_browser.py: the system's Chromium (``/usr/bin/chromium`` or
``SWITCHBOARD_CHROMIUM``), never ``playwright install``; skipped locally without it, failed in
CI. Screenshots go to ``build/screenshots/`` (CI's artifacts), or with
``SWITCHBOARD_SCREENSHOTS=docs/screenshots`` to the documentation's images (docs/dashboard.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, live_server

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
MUTATION = {"X-Switchboard-Dashboard": "1"}
LONG_SID_HANDSET = "+447700900123"

Browse = Callable[..., Any]  # browse(**context_options) -> a new page
Screenshot = Callable[[Any, str], None]  # the ``screenshot`` fixture (conftest.py)


def chromium_path() -> str:
    return os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it: .ci/run installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture
def browse() -> Iterator[Browse]:
    """Opens pages in fresh browser contexts (dark scheme, a narrow viewport, ...)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        unavailable(f"no Chromium at {executable} (apt-get install chromium)")
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

        def new_page(**options: Any) -> Any:
            context = browser.new_context(**{"viewport": {"width": 1440, "height": 900}, **options})
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(TIMEOUT_MS)
            return page

        try:
            yield new_page
            assert errors == [], f"JavaScript errors: {errors}"
        finally:
            browser.close()


def open_dashboard(page: Any, server: LiveServer) -> None:
    page.goto(server.base_url + "/")
    # The page marks itself ready once the first snapshot is drawn (see docs/dashboard.md).
    page.wait_for_selector("html[data-state=ready]", state="attached")


def open_thread(page: Any, handset: str) -> None:
    page.get_by_test_id("threads").locator("li", has_text=handset).click()


def text_in(server: LiveServer, body: str, handset: str = "+15555550123") -> dict[str, Any]:
    response = httpx.post(
        f"{server.base_url}/_dashboard/api/inbound",
        data={"From": handset, "To": OUR_NUMBER, "Body": body},
        headers=MUTATION,
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def rest_number(server: LiveServer, phone: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
        params={"PhoneNumber": phone},
        auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
    )
    numbers: list[dict[str, Any]] = response.json()["incoming_phone_numbers"]
    assert len(numbers) == 1, numbers
    return numbers[0]


def test_numbers_and_services_are_created_and_edited_from_the_sidebar(
    browse: Browse, dashboard_server: LiveServer, twiml_app: Any, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    page = browse()
    open_dashboard(page, dashboard_server)
    numbers = page.get_by_test_id("numbers")
    services = page.get_by_test_id("services")
    # The empty state says how to make one elsewhere too.
    expect(services).to_contain_text("client.messaging.v1.services.create")

    # A new number: the server's validation, with Twilio's code, shows beside the form.
    page.locator("#add-number").click()
    editor = page.get_by_test_id("editor-new-number")
    editor.get_by_label("Phone number").fill("not a number")
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_test_id("form-error")).to_contain_text("21421")
    editor.get_by_label("Phone number").fill("+15555550100")
    editor.get_by_label("SMS URL").fill(twiml_app.url("/new"))
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_have_count(0)
    expect(numbers).to_contain_text("+15555550100")
    expect(numbers).to_contain_text(f"POST {twiml_app.url('/new')}")

    # Its webhook URL and method change; a wrong method is refused as the REST API does.
    numbers.locator("li", has_text="+15555550100").get_by_role("button", name="Edit").click()
    editor = page.locator("form.editor")
    editor.get_by_label("SMS URL").fill(twiml_app.url("/changed"))
    editor.get_by_label("SMS method").select_option("GET")
    editor.get_by_role("button", name="Save").click()
    expect(numbers).to_contain_text(f"GET {twiml_app.url('/changed')}")
    changed = rest_number(dashboard_server, "+15555550100")
    assert (changed["sms_url"], changed["sms_method"]) == (twiml_app.url("/changed"), "GET")

    # A Messaging Service, and the number put in its sender pool.
    page.locator("#add-service").click()
    editor = page.get_by_test_id("editor-new-service")
    editor.get_by_label("Friendly name").fill("Support")
    editor.get_by_label("Inbound request URL").fill(twiml_app.url("/service"))
    editor.get_by_role("button", name="Save").click()
    expect(services).to_contain_text("Support")
    numbers.locator("li", has_text="+15555550100").get_by_role("button", name="Edit").click()
    page.locator("form.editor").get_by_label("Messaging Service").select_option(label="Support")
    page.locator("form.editor").get_by_role("button", name="Save").click()
    expect(services.locator("li", has_text="Support")).to_contain_text("+15555550100")
    expect(numbers.locator("li", has_text="+15555550100")).to_contain_text("Support")
    # The service's inbound URL now decides where that number's messages go.
    expect(numbers.locator("li", has_text="+15555550100")).to_contain_text(
        twiml_app.url("/service")
    )
    screenshot(page, "dashboard-numbers")

    # The same number twice: 21422, shown inline.
    page.locator("#add-number").click()
    editor = page.get_by_test_id("editor-new-number")
    editor.get_by_label("Phone number").fill("+15555550100")
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_test_id("form-error")).to_contain_text("21422")


def test_charts_show_the_store_and_follow_it_live(
    browse: Browse, dashboard_server: LiveServer, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    page = browse()
    open_dashboard(page, dashboard_server)
    charts = page.get_by_test_id("charts")
    expect(charts.get_by_test_id("chart-latency")).to_contain_text("no webhook sent yet")
    for n in range(3):
        text_in(dashboard_server, f"chart me {n}")
    # The echo app answers each: three webhooks, three replies delivered.
    expect(charts.get_by_test_id("chart-latency")).to_contain_text("3 attempts")
    expect(charts.get_by_test_id("chart-delivery")).to_contain_text("100%")
    expect(charts.get_by_test_id("chart-delivery")).to_contain_text("3 of 3 outbound delivered")
    expect(charts.get_by_test_id("chart-per-minute")).to_contain_text("6 in 30 min")
    expect(charts.locator("svg rect.bar.ok").first).to_be_visible()
    screenshot(page, "dashboard-charts")


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(
    browse: Browse, dashboard_server: LiveServer, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    page = browse(color_scheme="dark")
    open_dashboard(page, dashboard_server)
    root = page.locator("html")
    expect(root).to_have_attribute("data-theme", "dark")
    # Waits for the style, as a reader would see it: read once, the colour could be taken
    # before the browser has applied the theme (it failed so once under two busy loops).
    expect(root).to_have_css("background-color", "rgb(15, 19, 26)")
    text_in(dashboard_server, "Good evening")
    open_thread(page, "+15555550123")
    expect(page.get_by_test_id("conversation")).to_contain_text("You said: Good evening")
    screenshot(page, "dashboard-dark")

    # The toggle (or "t") switches to light, and the choice survives a reload.
    page.locator("#theme-toggle").click()
    expect(root).to_have_attribute("data-theme", "light")
    expect(root).to_have_css("background-color", "rgb(244, 245, 247)")
    page.reload()
    expect(root).to_have_attribute("data-theme", "light")
    page.keyboard.press("t")
    expect(root).to_have_attribute("data-theme", "dark")

    light = browse(color_scheme="light")
    open_dashboard(light, dashboard_server)
    expect(light.locator("html")).to_have_attribute("data-theme", "light")


def test_a_400_pixel_wide_window_never_scrolls_sideways(
    browse: Browse, dashboard_server: LiveServer, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    page = browse(viewport={"width": 400, "height": 800})
    open_dashboard(page, dashboard_server)
    text_in(dashboard_server, "A narrow phone", handset=LONG_SID_HANDSET)
    open_thread(page, LONG_SID_HANDSET)
    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("You said: A narrow phone")
    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 400
    screenshot(page, "dashboard-narrow")

    # The widest views: a message's detail, an attempt with its signature inspector.
    conversation.locator(".bubble.theirs").first.click()
    expect(page.get_by_test_id("detail").get_by_test_id("timeline")).to_be_visible()
    assert page.evaluate(width) <= 400
    page.get_by_test_id("attempts").locator("tbody tr").first.click()
    page.locator("#inspect").click()
    expect(page.get_by_test_id("string-to-sign")).to_be_visible()
    assert page.evaluate(width) <= 400
    # Long SIDs wrap inside their cards.
    detail = page.get_by_test_id("detail").bounding_box()
    assert detail is not None
    assert detail["x"] + detail["width"] <= 400


def test_the_keyboard_moves_opens_replays_and_writes(
    browse: Browse, dashboard_server: LiveServer, twiml_app: Any, screenshot: Screenshot
) -> None:
    from playwright.sync_api import expect

    text_in(dashboard_server, "first", handset="+15555550001")
    text_in(dashboard_server, "second", handset="+15555550002")
    page = browse()
    open_dashboard(page, dashboard_server)
    attempts = page.get_by_test_id("attempts").locator("tbody tr")
    expect(attempts).to_have_count(2)

    # j/k move through the conversations (newest first); Enter opens one.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#threads li.kbd-cursor")).to_contain_text("+15555550001")
    page.keyboard.press("Enter")
    expect(page.locator("#thread-sub")).to_contain_text("+15555550001")

    # l moves to the messages, Enter opens one's detail.
    page.keyboard.press("l")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("detail")).to_contain_text("first")

    # Then to the webhook attempts: open one and replay it with r.
    page.keyboard.press("l")
    page.keyboard.press("Enter")
    expect(page.locator("#replay")).to_be_visible()
    page.locator("body").focus()
    page.keyboard.press("r")
    expect(page.get_by_test_id("detail")).to_contain_text("Replayed:")
    expect(attempts).to_have_count(3)

    # / focuses the composer; typing there is not a shortcut.
    page.keyboard.press("/")
    page.keyboard.type("j k r")
    expect(page.locator("#body")).to_have_value("j k r")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    expect(page.locator("#body")).to_be_focused()
    page.keyboard.press("Escape")

    # ? shows the shortcuts; Escape hides them.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Keyboard shortcuts")
    screenshot(page, "dashboard-keys")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_the_indicator_says_disconnected_when_the_server_goes_away(browse: Browse) -> None:
    from playwright.sync_api import expect

    page = browse()
    with live_server() as server:
        response = httpx.post(
            f"{server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": OUR_NUMBER},
            auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN),
        )
        assert response.status_code == 201, response.text
        open_dashboard(page, server)
        expect(page.locator("#live")).to_have_class("live on")
    # The server has stopped: within a few seconds the page says so.
    expect(page.locator("#live-text")).to_have_text("disconnected", timeout=10_000)
    expect(page.locator("html")).to_have_attribute("data-live", "down")
    # An action says what is wrong in words, not "Failed to fetch".
    page.locator("#from").fill("+15555550123")
    page.locator("#body").fill("anyone there?")
    page.locator("#send").click()
    expect(page.locator("#send-error")).to_contain_text("server unreachable")


def test_scripts_wait_for_the_page_under_its_strict_csp(
    browse: Browse, dashboard_server: LiveServer
) -> None:
    """What a test script can rely on under the served policy (docs/dashboard.md)."""
    from playwright.sync_api import Error

    ready = "document.documentElement.dataset.state === 'ready'"
    page = browse()
    open_dashboard(page, dashboard_server)  # wait_for_selector on html[data-state=ready]
    # Playwright evaluates through the DevTools protocol, which the page's CSP does not govern:
    # evaluate() and wait_for_function() work with the policy as served.
    assert page.evaluate(ready) is True
    page.wait_for_function(ready)
    page.wait_for_function("() => document.querySelector('#charts').dataset.state === 'ready'")
    # What the policy does stop is code added to the page itself: an inline <script>.
    with pytest.raises(Error, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")

    # A test that must inject code turns the policy off in its own browser context only.
    scripted = browse(bypass_csp=True)
    open_dashboard(scripted, dashboard_server)
    scripted.add_script_tag(content="window.injected = true")
    assert scripted.evaluate("window.injected") is True
