"""The dashboard's page, JSON endpoints and event stream over real HTTP, and who may use them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from switchboard.config import Config
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, live_server
from switchboard.web.routes import DASHBOARD_ROUTES

OUR_NUMBER = "+15005550006"
HANDSET = "+15555550123"
MUTATION = {"X-Switchboard-Dashboard": "1"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def http(dashboard_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard_server.base_url, timeout=10) as client:
        yield client


def wait_for(fetch: Any, ready: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(0.05)


def send(http: httpx.Client, body: str, **fields: str) -> dict[str, Any]:
    data = {"From": HANDSET, "To": OUR_NUMBER, "Body": body, **fields}
    response = http.post("/_dashboard/api/inbound", data=data, headers=MUTATION)
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def exchange(http: httpx.Client, sid: str) -> dict[str, Any]:
    """The message's detail once its webhook has been answered and its reply delivered."""
    return wait_for(
        lambda: http.get(f"/_dashboard/api/messages/{sid}").json(),
        lambda d: d["replies"] and d["replies"][0]["status"] == "delivered" and d["attempts"],
    )


def test_the_page_and_its_assets_are_served_on_loopback_without_credentials(
    http: httpx.Client,
) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    scripts = re.findall(r'src="(/_dashboard/static/[a-z]+\.js)"', page.text)
    # theme.js, a classic script, sets the colours before the first paint; app.js is the module.
    assert scripts == ["/_dashboard/static/theme.js", "/_dashboard/static/app.js"]
    script = http.get(scripts[1])
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    # Every module the page imports is served too.
    for module in re.findall(r'from "\./([a-z]+\.js)"', script.text):
        assert http.get(f"/_dashboard/static/{module}").status_code == 200
    assert http.get("/_dashboard/static/app.css").headers["content-type"].startswith("text/css")
    assert http.get("/_dashboard/static/..%2Fauth.py").status_code == 404
    assert http.get("/_dashboard/static/missing.js").status_code == 404


def test_no_innerhtml_in_the_scripts(http: httpx.Client) -> None:
    names = ("app", "api", "dom", "state", "phone", "detail", "inspector", "numbers", "charts")
    for name in (*names, "keys", "live", "theme", "lists", "loadgroup", "reset"):
        text = http.get(f"/_dashboard/static/{name}.js").text
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        assert "innerHTML" not in code, name
        assert "outerHTML" not in code, name
        assert "insertAdjacentHTML" not in code, name


def test_overview_lists_numbers_and_services(http: httpx.Client) -> None:
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    service = http.post(
        "/v1/Services", data={"FriendlyName": "Support", "InboundRequestUrl": "https://x.test/in"},
        auth=auth,
    ).json()  # fmt: skip
    number_sid = http.get(
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json", auth=auth
    ).json()["incoming_phone_numbers"][0]["sid"]
    added = http.post(
        f"/v1/Services/{service['sid']}/PhoneNumbers",
        data={"PhoneNumberSid": number_sid},
        auth=auth,
    )
    assert added.status_code == 201, added.text

    overview = http.get("/_dashboard/api/overview").json()
    assert overview["account"]["sid"] == TEST_ACCOUNT_SID
    assert overview["server"]["loopback"] is True
    [number] = overview["numbers"]
    assert number["phone_number"] == OUR_NUMBER
    assert number["service_sid"] == service["sid"]
    # The service's inbound URL wins over the number's: decided on the server, not in app.js.
    assert number["webhook"] == {"url": "https://x.test/in", "method": "POST", "source": "service"}
    [svc] = overview["services"]
    assert svc["friendly_name"] == "Support"
    assert svc["numbers"] == [OUR_NUMBER]


def test_simulator_text_reply_timeline_and_attempt(http: httpx.Client, twiml_app: Any) -> None:
    message = send(http, "hello")
    assert message["direction"] == "inbound"
    assert message["thread"] == {
        "key": f"{OUR_NUMBER}|{HANDSET}",
        "ours": OUR_NUMBER,
        "handset": HANDSET,
        "channel": "sms",
    }
    detail = exchange(http, message["sid"])
    [reply] = detail["replies"]
    assert reply["body"] == "You said: hello"
    assert reply["thread"]["key"] == message["thread"]["key"]  # same conversation
    [attempt] = detail["attempts"]
    assert attempt["kind"] == "incoming"
    assert attempt["status"] == 200

    reply_detail = http.get(f"/_dashboard/api/messages/{reply['sid']}").json()
    statuses = [event["status"] for event in reply_detail["timeline"]]
    assert statuses[-1] == "delivered"
    assert "sent" in statuses

    full = http.get(f"/_dashboard/api/attempts/{attempt['sid']}").json()
    assert full["request"]["headers"]["X-Twilio-Signature"]
    assert ["Body", "hello"] in full["request"]["params"]
    assert "You said: hello" in full["response"]["body"]

    listed = http.get("/_dashboard/api/attempts").json()["attempts"]
    assert [a["sid"] for a in listed] == [attempt["sid"]]
    messages = http.get("/_dashboard/api/messages").json()["messages"]
    assert [m["sid"] for m in messages] == [reply["sid"], message["sid"]]  # newest first


def test_simulator_whatsapp_profile_location_and_uploaded_media(
    http: httpx.Client, twiml_app: Any
) -> None:
    data = {
        "From": f"whatsapp:{HANDSET}",
        "To": f"whatsapp:{OUR_NUMBER}",
        "Body": "",
        "ProfileName": "Ada",
        "Latitude": "51.5",
        "Longitude": "-0.12",
        "Address": "1 Main St",
        "Label": "Office",
        "NotAnExtra": "dropped",
    }
    files = [("Media", ("cat.png", PNG, "image/png"))]
    response = http.post("/_dashboard/api/inbound", data=data, files=files, headers=MUTATION)
    assert response.status_code == 201, response.text
    message = response.json()
    assert message["thread"]["channel"] == "whatsapp"
    assert message["num_media"] == 1
    assert message["extra"]["ProfileName"] == "Ada"
    assert "NotAnExtra" not in message["extra"]

    detail = exchange(http, message["sid"])
    [media] = detail["media"]
    assert media["content_type"] == "image/png"
    content = http.get(media["url"])
    assert content.content == PNG
    assert content.headers["content-type"] == "image/png"

    [params] = [r.params for r in twiml_app.requests]
    assert params["ProfileName"] == "Ada"
    assert (params["Latitude"], params["Longitude"]) == ("51.5", "-0.12")
    assert (params["Address"], params["Label"]) == ("1 Main St", "Office")
    assert params["NumMedia"] == "1"
    assert params["MediaContentType0"] == "image/png"
    assert params["From"] == f"whatsapp:{HANDSET}"


def test_simulator_errors_are_twilio_errors(http: httpx.Client) -> None:
    response = http.post(
        "/_dashboard/api/inbound", data={"From": HANDSET, "To": "+15550000000"}, headers=MUTATION
    )
    assert response.status_code == 404
    assert response.json()["code"] == 21211


def test_changes_need_the_dashboard_header(http: httpx.Client) -> None:
    response = http.post("/_dashboard/api/inbound", data={"From": HANDSET, "To": OUR_NUMBER})
    assert response.status_code == 403


def test_signature_inspector_and_replay(http: httpx.Client, twiml_app: Any) -> None:
    message = send(http, "sign me")
    [attempt] = exchange(http, message["sid"])["attempts"]
    base = f"/_dashboard/api/attempts/{attempt['sid']}"

    inspection = http.get(f"{base}/signature").json()
    assert inspection["signed_url"] == twiml_app.url("/sms")
    assert inspection["consistent"] is True
    assert inspection["string_to_sign"].startswith(
        twiml_app.url("/sms") + "AccountSid" + TEST_ACCOUNT_SID
    )
    labels = [v["label"] for v in inspection["variants"]]
    assert "https:// instead of http://" in labels
    assert "without the port" in labels

    https_url = twiml_app.url("/sms").replace("http://", "https://")
    checked = http.get(f"{base}/signature", params={"url": https_url}).json()["check"]
    assert checked["valid"] is False
    assert checked["differences"] == ["scheme: we signed http, you have https"]

    replayed = http.post(f"{base}/replay", headers=MUTATION)
    assert replayed.status_code == 201, replayed.text
    [again] = replayed.json()["attempts"]
    assert again["status"] == 200
    assert again["sid"] != attempt["sid"]
    assert len(twiml_app.requests) == 2
    assert http.post(f"{base}/replay").status_code == 403  # no dashboard header

    assert http.get("/_dashboard/api/attempts/NOmissing").status_code == 404
    assert http.get("/_dashboard/api/messages/SMmissing").status_code == 404


def read_events(lines: Iterator[str], until: Any) -> list[tuple[str, Any, str | None]]:
    """Parse server-sent events from ``lines`` until ``until(events)`` holds."""
    events: list[tuple[str, Any, str | None]] = []
    kind, data, event_id = "message", "", None
    for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line.startswith("id: "):
            event_id = line.removeprefix("id: ")
        elif line == "" and data:
            events.append((kind, orjson.loads(data), event_id))
            kind, data, event_id = "message", "", None
            if until(events):
                return events
    raise AssertionError(f"the stream ended first: {events!r}")


def test_event_stream_sends_a_snapshot_then_changes(http: httpx.Client) -> None:
    first = send(http, "before")
    exchange(http, first["sid"])
    with http.stream("GET", "/_dashboard/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        events = read_events(lines, lambda e: any(k == "snapshot" for k, _, _ in e))
        kinds = [k for k, _, _ in events]
        assert kinds == ["overview", "snapshot"]
        snapshot = events[-1][1]
        assert {m["body"] for m in snapshot["messages"]} == {"before", "You said: before"}
        assert len(snapshot["attempts"]) == 1

        second = send(http, "after")
        seen = read_events(
            lines,
            lambda e: (
                any(k == "attempt" for k, _, _ in e)
                and any(k == "message" and d["status"] == "delivered" for k, d, _ in e)
            ),
        )
    bodies = {d["body"] for k, d, _ in seen if k == "message"}
    assert {"after", "You said: after"} <= bodies
    assert any(d["message_sid"] == second["sid"] for k, d, _ in seen if k == "attempt")


def test_a_loopback_bind_reached_by_another_name_needs_credentials(
    dashboard_server: LiveServer,
) -> None:
    # A tunnel or a DNS-rebinding page reaches 127.0.0.1 under a foreign Host header.
    with httpx.Client(base_url=dashboard_server.base_url, headers={"Host": "evil.test"}) as http:
        denied = http.get("/_dashboard/api/overview")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == 'Basic realm="switchboard"'
        allowed = http.get("/_dashboard/api/overview", auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN))
        assert allowed.status_code == 200


@pytest.fixture(scope="module")
def public_server() -> Iterator[LiveServer]:
    config = Config(
        host="0.0.0.0",
        database=":memory:",
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
    )
    with live_server(config) as server:
        yield server


def route_examples() -> list[tuple[str, str]]:
    """(method, a concrete path) for every dashboard route."""
    examples = []
    for route in DASHBOARD_ROUTES:
        path = re.sub(r"\{[a-z_]+\}", "x", route.path)
        examples += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return examples


@pytest.mark.parametrize(("method", "path"), route_examples())
def test_a_public_bind_asks_for_credentials_on_every_dashboard_route(
    public_server: LiveServer, method: str, path: str
) -> None:
    assert not public_server.config.is_loopback
    response = httpx.request(method, public_server.base_url + path, headers=MUTATION)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="switchboard"'
    wrong = httpx.request(
        method, public_server.base_url + path, headers=MUTATION, auth=(TEST_ACCOUNT_SID, "nope")
    )
    assert wrong.status_code == 401


def test_a_public_bind_serves_the_main_account_with_its_credentials(
    public_server: LiveServer,
) -> None:
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    with httpx.Client(base_url=public_server.base_url, auth=auth) as http:
        assert http.get("/").status_code == 200
        overview = http.get("/_dashboard/api/overview").json()
        assert overview["account"]["sid"] == TEST_ACCOUNT_SID
        assert overview["server"]["loopback"] is False
        with http.stream("GET", "/_dashboard/events") as response:
            assert response.status_code == 200
            read_events(response.iter_lines(), lambda e: any(k == "snapshot" for k, _, _ in e))
