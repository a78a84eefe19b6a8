"""The REST API conformance suite's shared machinery.

Every test here talks to a real switchboard server over HTTP with the official ``twilio`` SDK
(unchanged: only ``client.api.base_url`` and ``client.messaging.base_url`` are set) or with raw
``httpx`` when the wire shape itself is the subject. Every response either of them receives is
recorded, and when the test finishes each recorded JSON body is validated against Twilio's
OpenAPI description of the operation that produced it (``tests/data/twilio-oai/``).

How responses are checked (:class:`OpenApi`):

* 2xx JSON bodies: the concrete path is mapped to its OpenAPI path template, the operation's
  schema for that status code is resolved (``$ref`` inlined) and validated with ``jsonschema``.
  OpenAPI 3.0's ``nullable: true`` becomes a JSON-Schema type list (plus ``None`` in enums).
* Stricter than the spec, on purpose: the spec lists no ``required`` properties, which would let
  an empty object pass. Real Twilio returns every documented field of these resources and the
  SDK's list parsing breaks on any undocumented top-level key, so every object schema that
  declares ``properties`` is checked with all of them required and no others allowed.
  (Free-form maps such as ``subresource_uris`` and ``links`` declare none and stay open.)
* Formats: ``date-time-rfc-2822`` (the SDK silently turns anything else into None), ``date-time``
  (ISO 8601, UTC) and ``http-method`` are enforced. Documented exception where real Twilio
  differs from its own spec: ``format: uri`` is *not* enforced, because Twilio returns ``uri`` and
  ``*_page_uri`` as paths relative to the host (TOOLING.md, SPEC §6.4); other formats
  (``phone-number``, ``currency``, ``uri-map``) are descriptive only.
* 4xx/5xx bodies: the spec documents none; Twilio's error JSON is checked instead
  (:data:`ERROR_SCHEMA`): ``code`` (int), ``message`` (str), ``more_info``
  (``https://www.twilio.com/docs/errors/{code}``), ``status`` (int, equal to the HTTP status),
  optionally ``details``.
* 204 bodies must be empty; 3xx (the media content redirect) and HEAD responses have no JSON.

Test modules cannot import each other or this file (pytest's importlib mode), so helpers are
fixtures.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jsonschema
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer

OAI_DIR = Path(__file__).resolve().parents[1] / "data" / "twilio-oai"
OAI_FILES = ("twilio_api_v2010.json", "twilio_messaging_v1.json")
MORE_INFO = "https://www.twilio.com/docs/errors/"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
        "details": {"type": "object"},
    },
    "additionalProperties": False,
}

# Numbers used across the suite (all NANP 555-01xx: fictional).
NUMBER_A = "+14155550100"
NUMBER_B = "+14155550101"
RECIPIENT = "+14155550199"
RECIPIENT_2 = "+14155550198"


# --- Recording -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP response as a client saw it."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: str
    via: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def json(self) -> Any:
        return json.loads(self.body)

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} (via {self.via})"


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)

    def add(
        self, method: str, url: str, status: int, headers: Any, body: str, via: str
    ) -> None:
        lowered = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
        self.exchanges.append(Exchange(method.upper(), str(url), status, lowered, body, via))

    def httpx_hook(self, response: httpx.Response) -> None:
        response.read()
        self.add(
            response.request.method,
            str(response.request.url),
            response.status_code,
            response.headers,
            response.text,
            "httpx",
        )


class RecordingHttpClient(TwilioHttpClient):
    """The SDK's own synchronous HTTP client, recording every response it returns."""

    def __init__(self, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        params = kwargs.get("params") or (args[0] if args else None)
        full = f"{url}?{urlencode(params, doseq=True)}" if params else url
        self.recorder.add(
            method, full, response.status_code, response.headers, response.text, "sdk"
        )
        return response


class RecordingAsyncHttpClient(AsyncTwilioHttpClient):
    """The SDK's asyncio HTTP client (aiohttp), recording every response it returns."""

    def __init__(self, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = await super().request(method, url, *args, **kwargs)
        self.recorder.add(
            method, url, response.status_code, response.headers, response.text, "sdk-async"
        )
        return response


# --- OpenAPI validation ----------------------------------------------------------------------


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable``, plus the suite's strictness (module doc)."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if isinstance(out.get("properties"), dict) and out["properties"]:
        out["required"] = sorted(out["properties"])
        out["additionalProperties"] = False
    return out


def _inline_refs(node: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_inline_refs(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix("#/components/schemas/")
        if name in seen:
            raise ValueError(f"recursive schema {name}")
        return _inline_refs(components[name], components, (*seen, name))
    return {k: _inline_refs(v, components, seen) for k, v in node.items()}


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
def _is_rfc2822(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = parsedate_to_datetime(value)
    # GMT, as Twilio writes it: "Thu, 24 Aug 2023 05:01:45 +0000".
    return moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


@_FORMATS.checks("date-time", raises=ValueError)
def _is_iso8601_utc(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


@_FORMATS.checks("http-method")
def _is_http_method(value: object) -> bool:
    return not isinstance(value, str) or value in {"GET", "POST", "PUT", "DELETE", "HEAD"}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    template: str
    operation_id: str
    regex: re.Pattern[str]
    responses: dict[str, Any]  # status -> JSON schema (None when the status has no content)
    literal_chars: int


class OpenApi:
    """Twilio's OpenAPI operations for the served paths, ready to validate responses."""

    def __init__(self, files: list[Path]) -> None:
        self.operations: list[Operation] = []
        for file in files:
            spec = json.loads(file.read_text(encoding="utf-8"))
            components = spec["components"]["schemas"]
            for template, item in spec["paths"].items():
                regex = re.compile(
                    "^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)) + "$"
                )
                literal = len(re.sub(r"\{[A-Za-z]+\}", "", template))
                for method, op in item.items():
                    if not isinstance(op, dict) or "responses" not in op:
                        continue
                    responses: dict[str, Any] = {}
                    for status, response in op["responses"].items():
                        content = response.get("content", {}).get("application/json")
                        schema = None
                        if content is not None:
                            schema = _nullable_to_json_schema(
                                _inline_refs(content["schema"], components)
                            )
                        responses[status] = schema
                    self.operations.append(
                        Operation(
                            method.upper(), template, op["operationId"], regex, responses, literal
                        )
                    )

    def operation(self, method: str, path: str) -> Operation | None:
        found = [op for op in self.operations if op.method == method and op.regex.match(path)]
        # "/v1/Services/{Sid}" also matches literal siblings; the most literal template wins.
        return max(found, key=lambda op: op.literal_chars) if found else None

    def problems(self, exchange: Exchange) -> list[str]:
        """Why ``exchange`` does not conform (empty when it does)."""
        if exchange.method == "HEAD" or 300 <= exchange.status < 400:
            return []
        if exchange.status == 204:
            return [] if exchange.body == "" else [f"{exchange}: 204 with a body"]
        content_type = exchange.headers.get("content-type", "")
        is_json = content_type.split(";")[0].strip() == "application/json"
        if exchange.status >= 400:
            if not is_json:
                return [f"{exchange}: error with content-type {content_type!r}"]
            return [f"{exchange}: {p}" for p in error_problems(exchange.body, exchange.status)]
        op = self.operation(exchange.method, exchange.path)
        if op is None:
            if exchange.method == "GET" and not exchange.path.endswith(".json") and "/Media/" in (
                exchange.path
            ):
                return []  # media bytes (no OpenAPI operation: the content URL)
            return [f"{exchange}: no OpenAPI operation for this method and path"]
        if not is_json:
            return [f"{exchange}: content-type {content_type!r} is not application/json"]
        if str(exchange.status) not in op.responses:
            return [f"{exchange}: status not documented for {op.operation_id}"]
        schema = op.responses[str(exchange.status)]
        try:
            body = exchange.json()
        except ValueError:
            return [f"{exchange}: body is not JSON: {exchange.body[:200]!r}"]
        if schema is None:
            return []
        validator = jsonschema.Draft7Validator(schema, format_checker=_FORMATS)
        return [
            f"{exchange}: {op.operation_id} at /{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


def error_problems(body: str, http_status: int) -> list[str]:
    """Why ``body`` is not Twilio's error JSON for an ``http_status`` response."""
    try:
        data = json.loads(body)
    except ValueError:
        return [f"error body is not JSON: {body[:200]!r}"]
    problems = [e.message for e in jsonschema.Draft7Validator(ERROR_SCHEMA).iter_errors(data)]
    if problems:
        return problems
    if data["status"] != http_status:
        problems.append(f"status {data['status']} != HTTP status {http_status}")
    if data["more_info"] != f"{MORE_INFO}{data['code']}":
        problems.append(f"more_info {data['more_info']!r} does not name code {data['code']}")
    if not data["message"]:
        problems.append("empty message")
    return problems


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    return OpenApi([OAI_DIR / name for name in OAI_FILES])


@pytest.fixture(autouse=True)
def recorder(request: pytest.FixtureRequest, openapi: OpenApi) -> Iterator[Recorder]:
    """Every response of the test; validated against the OpenAPI schemas when it ends."""
    recording = Recorder()
    yield recording
    if request.node.get_closest_marker("no_schema_check"):
        return
    problems = [p for ex in recording.exchanges for p in openapi.problems(ex)]
    assert not problems, "responses that do not conform:\n" + "\n".join(problems[:50])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "no_schema_check: the test checks recorded responses itself"
    )


# --- Clients ---------------------------------------------------------------------------------


@pytest.fixture
def make_client(server: LiveServer, recorder: Recorder) -> Iterator[Callable[..., Any]]:
    """``make_client(username, password, account_sid=None)``: a recording SDK Client."""
    made: list[RecordingHttpClient] = []

    def make(
        username: str = TEST_ACCOUNT_SID,
        password: str = TEST_AUTH_TOKEN,
        account_sid: str | None = None,
    ) -> Any:
        http_client = RecordingHttpClient(recorder)
        made.append(http_client)
        sdk = Client(username, password, account_sid, http_client=http_client)
        sdk.api.base_url = server.base_url
        sdk.messaging.base_url = server.base_url
        return sdk

    yield make
    for http_client in made:
        if http_client.session is not None:
            http_client.session.close()


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    """The official SDK as the main account (overrides the non-recording root fixture)."""
    return make_client()


@pytest.fixture
def make_async_client(
    server: LiveServer, recorder: Recorder
) -> Callable[..., tuple[Any, RecordingAsyncHttpClient]]:
    """``make_async_client(username, password)``: (Client, its aiohttp client to close)."""

    def make(
        username: str = TEST_ACCOUNT_SID, password: str = TEST_AUTH_TOKEN
    ) -> tuple[Any, RecordingAsyncHttpClient]:
        http_client = RecordingAsyncHttpClient(recorder)
        sdk = Client(username, password, http_client=http_client)
        sdk.api.base_url = server.base_url
        sdk.messaging.base_url = server.base_url
        return sdk, http_client

    return make


@pytest.fixture
def make_raw(server: LiveServer, recorder: Recorder) -> Iterator[Callable[..., httpx.Client]]:
    """``make_raw(auth=(sid, token) | None)``: a recording httpx client on the server."""
    made: list[httpx.Client] = []

    def make(auth: tuple[str, str] | None = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)) -> httpx.Client:
        http = httpx.Client(
            base_url=server.base_url,
            auth=auth,
            timeout=30,
            event_hooks={"response": [recorder.httpx_hook]},
        )
        made.append(http)
        return http

    yield make
    for http in made:
        http.close()


@pytest.fixture
def raw(make_raw: Callable[..., httpx.Client]) -> httpx.Client:
    """Raw HTTP as the main account, for assertions on the exact wire shape."""
    return make_raw()


@pytest.fixture
def account_path() -> str:
    return f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"


# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture
def twilio_error() -> Callable[..., Any]:
    """``with twilio_error(code, status): ...`` expects a TwilioRestException."""

    @contextmanager
    def expect(code: int, status: int | tuple[int, ...]) -> Iterator[Any]:
        with pytest.raises(TwilioRestException) as caught:
            yield caught
        statuses = status if isinstance(status, tuple) else (status,)
        assert caught.value.code == code, f"code {caught.value.code} (wanted {code}): {caught}"
        assert caught.value.status in statuses, f"HTTP {caught.value.status}: {caught}"

    return expect


@pytest.fixture
def number_record(client: Any) -> Any:
    """An IncomingPhoneNumber (NUMBER_A) owned by the main account."""
    return client.incoming_phone_numbers.create(phone_number=NUMBER_A)


@pytest.fixture
def number(number_record: Any) -> str:
    """NUMBER_A, owned by the main account."""
    return str(number_record.phone_number)


@pytest.fixture
def pool_service(client: Any, number_record: Any) -> Any:
    """A Messaging Service whose sender pool holds ``number``."""
    service = client.messaging.v1.services.create(friendly_name="pool")
    client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=number_record.sid
    )
    return service


@pytest.fixture
def wait_for_status(client: Any) -> Callable[..., Any]:
    """``wait_for_status(sid, "delivered")``: poll every 0.05 s for up to 5 s."""

    def wait(sid: str, *statuses: str, timeout: float = 5.0, sdk: Any = None) -> Any:
        wanted = statuses or ("delivered",)
        messages = (sdk or client).messages
        deadline = time.monotonic() + timeout
        message = messages(sid).fetch()
        while message.status not in wanted:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{sid} is still {message.status!r} after {timeout} s (wanted {wanted})"
                )
            time.sleep(0.05)
            message = messages(sid).fetch()
        return message

    return wait


@pytest.fixture
def utcnow() -> Callable[[], datetime]:
    return lambda: datetime.now(UTC)

