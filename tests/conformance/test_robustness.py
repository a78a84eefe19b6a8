"""Hostile input on every route: never a 5xx, and every 4xx is Twilio's error JSON.

For each route in ``switchboard.api.routes.TWILIO_ROUTES`` the path parameters are filled with
valid SIDs (fresh resources for every route) and with unknown or garbage ones, and the request
carries an empty body, binary garbage, invalid UTF-8, a 6 MB body, huge fields, wrong types,
junk paging parameters, repeated keys, JSON instead of a form and junk multipart, with and
without credentials. Hypothesis adds random form bodies and path segments (derandomized, so
the run is deterministic).
"""

from __future__ import annotations

import gc
import itertools
import json
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from switchboard.api.routes import TWILIO_ROUTES
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, live_server

MAIN = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
A = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
FORM = "application/x-www-form-urlencoded"
SIX_MB = 6 * 1024 * 1024

# Every request parameter name switchboard reads, plus the list filters.
PARAMS = [
    "To", "From", "Body", "MediaUrl", "MessagingServiceSid", "StatusCallback", "ValidityPeriod",
    "SendAt", "ScheduleType", "SmartEncoded", "ContentSid", "Status", "FriendlyName",
    "PhoneNumber", "AreaCode", "SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod",
    "StatusCallbackMethod", "SmsApplicationSid", "InboundRequestUrl", "InboundMethod",
    "FallbackUrl", "FallbackMethod", "StickySender", "MmsConverter", "SmartEncoding",
    "FallbackToLongCode", "AreaCodeGeomatch", "SynchronousValidation",
    "UseInboundWebhookOnNumber", "ScanMessageContent", "Usecase", "PhoneNumberSid", "PageSize",
    "Page", "PageToken", "DateSent", "DateSent<", "DateSent>",
]  # fmt: skip

WEIRD_VALUES = [
    "-1", "0", "1e309", "NaN", "true", "null", "[]", "{}", "\x00", "\x00\x01\x02", "😀" * 20,
    "' OR 1=1 --", "%s%n%x", "\u202e\u200b", "9" * 400, "", " ", "\r\n", "../../etc/passwd",
    "http://", "whatsapp:", "+", "+1", "SM", "PA", "2026-02-30T25:61:61Z", "\ud7ff\ue000",
]  # fmt: skip

PAGING_JUNK = [
    {"PageSize": "abc"}, {"PageSize": "0"}, {"PageSize": "-5"}, {"PageSize": "1.5"},
    {"PageSize": "99999999999999999999999999"}, {"PageSize": "１０"}, {"Page": "abc"},
    {"Page": "-1"}, {"Page": "99999999"}, {"PageToken": "PA"}, {"PageToken": "PA\x00'--"},
    {"PageToken": "PA" + "z" * 5000}, {"DateSent": "not a date"}, {"DateSent<": "2020-13-45"},
    {"DateSent>": "9999999999"}, {"To": "\x00"}, {"From": "%"}, {"PhoneNumber": "\ud7ff"},
]  # fmt: skip


pytestmark = pytest.mark.no_schema_check  # each test checks every response itself


# The sweeps send multipart bodies with files. Leaving those open is pinned by
# test_multipart_uploads_are_closed alone: the sweeps ignore the ResourceWarning (so a leaked
# file's own __del__ closes it) and collect garbage before they end, so that a leak can never
# surface as an unraisable exception in some later, unrelated test.
def leaks_ignored(test: Any) -> Any:
    return pytest.mark.filterwarnings("ignore::ResourceWarning")(test)


def finalize_uploads(http: httpx.Client) -> None:
    """Collect the server's abandoned upload files now, inside the current test.

    A response can arrive while the server's handler is still unwinding; the next response on
    the same keep-alive connection cannot (uvicorn runs one request cycle at a time per
    connection), so one more request makes the leaked objects garbage, and gc collects them.
    """
    assert http.get("/healthz").status_code == 200
    gc.collect()


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    content: bytes = b""
    content_type: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    files: Any = None
    data: Any = None
    raw_query: str = ""


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode()


def body_variants() -> list[Variant]:
    multipart_junk = b"--XYZ\r\nContent-Disposition: form-data\r\n\r\njunk\r\n--XYZ--garbage\x00"
    return [
        Variant("empty"),
        Variant("empty form", b"", FORM),
        Variant("binary garbage", bytes(range(256)) * 16, FORM),
        Variant("binary octet-stream", bytes(range(255, -1, -1)) * 16, "application/octet-stream"),
        Variant("invalid utf-8", b"To=%FF%FE&Body=\xff\xfe\xfd&From=\xc3\x28&%C3=%28", FORM),
        Variant("malformed percent", b"To=%ZZ&Body=%&&&=&==&%", FORM),
        Variant("six megabytes", b"Body=" + b"a" * SIX_MB, FORM),
        Variant("huge fields", _form([(name, "x" * 50_000) for name in PARAMS]), FORM),
        Variant("huge body field", _form([("To", "+14155550199"), ("Body", "é" * 300_000)]), FORM),
        Variant(
            "wrong types",
            _form(list(zip(PARAMS, itertools.cycle(WEIRD_VALUES), strict=False))),
            FORM,
        ),
        Variant(
            "wrong types, shifted",
            _form(list(zip(PARAMS, itertools.cycle(WEIRD_VALUES[7:]), strict=False))),
            FORM,
        ),
        Variant(
            "repeated keys",
            _form(
                [(name, value) for name in PARAMS for value in ("a", "", "+14155550100")]
                + [("MediaUrl", f"https://example.com/{i}.jpg") for i in range(30)]
            ),
            FORM,
        ),
        Variant(
            "json",
            json.dumps({"To": ["+1", 2], "Body": {"a": 1}, "PageSize": "x", "From": None}).encode(),
            "application/json",
        ),
        Variant("json invalid", b"{not json", "application/json"),
        Variant("json array", b"[1, 2, 3]", "application/json"),
        Variant("multipart junk", multipart_junk, "multipart/form-data; boundary=XYZ"),
        Variant("multipart no boundary", multipart_junk, "multipart/form-data"),
        Variant(
            "multipart with a file",
            files={"MediaUrl": ("x.bin", b"\x00" * 1000, "application/octet-stream")},
            data={"To": "+14155550199", "Body": "x", "FriendlyName": "f", "PageSize": "z"},
        ),
        Variant("query invalid utf-8", raw_query="%FF%FE=%C3%28&PageSize=%FF&To=%00&DateSent%3C=%"),
        Variant(
            "query junk",
            query=(("PageSize", "abc"), ("\x00", "\x00"), ("DateSent<", "x"), ("%FF", "\ud7ff")),
        ),
        Variant(
            "paging body", _form([("PageSize", "abc"), ("Page", "-1"), ("PageToken", "x")]), FORM
        ),
    ]


BODY_VARIANTS = body_variants()
PAGING_VARIANTS = [Variant(f"paging {sorted(j)}", query=tuple(j.items())) for j in PAGING_JUNK]
_BY_NAME = {v.name: v for v in BODY_VARIANTS}
NO_AUTH_VARIANTS = [_BY_NAME[n] for n in ("empty", "six megabytes", "json")]
BAD_AUTH_VARIANTS = [_BY_NAME[n] for n in ("empty", "wrong types")]  # [1] for garbage SIDs


def garbage_sids(name: str, valid: str) -> list[str]:
    prefix = valid[:2]
    return [
        prefix + "0" * 32,  # well formed, unknown
        prefix + "Z" * 32,  # right prefix, not hex
        "x",
        "a" * 5000,
        "\x00",
        "ñ😀' OR 1=1 --",
        "SM" + "0" * 32 if prefix != "SM" else "PN" + "0" * 32,  # another kind of resource
    ]


# --- The server and the valid resources ------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[LiveServer]:
    with live_server() as running:
        yield running


@pytest.fixture
def http(hostile_server: LiveServer, recorder: Any) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hostile_server.base_url,
        timeout=60,
        event_hooks={"response": [recorder.httpx_hook]},
    ) as client:
        yield client


@pytest.fixture
def world(http: httpx.Client) -> dict[str, str]:
    """Fresh resources on the module's server: valid values for every path parameter."""

    def post(path: str, **data: Any) -> dict[str, Any]:
        response = http.post(path, data=data, auth=MAIN)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    number = post(f"{A}/IncomingPhoneNumbers.json", AreaCode="415")
    service = post("/v1/Services", FriendlyName="hostile")
    post(f"/v1/Services/{service['sid']}/PhoneNumbers", PhoneNumberSid=number["sid"])
    message = post(
        f"{A}/Messages.json",
        To="+14155550199",
        From=number["phone_number"],
        Body="hostile",
        MediaUrl="https://example.com/a.jpg",
    )
    media = http.get(f"{A}/Messages/{message['sid']}/Media.json", auth=MAIN).json()["media_list"]
    key = post(f"{A}/Keys.json", FriendlyName="hostile")
    sub = post("/2010-04-01/Accounts.json", FriendlyName="hostile")
    # An active Event Streams Sink: its test event goes nowhere, but the attempt log has its id.
    config = json.dumps({"destination": "http://127.0.0.1:9/events"})
    sink = post("/v1/Sinks", Description="hostile", SinkType="webhook", SinkConfiguration=config)
    post(f"/v1/Sinks/{sink['sid']}/Test")
    post(f"/v1/Sinks/{sink['sid']}/Validate", TestId=_test_id(http, sink["sid"]))
    types = json.dumps({"type": "com.twilio.messaging.message.delivered"})
    subscription = post("/v1/Subscriptions", Description="x", SinkSid=sink["sid"], Types=types)
    template = {"language": "en", "types": {"twilio/text": {"body": "Hello {{1}}"}}}
    content = http.post("/v1/Content", json=template, auth=MAIN)
    assert content.status_code == 201, content.text
    return {
        "content": content.json()["sid"],
        "number": number["sid"],
        "service": service["sid"],
        "message": message["sid"],
        "media": media[0]["sid"],
        "key": key["sid"],
        "account": sub["sid"],
        "sink": sink["sid"],
        "subscription": subscription["sid"],
    }


def _test_id(http: httpx.Client, sink_sid: str) -> str:
    """The test_id of the Sink's test event, read from the attempt log once it was sent."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = http.get("/_sim/webhooks", params={"Kind": "event"}, auth=MAIN).json()
        for attempt in found["webhooks"]:
            if sink_sid in attempt["error_detail"]:
                [event] = json.loads(attempt["request"]["body"])
                return str(event["data"]["test_id"])
        time.sleep(0.02)
    raise AssertionError(f"the test event of {sink_sid} was never sent")


def _valid_params(route: Route, world: dict[str, str]) -> dict[str, str]:
    path = route.path
    values: dict[str, str] = {"account_sid": TEST_ACCOUNT_SID}
    if "{message_sid}" in path:
        values["message_sid"] = world["message"]
    if "{service_sid}" in path:
        values["service_sid"] = world["service"]
    if "{subscription_sid}" in path:
        values["subscription_sid"] = world["subscription"]
    values["type"] = "com.twilio.messaging.message.delivered"
    values["id"] = "Messaging.MessageStatus"
    values["schema_version"] = "8"
    if "{sid}" in path:
        if path.startswith("/v1/Sinks/"):
            values["sid"] = world["sink"]
        elif path.startswith("/v1/Subscriptions/"):
            values["sid"] = world["subscription"]
    if "{content_sid}" in path:
        values["content_sid"] = world["content"]
    if "{sid}" in path:
        if path.startswith("/v1/Content/"):
            values["sid"] = world["content"]
        elif path.startswith("/2010-04-01/Accounts/{sid}"):
            values["sid"] = world["account"]
        elif "/Keys/" in path:
            values["sid"] = world["key"]
        elif "/Media/" in path:
            values["sid"] = world["media"]
        elif "/Messages/" in path:
            values["sid"] = world["message"]
        elif "/IncomingPhoneNumbers/" in path or "/PhoneNumbers/" in path:
            values["sid"] = world["number"]
        else:
            values["sid"] = world["service"]
    return values


def _fill(route: Route, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: quote(values[m.group(1)], safe=""), route.path)


def _send(http: httpx.Client, method: str, url: str, variant: Variant, auth: Any) -> httpx.Response:
    headers = {"content-type": variant.content_type} if variant.content_type else {}
    params = list(variant.query) or None
    if variant.raw_query:
        url = f"{url}?{variant.raw_query}"
    if variant.files is not None:
        return http.request(
            method, url, params=params, files=variant.files, data=variant.data, auth=auth
        )
    return http.request(
        method, url, params=params, content=variant.content, headers=headers, auth=auth
    )


def _judge(response: httpx.Response, openapi: Any, recorder: Any, label: str) -> list[str]:
    """No 5xx; redirects say where; everything else conforms (4xx: Twilio's error JSON)."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{label}: {response.status_code} {response.text[:300]!r}")
    if 300 <= response.status_code < 400 and "location" not in response.headers:
        problems.append(f"{label}: redirect without a Location")
    exchange = recorder.exchanges[-1]
    problems += [f"{label}: {p}" for p in openapi.problems(exchange)]
    return problems


ROUTE_METHODS = [
    (method, route)
    for route in TWILIO_ROUTES
    for method in sorted(route.methods or ())
    if method != "HEAD"
]


@leaks_ignored
@pytest.mark.parametrize(
    ("method", "route"), ROUTE_METHODS, ids=[f"{m} {r.path}" for m, r in ROUTE_METHODS]
)
def test_every_route_survives_hostile_requests(
    http: httpx.Client,
    world: dict[str, str],
    openapi: Any,
    recorder: Any,
    method: str,
    route: Route,
) -> None:
    valid = _valid_params(route, world)
    failures: list[str] = []

    def attempt(url: str, variant: Variant, auth: Any, who: str) -> None:
        response = _send(http, method, url, variant, auth)
        failures.extend(
            _judge(response, openapi, recorder, f"{method} {url[:120]} [{variant.name}, {who}]")
        )

    valid_url = _fill(route, valid)
    is_list = (
        method == "GET"
        and route.path.endswith((".json", "Services", "PhoneNumbers"))
        and ("{sid}" not in route.path)
    )
    with_auth = BODY_VARIANTS + (PAGING_VARIANTS if is_list else [])
    for variant in NO_AUTH_VARIANTS:
        attempt(valid_url, variant, None, "no auth")
    attempt(valid_url, BAD_AUTH_VARIANTS[0], ("AC" + "f" * 32, "nope"), "bad auth")
    for variant in with_auth:
        attempt(valid_url, variant, MAIN, "auth")
    for name in valid:
        for sid in garbage_sids(name, valid[name]):
            url = _fill(route, {**valid, name: sid})
            attempt(
                url, BAD_AUTH_VARIANTS[-1 if method == "POST" else 0], MAIN, f"{name}={sid!r:.20}"
            )
        attempt(_fill(route, {**valid, name: "x"}), NO_AUTH_VARIANTS[0], None, f"{name}, no auth")

    finalize_uploads(http)  # while the filters above are active
    assert not failures, f"{len(failures)} bad responses:\n" + "\n".join(failures[:40])


def test_unrouted_methods_and_paths_are_twilio_errors(
    http: httpx.Client, openapi: Any, recorder: Any
) -> None:
    failures: list[str] = []
    paths = sorted({route.path for route in TWILIO_ROUTES})
    served = {path: {m for r in TWILIO_ROUTES if r.path == path for m in r.methods or ()}
              for path in paths}  # fmt: skip
    for path in paths:
        url = re.sub(r"\{\w+\}", "x", path)
        for method in ("PUT", "PATCH", "OPTIONS", "TRACE"):
            if method in served[path]:
                continue  # PUT /v1/Content/{sid} (the Content API's update)
            response = http.request(method, url, auth=MAIN)
            failures += _judge(response, openapi, recorder, f"{method} {url}")
            if response.status_code != 405 and method != "OPTIONS":
                failures.append(f"{method} {url}: {response.status_code}, expected 405")
    # Unserved paths in the API's own namespaces (the root may serve a dashboard).
    for url in (f"{A}.xml", f"{A}/Calls.json", "/2010-04-01/Nope.json", "/v1/x/y/z/w"):
        response = http.get(url, auth=MAIN)
        failures += _judge(response, openapi, recorder, f"GET {url}")
        assert response.status_code == 404, url
    assert not failures, "\n".join(failures[:40])


@leaks_ignored
def test_oversized_bodies_are_413_whatever_the_encoding(
    http: httpx.Client, world: dict[str, str], openapi: Any, recorder: Any
) -> None:
    """The 5 MB request limit holds for multipart bodies too, not only for forms."""
    url = f"{A}/Messages.json"
    form = http.post(
        url, content=b"Body=" + b"a" * SIX_MB, headers={"content-type": FORM}, auth=MAIN
    )
    assert form.status_code == 413
    assert form.json()["code"] == 21000
    multipart = http.post(
        url,
        files={"MediaUrl": ("big.bin", b"a" * SIX_MB, "application/octet-stream")},
        data={"To": "+14155550199"},
        auth=MAIN,
    )
    finalize_uploads(http)  # while the filters above are active
    assert multipart.status_code == 413, multipart.text
    assert multipart.json()["code"] == 21000
    failures = [p for ex in recorder.exchanges for p in openapi.problems(ex)]
    assert not failures, failures


# --- Hypothesis ------------------------------------------------------------------------------

HYPOTHESIS = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
names = st.one_of(st.sampled_from(PARAMS), st.text(max_size=12))
values = st.one_of(
    st.sampled_from(WEIRD_VALUES),
    st.text(max_size=300),
    st.from_regex(r"\+[0-9]{1,16}", fullmatch=True),
    st.from_regex(r"https?://[a-z_.]{0,20}/[a-z]{0,5}", fullmatch=True),
)
forms = st.lists(st.tuples(names, values), max_size=25)


def _encodable(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()


@HYPOTHESIS
@given(
    pairs=forms,
    target=st.sampled_from(
        [
            ("POST", f"{A}/Messages.json"),
            ("GET", f"{A}/Messages.json"),
            ("POST", f"{A}/IncomingPhoneNumbers.json"),
            ("GET", f"{A}/IncomingPhoneNumbers.json"),
            ("POST", "/v1/Services"),
            ("GET", "/v1/Services"),
            ("POST", "/2010-04-01/Accounts.json"),
            ("POST", f"{A}/Keys.json"),
        ]
    ),
)
def test_random_forms(
    http: httpx.Client,
    openapi: Any,
    recorder: Any,
    pairs: list[tuple[str, str]],
    target: tuple[str, str],
) -> None:
    method, url = target
    encoded = _encodable(pairs)
    if method == "GET":
        response = http.get(f"{url}?{encoded.decode()}", auth=MAIN)
    else:
        response = http.post(url, content=encoded, headers={"content-type": FORM}, auth=MAIN)
    problems = _judge(response, openapi, recorder, f"{method} {url} {pairs!r:.300}")
    assert not problems, problems


@HYPOTHESIS
@given(pairs=forms, target=st.sampled_from(["message", "number", "service", "account", "key"]))
def test_random_updates_of_existing_resources(
    http: httpx.Client,
    world: dict[str, str],
    openapi: Any,
    recorder: Any,
    pairs: list[tuple[str, str]],
    target: str,
) -> None:
    url = {
        "message": f"{A}/Messages/{world['message']}.json",
        "number": f"{A}/IncomingPhoneNumbers/{world['number']}.json",
        "service": f"/v1/Services/{world['service']}",
        "account": f"/2010-04-01/Accounts/{world['account']}.json",
        "key": f"{A}/Keys/{world['key']}.json",
    }[target]
    response = http.post(url, content=_encodable(pairs), headers={"content-type": FORM}, auth=MAIN)
    problems = _judge(response, openapi, recorder, f"POST {url} {pairs!r:.300}")
    assert not problems, problems


PATH_TEMPLATES = [
    f"{A}/Messages/{{}}.json",
    f"{A}/Messages/{{}}/Media.json",
    f"{A}/Messages/{{}}/Media/{{}}",
    f"{A}/Messages/{{}}/Media/{{}}.json",
    f"{A}/IncomingPhoneNumbers/{{}}.json",
    f"{A}/Keys/{{}}.json",
    "/2010-04-01/Accounts/{}.json",
    "/2010-04-01/Accounts/{}/Messages.json",
    "/v1/Services/{}",
    "/v1/Services/{}/PhoneNumbers",
    "/v1/Services/{}/PhoneNumbers/{}",
]


@settings(HYPOTHESIS, max_examples=100)
@given(
    segment=st.text(min_size=1, max_size=60),
    template=st.sampled_from(PATH_TEMPLATES),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_random_path_segments(
    http: httpx.Client, openapi: Any, recorder: Any, segment: str, template: str, method: str
) -> None:
    quoted = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    url = template.replace("{}", quoted)
    response = http.request(method, url, auth=MAIN)
    problems = _judge(response, openapi, recorder, f"{method} {url}")
    assert not problems, problems


# --- Specific findings, pinned ---------------------------------------------------------------


def test_multipart_uploads_are_closed(http: httpx.Client) -> None:
    """A multipart body's files must be closed after the request (Starlette leaves that to the
    app); an upload that is garbage-collected open warns "Unclosed file"."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            response = http.post(
                f"{A}/Messages.json",
                files={"MediaUrl": ("x.bin", b"\x00" * 1000, "application/octet-stream")},
                data={"To": "+14155550199"},
                auth=MAIN,
            )
            assert response.status_code == 400
        finalize_uploads(http)
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


def test_sms_application_sid_must_be_an_application_sid(
    http: httpx.Client, world: dict[str, str]
) -> None:
    url = f"{A}/IncomingPhoneNumbers/{world['number']}.json"
    response = http.post(url, data={"SmsApplicationSid": "+305772200"}, auth=MAIN)
    assert 400 <= response.status_code < 500, response.text
    assert http.get(url, auth=MAIN).json()["sms_application_sid"] in ("", None)


def test_scan_message_content_must_be_in_its_enum(
    http: httpx.Client, world: dict[str, str]
) -> None:
    url = f"/v1/Services/{world['service']}"
    response = http.post(url, data={"ScanMessageContent": "sometimes"}, auth=MAIN)
    assert 400 <= response.status_code < 500, response.text
    assert http.get(url, auth=MAIN).json()["scan_message_content"] in (
        "inherit",
        "enable",
        "disable",
    )
    for value in ("inherit", "enable", "disable"):
        assert http.post(url, data={"ScanMessageContent": value}, auth=MAIN).status_code == 200
