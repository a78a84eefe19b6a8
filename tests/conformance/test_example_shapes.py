"""Every resource, field by field, shaped like Twilio's own response examples.

The JSON-schema check (conftest's ``recorder``) cannot tell ``null`` from ``""``: Twilio's
schemas mark nearly every string ``nullable``. Twilio's OpenAPI copy also carries response
*examples* (``responses.<status>.content.application/json.examples.<name>.value``), and those
are real Twilio answers; they are the ground truth for how an unset field looks (TOOLING.md).
Apps notice the difference: ``if number.voice_url is None`` or ``if not message.price``
depend on it.

The tour below drives every JSON operation switchboard serves (official SDK and raw HTTP
against a live server), in the states that leave fields unset (a fresh number, a queued
message, an inbound message, a service without URLs) and in states that fill them (a number
with webhooks, a delivered and an undelivered message, a scheduled and a canceled one, an
MMS). Every record of every 2xx response is compared with the examples of the resource it
is (one resource, one component schema: a Message is compared with the examples of all the
Message operations, list pages included). The rules, per field:

* **Keys**: a key present in every example record of the resource must be present; a key
  neither an example nor the schema knows must be absent. A key only some examples show is
  optional (a Message's ``subresource_uris.feedback`` appears in the fetch examples, not the
  create ones). Nested maps (``subresource_uris``, ``links``, ``capabilities``) follow the
  same rule, level by level.
* **Unset**: where the examples answer ``""`` the field is ``""`` when unset, never
  ``null``; where they answer ``null`` it is ``null`` when unset, never ``""``. A field the
  examples only ever show filled (``messaging_service_sid``, ``address_sid``, a service's
  ``status_callback``) may be ``null`` when unset if its schema says ``nullable``, never
  ``""``. No field is answered both ways by the examples (checked below).
* **Set**: a field the examples show ``null`` only because that example had no value
  (``error_code``, ``date_sent``, ``price``, ``trunk_sid``) may carry a value when switchboard
  has one; a value has the JSON type the examples give it (``error_code`` an integer,
  ``num_segments`` a string, ``validity_period`` an integer), or, where every example is
  ``null``/``""``, the schema's type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID

OAI_DIR = Path(__file__).resolve().parents[1] / "data" / "twilio-oai"
OAI_FILES = ("twilio_api_v2010.json", "twilio_messaging_v1.json")
A = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
RECIPIENT = "+14155550199"
UNDELIVERABLE = "+14155550177"
NUMBER_B = "+14155550101"
MEDIA = ["https://example.com/cat.jpg"]
UNSET = (None, "")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --- What the examples say -------------------------------------------------------------------


@dataclass
class FieldRule:
    """How Twilio's examples answer one field of one resource."""

    seen_in: int = 0  # how many example records carry the key
    unset: set[Any] = field(default_factory=set)  # subset of {None, ""}
    types: set[str] = field(default_factory=set)  # JSON types of the filled values
    schema_type: str | None = None
    nullable: bool = False
    nested: Shape | None = None


@dataclass
class Shape:
    """The example records of one object (a resource, or a map inside one)."""

    records: int = 0
    fields: dict[str, FieldRule] = field(default_factory=dict)

    def learn(self, record: dict[str, Any]) -> None:
        self.records += 1
        for key, value in record.items():
            rule = self.fields.setdefault(key, FieldRule())
            rule.seen_in += 1
            if value in UNSET and not isinstance(value, bool):
                rule.unset.add(value)
                continue
            rule.types.add(json_type(value))
            if isinstance(value, dict):
                rule.nested = rule.nested or Shape()
                rule.nested.learn(value)

    def add_schema(self, properties: dict[str, Any]) -> None:
        for key, prop in properties.items():
            rule = self.fields.setdefault(key, FieldRule())
            rule.schema_type = prop.get("type")
            rule.nullable = bool(prop.get("nullable"))

    def problems(self, record: Any, where: str) -> list[str]:
        if not isinstance(record, dict):
            return [f"{where}: {json_type(record)}, not an object"]
        found = []
        for key, rule in self.fields.items():
            if rule.seen_in and rule.seen_in == self.records and key not in record:
                found.append(f"{where}.{key}: missing (every Twilio example has it)")
        for key, value in record.items():
            rule = self.fields.get(key)
            if rule is None:
                found.append(f"{where}.{key}: not in Twilio's examples nor its schema")
                continue
            found.extend(_value_problems(rule, value, f"{where}.{key}"))
        return found


def _value_problems(rule: FieldRule, value: Any, where: str) -> list[str]:
    if value is None:
        if None in rule.unset or (not rule.unset and rule.nullable):
            return []
        if "" in rule.unset:
            return [f'{where}: null, Twilio\'s examples answer "" when unset']
        return [f"{where}: null, never null in Twilio's examples nor nullable in its schema"]
    if value == "":
        if "" in rule.unset:
            return []
        if None in rule.unset:
            return [f'{where}: "", Twilio\'s examples answer null when unset']
        return [f'{where}: "", never "" in Twilio\'s examples (null when unset if nullable)']
    wanted = rule.types or ({rule.schema_type} if rule.schema_type else set())
    if wanted and json_type(value) not in wanted:
        return [f"{where}: {json_type(value)} {value!r}, Twilio's examples have {sorted(wanted)}"]
    if isinstance(value, dict) and rule.nested is not None:
        return rule.nested.problems(value, where)
    return []


def _schema_name(schema: dict[str, Any]) -> tuple[str, str | None]:
    """(component name of the records, records key of a list page or None)."""
    ref = schema.get("$ref")
    if ref:
        return ref.rsplit("/", 1)[1], None
    for key, prop in schema["properties"].items():
        if prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            return prop["items"]["$ref"].rsplit("/", 1)[1], key
    raise AssertionError(f"no records in {schema}")


@dataclass(frozen=True)
class ExampleOperation:
    method: str
    regex: re.Pattern[str]
    literal_chars: int
    template: str
    resource: str
    records_key: str | None


class Examples:
    """Twilio's response examples, one :class:`Shape` per resource."""

    def __init__(self) -> None:
        self.shapes: dict[str, Shape] = {}
        self.operations: list[ExampleOperation] = []
        self.conflicts: list[str] = []
        component_schemas: dict[str, Any] = {}
        for name in OAI_FILES:
            spec = json.loads((OAI_DIR / name).read_text(encoding="utf-8"))
            schemas = spec["components"]["schemas"]
            for template, item in spec["paths"].items():
                for method, op in item.items():
                    if isinstance(op, dict) and "responses" in op:
                        self._learn(method.upper(), template, op)
            component_schemas.update(schemas)
        for resource, shape in self.shapes.items():
            shape.add_schema(component_schemas[resource].get("properties", {}))
            for key, rule in shape.fields.items():
                if len(rule.unset) > 1:
                    self.conflicts.append(f"{resource}.{key}")

    def _learn(self, method: str, template: str, op: dict[str, Any]) -> None:
        for status, response in op["responses"].items():
            content = response.get("content", {}).get("application/json")
            if not status.startswith("2") or content is None:
                continue
            resource, records_key = _schema_name(content["schema"])
            shape = self.shapes.get(resource)
            if shape is None:
                shape = self.shapes[resource] = Shape()
            for example in content.get("examples", {}).values():
                value = example["value"]
                for record in value[records_key] if records_key else [value]:
                    shape.learn(record)
            regex = re.compile(
                "^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)) + "$"
            )
            literal = len(re.sub(r"\{[A-Za-z]+\}", "", template))
            self.operations.append(
                ExampleOperation(method, regex, literal, template, resource, records_key)
            )

    def operation(self, method: str, path: str) -> ExampleOperation | None:
        found = [op for op in self.operations if op.method == method and op.regex.match(path)]
        return max(found, key=lambda op: op.literal_chars) if found else None

    def problems(self, method: str, path: str, body: Any) -> list[str]:
        op = self.operation(method, path)
        assert op is not None, f"{method} {path}: no Twilio operation"
        shape = self.shapes[op.resource]
        records = body[op.records_key] if op.records_key else [body]
        where = f"{method} {op.template} {op.resource}"
        return [p for record in records for p in shape.problems(record, where)]


@pytest.fixture(scope="module")
def examples() -> Examples:
    return Examples()


# --- The rules themselves --------------------------------------------------------------------


def test_every_resource_has_examples_and_they_never_disagree(examples: Examples) -> None:
    assert examples.conflicts == []
    for resource, shape in examples.shapes.items():
        assert shape.records > 0, f"{resource}: no example (the schema alone would decide)"


def test_incoming_phone_number_examples_say_null_voice_urls(examples: Examples) -> None:
    fields = examples.shapes["api.v2010.account.incoming_phone_number"].fields
    assert fields["voice_url"].unset == {None}
    assert fields["voice_fallback_url"].unset == {None}
    for key in ("sms_fallback_url", "sms_application_sid", "status_callback", "sms_url"):
        assert fields[key].unset == {""}, key


@pytest.mark.parametrize(
    ("field_name", "value", "needle"),
    [
        ("voice_url", "", "answer null when unset"),
        ("sms_url", None, 'answer "" when unset'),
        ("beta", "yes", "Twilio's examples have ['boolean']"),
        ("bogus", 1, "not in Twilio's examples"),
    ],
)
def test_a_wrong_shape_is_caught(
    examples: Examples, field_name: str, value: Any, needle: str
) -> None:
    path = f"{A}/IncomingPhoneNumbers/PN{'a' * 32}.json"
    body = {
        "voice_url": None,
        "sms_url": "",
        "beta": False,
    }
    body[field_name] = value
    problems = examples.problems("GET", path, body)
    assert any(needle in p and field_name in p for p in problems), problems


def test_a_missing_key_is_caught(examples: Examples) -> None:
    problems = examples.problems("GET", f"{A}/Keys/SK{'a' * 32}.json", {"sid": "SK"})
    assert any("friendly_name: missing" in p for p in problems), problems


# --- The tour --------------------------------------------------------------------------------


@pytest.fixture
def tour(client: Any, raw: httpx.Client, wait_for_status: Any) -> dict[str, Any]:
    """Drive every JSON operation, leaving fields unset and filled; returns what it made."""
    made: dict[str, Any] = {}
    # Accounts and keys.
    client.api.accounts(TEST_ACCOUNT_SID).fetch()
    sub = client.api.accounts.create(friendly_name="shapes")
    client.api.accounts(sub.sid).update(friendly_name="shapes 2")
    client.api.accounts.list()
    key = client.new_keys.create(friendly_name="k")
    client.keys(key.sid).fetch()
    client.keys(key.sid).update(friendly_name="k2")
    client.keys.list()
    client.keys(key.sid).delete()

    # Numbers: fresh (every URL unset), then configured, then cleared again.
    fresh = client.incoming_phone_numbers.create(phone_number=NUMBER_B)
    number = client.incoming_phone_numbers.create(phone_number="+14155550102")
    client.incoming_phone_numbers(number.sid).update(
        sms_url="https://example.com/sms",
        sms_fallback_url="https://example.com/fallback",
        status_callback="https://example.com/status",
    )
    client.incoming_phone_numbers(number.sid).update(sms_url="", sms_fallback_url="")
    client.incoming_phone_numbers(fresh.sid).fetch()
    client.incoming_phone_numbers.list()
    made["number"] = fresh

    # Messaging Services: no URLs, then URLs; the sender pool.
    service = client.messaging.v1.services.create(friendly_name="shapes")
    client.messaging.v1.services(service.sid).update(
        inbound_request_url="https://example.com/in",
        fallback_url="https://example.com/fb",
        status_callback="https://example.com/cb",
    )
    client.messaging.v1.services(service.sid).fetch()
    client.messaging.v1.services.list()
    pool = client.messaging.v1.services(service.sid).phone_numbers
    entry = pool.create(phone_number_sid=fresh.sid)
    pool(entry.sid).fetch()
    pool.list()
    # The other pool sub-resources, and the account's short codes.
    svc = client.messaging.v1.services(service.sid)
    code = raw.post("/_sim/short-codes", data={"ShortCode": "12345"}).json()["sid"]
    client.api.account.short_codes.list()
    client.api.account.short_codes(code).fetch()
    client.api.account.short_codes(code).update(friendly_name="shapes")
    svc.short_codes.create(short_code_sid=code)
    svc.short_codes(code).fetch()
    svc.short_codes.list()
    alpha = svc.alpha_senders.create(alpha_sender="Shapes")
    svc.alpha_senders(alpha.sid).fetch()
    svc.alpha_senders.list()
    local = svc.destination_alpha_senders.create(alpha_sender="ShapesFR", iso_country_code="FR")
    svc.destination_alpha_senders(local.sid).fetch()
    svc.destination_alpha_senders.list()
    channel = raw.post("/_sim/channel-senders", data={"Sender": "whatsapp:+14155550111"})
    svc.channel_senders.create(sid=channel.json()["sid"])
    svc.channel_senders(channel.json()["sid"]).fetch()
    svc.channel_senders.list()

    # Messages: queued, delivered, undelivered (error_code), MMS with media, via a
    # service, scheduled, canceled, redacted, inbound.
    scenario = {"to": UNDELIVERABLE, "outcome": "undelivered", "error_code": 30005}
    assert raw.post("/_sim/scenarios", json=scenario).status_code == 201
    queued = client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="queued")
    wait_for_status(queued.sid, "delivered", timeout=30)
    bad = client.messages.create(to=UNDELIVERABLE, from_=NUMBER_B, body="no")
    wait_for_status(bad.sid, "undelivered", timeout=30)
    mms = client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="pic", media_url=MEDIA)
    media = client.messages(mms.sid).media.list()
    client.messages(mms.sid).media(media[0].sid).fetch()
    client.messages.create(to=RECIPIENT, messaging_service_sid=service.sid, body="pooled")
    scheduled = client.messages.create(
        to=RECIPIENT,
        messaging_service_sid=service.sid,
        body="later",
        send_at=datetime.now(UTC) + timedelta(minutes=10),
        schedule_type="fixed",
    )
    client.messages(scheduled.sid).update(status="canceled")
    client.messages(queued.sid).update(body="")
    client.messages(queued.sid).feedback.create(outcome="confirmed")
    injected = raw.post("/_sim/inbound", data={"From": RECIPIENT, "To": NUMBER_B, "Body": "hi"})
    assert injected.status_code == 201, injected.text
    client.messages(injected.json()["sid"]).fetch()
    client.messages.list()
    # Raw pages too: the SDK hides nothing, but raw HTTP shows the wire itself.
    raw.get(f"{A}/Messages.json")
    raw.get(f"{A}/IncomingPhoneNumbers.json")

    # Deletes (204, no body) close the tour.
    client.messages(mms.sid).media(media[0].sid).delete()
    pool(entry.sid).delete()
    client.messaging.v1.services(service.sid).delete()
    client.incoming_phone_numbers(number.sid).delete()
    return made


def test_every_resource_is_shaped_like_twilios_examples(
    tour: dict[str, Any], recorder: Any, examples: Examples
) -> None:
    problems: list[str] = []
    covered: set[tuple[str, str]] = set()
    for exchange in recorder.exchanges:
        if not 200 <= exchange.status < 300 or exchange.status == 204:
            continue
        if not exchange.path.startswith(("/2010-04-01/", "/v1/")):
            continue  # /_sim: switchboard's own surface
        op = examples.operation(exchange.method, exchange.path)
        assert op is not None, exchange
        covered.add((op.method, op.template))
        problems.extend(examples.problems(exchange.method, exchange.path, exchange.json()))
    assert not problems, "\n".join(["", *sorted(set(problems))])
    every = {(op.method, op.template) for op in examples.operations}
    assert every - covered == set()


def test_a_fresh_number_answers_null_voice_urls_and_empty_sms_fields(
    tour: dict[str, Any], raw: httpx.Client
) -> None:
    """Prism's finding: voice URLs are null, the unset SMS fields "" (Twilio's examples)."""
    sid = tour["number"].sid
    body = raw.get(f"{A}/IncomingPhoneNumbers/{sid}.json").json()
    assert body["voice_url"] is None
    assert body["voice_fallback_url"] is None
    assert body["voice_application_sid"] == ""
    for key in ("sms_url", "sms_fallback_url", "sms_application_sid", "status_callback"):
        assert body[key] == "", key
