"""The REST API conformance suite's shared machinery.

Every test here talks to a real switchboard server over HTTP with the official ``twilio`` SDK
(unchanged: only the ``base_url`` of ``client.api``, ``client.messaging``, ``client.content`` and
``client.events`` is set) or with raw ``httpx`` when the wire shape itself is the subject. Every
response either of them receives is recorded, and when the test finishes each recorded JSON body
is validated against Twilio's OpenAPI description of the operation that produced it
(``tests/data/twilio-oai/``).

How responses are checked (:class:`OpenApi`):

* 2xx JSON bodies: the concrete path is mapped to its OpenAPI path template, the operation's
  schema for that status code is resolved (``$ref`` inlined) and validated with ``jsonschema``.
  OpenAPI 3.0's ``nullable: true`` becomes a JSON-Schema type list (plus ``None`` in enums).
* Stricter than the spec, on purpose: the spec lists no ``required`` properties, which would let
  an empty object pass. Real Twilio returns every documented field of these resources, so every
  object schema that declares ``properties`` is checked with all of them required (free-form
  maps such as ``subresource_uris`` and ``links`` declare none). List pages additionally allow
  no undocumented top-level key: the SDK takes the records from the one key that is not paging
  metadata, so any extra key breaks it (SPEC §12). Extra fields inside a resource are allowed
  (the SDK ignores them; Twilio adds fields over time).
* Formats: ``date-time-rfc-2822`` (the SDK silently turns anything else into None), ``date-time``
  (ISO 8601, UTC) and ``http-method`` are enforced; ``phone-number``, ``currency`` and
  ``uri-map`` are descriptive only.
* Documented exceptions, where real Twilio differs from its own spec (:data:`DEVIATIONS`):
  ``format: uri`` is not enforced, because Twilio returns ``uri`` and ``*_page_uri`` as paths
  relative to the host (TOOLING.md, SPEC §6.4); an IncomingPhoneNumber's unset
  ``sms_application_sid`` / ``voice_application_sid`` is ``""`` (the spec's own examples show
  ``""`` although the property's pattern is ``^AP…``).
* 4xx/5xx bodies: the spec documents none; Twilio's error JSON is checked instead
  (:data:`ERROR_SCHEMA`): ``code`` (int), ``message`` (str), ``more_info``
  (``https://www.twilio.com/docs/errors/{code}``), ``status`` (int, equal to the HTTP status),
  optionally ``details``.
* 204 bodies must be empty; 3xx (the media content redirect) and HEAD responses have no JSON.

Test modules cannot import each other or this file (pytest's importlib mode), so helpers are
fixtures; the fuzzer's strategies and wire are modules on pytest's pythonpath (fuzz_*.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jsonschema
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from switchboard.config import Config
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, free_port

OAI_DIR = Path(__file__).resolve().parents[1] / "data" / "twilio-oai"
OAI_FILES = (
    "twilio_api_v2010.json",
    "twilio_messaging_v1.json",
    "twilio_content_v1.json",
    "twilio_events_v1.json",
)
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

_ERROR_VALIDATOR = jsonschema.Draft7Validator(ERROR_SCHEMA)

NUMBER_A = "+14155550100"  # NANP 555-01xx numbers are fictional


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


@dataclass(repr=False)
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)

    def __repr__(self) -> str:  # short: Hypothesis prints fixtures in falsifying examples
        return f"<Recorder of {len(self.exchanges)} responses>"

    def add(self, method: str, url: str, status: int, headers: Any, body: str, via: str) -> None:
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


# (schema, property) -> values Twilio really returns that the property's schema rejects.
DEVIATIONS: dict[tuple[str, str], list[Any]] = {
    ("api.v2010.account.incoming_phone_number", "sms_application_sid"): [""],
    ("api.v2010.account.incoming_phone_number", "voice_application_sid"): [""],
}


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable``, plus required properties (module doc)."""
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
    return out


def _with_deviations(components: dict[str, Any]) -> dict[str, Any]:
    patched = json.loads(json.dumps(components))
    for (schema, prop), values in DEVIATIONS.items():
        if schema not in patched:
            continue
        original = patched[schema]["properties"][prop]
        patched[schema]["properties"][prop] = {"anyOf": [original, {"enum": values}]}
    return patched


def _response_schema(schema: Any, components: dict[str, Any]) -> Any:
    converted = _nullable_to_json_schema(_inline_refs(schema, components))
    if str(schema.get("title", "")).startswith("List"):
        converted["additionalProperties"] = False  # exactly one records key (SPEC §12)
    return converted


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
        self._validators: dict[tuple[str, str, str], jsonschema.Draft7Validator] = {}
        for file in files:
            spec = json.loads(file.read_text(encoding="utf-8"))
            components = _with_deviations(spec["components"]["schemas"])
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
                            schema = _response_schema(content["schema"], components)
                        responses[status] = schema
                    self.operations.append(
                        Operation(
                            method.upper(), template, op["operationId"], regex, responses, literal
                        )
                    )

    def _validator(self, op: Operation, status: str) -> jsonschema.Draft7Validator:
        key = (op.method, op.template, status)
        if key not in self._validators:
            self._validators[key] = jsonschema.Draft7Validator(
                op.responses[status], format_checker=_FORMATS
            )
        return self._validators[key]

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
        if not exchange.path.startswith(("/2010-04-01/", "/v1/")):
            return []  # not the Twilio surface (/healthz, /_sim): no OpenAPI contract applies
        op = self.operation(exchange.method, exchange.path)
        if op is None:
            if (
                exchange.method == "GET"
                and not exchange.path.endswith(".json")
                and "/Media/" in (exchange.path)
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
        validator = self._validator(op, str(exchange.status))
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
    problems = [e.message for e in _ERROR_VALIDATOR.iter_errors(data)]
    if problems:
        return problems
    if data["status"] != http_status:
        problems.append(f"status {data['status']} != HTTP status {http_status}")
    if data["more_info"] != f"{MORE_INFO}{data['code']}":
        problems.append(f"more_info {data['more_info']!r} does not name code {data['code']}")
    if not data["message"]:
        problems.append("empty message")
    return problems


@pytest.fixture
def make_exchange() -> Callable[..., Exchange]:
    """``make_exchange(method, path, status, body, content_type)``: a response to validate."""

    def make(
        method: str, path: str, status: int, body: Any, content_type: str = "application/json"
    ) -> Exchange:
        text = body if isinstance(body, str) else json.dumps(body)
        url = f"http://127.0.0.1{path}"
        return Exchange(method, url, status, {"content-type": content_type}, text, "test")

    return make


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
    config.addinivalue_line("markers", "no_schema_check: the test checks recorded responses itself")


# --- Server ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _stopping() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=15)


@pytest.fixture
def server(_stopping: list[threading.Thread]) -> Iterator[LiveServer]:
    """The root ``server`` fixture (fresh server, in-memory SQLite, the test account), except
    that it shuts down in the background: uvicorn's ~0.2 s shutdown would otherwise dominate
    the suite's run time. Every server has its own port and database, so overlap is harmless.
    """
    config = Config(
        database=":memory:",
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
        port=free_port(),
    )
    running = LiveServer(config).start()
    yield running
    stopper = threading.Thread(target=running.stop, name="switchboard-stop", daemon=True)
    stopper.start()
    _stopping.append(stopper)


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
        sdk.events.base_url = server.base_url
        sdk.content.base_url = server.base_url
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
        sdk.events.base_url = server.base_url
        sdk.content.base_url = server.base_url
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
def page_error() -> Callable[..., Any]:
    """``with page_error(code, status): ...`` for list reads.

    The SDK does not raise TwilioRestException for a list page that is not 200: it raises the
    base ``TwilioException("Unable to fetch page", response)`` (twilio/base/page.py), so the
    Twilio error is read from the response it carries.
    """

    @contextmanager
    def expect(code: int, status: int) -> Iterator[Any]:
        with pytest.raises(TwilioException) as caught:
            yield caught
        assert not isinstance(caught.value, TwilioRestException)
        message, response = caught.value.args
        assert message == "Unable to fetch page"
        assert response.status_code == status, response
        data = json.loads(response.text)
        assert data["code"] == code, response
        assert data["status"] == status, response

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
