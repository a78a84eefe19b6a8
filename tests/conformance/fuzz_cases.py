"""What the fuzzer sends (tests/conformance/test_fuzz.py, bench/fuzz.py): Hypothesis strategies
of cases.

Every generated example is one raw HTTP/1.1 request (a socket, not a client library, so that
invalid UTF-8, bad percent-encoding and malformed ``Authorization`` headers reach the server
as written: fuzz_wire.py) built from:

* an operation: every operation of Twilio's OpenAPI copy (``tests/data/twilio-oai``, which holds
  exactly the paths switchboard routes) plus the ``/_sim`` control plane (:data:`SIM_OPERATIONS`,
  from docs/webhooks.md and docs/carrier.md);
* path values: the main account's resources, a subaccount's, a sibling subaccount's (another
  account's SIDs), unknown well-formed SIDs and garbage (100k characters, ``%00``, ``%FF``,
  ``%ZZ``);
* parameters: the operation's own, typed from its OpenAPI schema (integers get huge and negative
  values, enums their values and junk, SIDs references to real resources), plus hostile values
  (NUL, lone surrogates, which encode as invalid UTF-8, 100k characters), unknown names and
  repeats;
* an encoding: form, JSON, multipart (with or without a file), empty, raw bytes, odd content
  types; query strings for reads, sometimes with raw bad percent-encoding;
* credentials: the main account, a subaccount, an API key, a wrong token, none, or a malformed
  ``Authorization`` header.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

OAI_DIR = Path(__file__).resolve().parents[1] / "data" / "twilio-oai"
CLOSED_PORT_URL = "http://127.0.0.1:9/hook"  # webhooks and callbacks go nowhere, quickly
BIG = 100_000


# --- Operations ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    method: str
    template: str  # "{Name}" placeholders, as in the OpenAPI paths
    params: tuple[tuple[str, dict[str, Any]], ...]  # (name, JSON schema)
    json_body: bool = False  # the handler also reads JSON objects (/_sim)

    @property
    def in_query(self) -> bool:
        return self.method in ("GET", "DELETE")


def _openapi_operations() -> list[Op]:
    ops = []
    for name in ("twilio_api_v2010.json", "twilio_messaging_v1.json"):
        spec = json.loads((OAI_DIR / name).read_text(encoding="utf-8"))
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                params = [
                    (p["name"], p.get("schema", {}))
                    for p in op.get("parameters", [])
                    if p.get("in") == "query"
                ]
                for content in op.get("requestBody", {}).get("content", {}).values():
                    params += list(content["schema"].get("properties", {}).items())
                ops.append(Op(op["operationId"], method.upper(), template, tuple(params)))
    return ops


def _s(**schema: Any) -> dict[str, Any]:
    return schema


SIM_OPERATIONS = [
    Op(
        "SimInbound",
        "POST",
        "/_sim/inbound",
        (
            ("From", _s(format="phone-number")),
            ("To", _s(format="phone-number")),
            ("Body", _s(type="string")),
            ("MediaUrl", _s(format="uri")),
            ("MediaContentType", _s(type="string")),
            ("ProfileName", _s(type="string")),
            ("Latitude", _s(type="number")),
        ),
        json_body=True,
    ),
    # The assertion API's searches; Wait is left out (a valid one holds a case up to 60 s):
    # tests/integration/test_sim_search.py covers it.
    Op(
        "SimListWebhooks",
        "GET",
        "/_sim/webhooks",
        (
            ("MessageSid", _s(pattern="^SM")),
            ("Limit", _s(type="integer")),
            ("Kind", _s(type="string", enum=["incoming", "fallback", "status_callback"])),
            ("Url", _s(format="uri")),
            ("Status", _s(type="integer")),
            ("ErrorCode", _s(type="integer")),
            ("Since", _s(type="string", format="date-time")),
        ),
    ),
    Op(
        "SimListMessages",
        "GET",
        "/_sim/messages",
        (
            ("To", _s(format="phone-number")),
            ("From", _s(format="phone-number")),
            ("Status", _s(type="string", enum=["queued", "received", "delivered"])),
            ("Direction", _s(type="string", enum=["inbound", "outbound-api"])),
            ("Body", _s(type="string")),
            ("Since", _s(type="string", format="date-time")),
            ("Limit", _s(type="integer")),
        ),
    ),
    Op("SimFetchWebhook", "GET", "/_sim/webhooks/{AttemptSid}", ()),
    Op("SimReplayWebhook", "POST", "/_sim/webhooks/{AttemptSid}/replay", ()),
    Op("SimFetchExchange", "GET", "/_sim/messages/{MessageSid}", ()),
    Op("SimListScenarios", "GET", "/_sim/scenarios", ()),
    Op("SimAddScenario", "POST", "/_sim/scenarios", (), json_body=True),
    Op("SimReplaceScenarios", "PUT", "/_sim/scenarios", (), json_body=True),
    Op("SimClearScenarios", "DELETE", "/_sim/scenarios", ()),
    Op("SimFetchClock", "GET", "/_sim/clock", ()),
    Op(
        "SimUpdateClock",
        "POST",
        "/_sim/clock",
        (
            ("Freeze", _s(type="boolean")),
            ("Advance", _s(type="number")),
            ("Set", _s(format="date-time")),
        ),
        json_body=True,
    ),
    Op("SimReset", "POST", "/_sim/reset", (("KeepNumbers", _s(type="boolean")),), json_body=True),
]

OPERATIONS = _openapi_operations()


# --- References to the world's resources -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A resource of the running server, resolved when the request is sent."""

    kind: str  # account, key, message, media, number, phone, service, attempt
    owner: str  # main, sub (the subaccount whose credentials are used), other (its sibling)


Value = str | Ref

PREFIXES = {
    "account": "AC",
    "key": "SK",
    "message": "SM",
    "media": "ME",
    "number": "PN",
    "service": "MG",
    "attempt": "WA",
    "short_code": "SC",
    "alpha": "AI",
    "channel": "XE",
}
PATTERN_KINDS = {"AC": "account", "SK": "key", "SM": "message", "MM": "message"}
PATTERN_KINDS |= {"MG": "service", "PN": "number", "ME": "media"}
PATTERN_KINDS |= {"SC": "short_code", "AI": "alpha", "XE": "channel"}


def _path_kind(template: str, name: str) -> str:
    segment = template.split("{" + name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    return {
        "Accounts": "account",
        "Keys": "key",
        "Messages": "message",
        "Media": "media",
        "IncomingPhoneNumbers": "number",
        "Services": "service",
        "PhoneNumbers": "number",
        "webhooks": "attempt",
        "messages": "message",
        "ShortCodes": "short_code",
        "AlphaSenders": "alpha",
        "DestinationAlphaSenders": "alpha",
        "ChannelSenders": "channel",
    }[segment]


# --- Values ----------------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "-99999999999999999999999999",
    "99999999999999999999999999",
    str(2**63),
    str(2**64 + 1),
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "1_000",
    "١٢",
    "true",
    "null",
    "[]",
    "{}",
    "\ud800",  # a lone surrogate: invalid UTF-8 once encoded
    "\udcff\ud800x",
    "😀" * 50,
    "\u202e\u200b\ufeff",
    "%",
    "%ZZ",
    "%FF",
    "\r\n\r\n",
    "' OR 1=1 --",
    "x" * BIG,
    "9" * BIG,
    "+" + "1" * 5000,
]
OWNERS = st.sampled_from(["main", "main", "sub", "other"])
hostile = st.sampled_from(HOSTILE)
text = st.text(max_size=40)


def refs(kind: str) -> st.SearchStrategy[Value]:
    return st.builds(Ref, st.just(kind), OWNERS)


def sid_values(kind: str) -> st.SearchStrategy[Value]:
    prefix = PREFIXES.get(kind, "XX")
    return st.one_of(
        refs(kind),
        refs(kind),
        st.just(prefix + "0" * 32),  # well formed, unknown
        st.just(prefix + "Z" * 32),
        st.sampled_from(list(PREFIXES.values())).map(lambda p: p + "f" * 32),  # other kinds
        hostile,
    )


def values_for(name: str, schema: dict[str, Any], tame: bool) -> st.SearchStrategy[Value]:
    """Values for one parameter, typed from its OpenAPI schema; hostile ones unless ``tame``."""
    kind = schema.get("type")
    fmt = schema.get("format", "")
    pattern = str(schema.get("pattern", ""))
    typed: list[st.SearchStrategy[Value]] = []
    if "enum" in schema:
        typed.append(st.sampled_from([str(v) for v in schema["enum"]]))
    if kind == "integer" or name in ("Page", "PageSize", "Limit"):
        typed.append(st.integers(min_value=-(2**70), max_value=2**70).map(str))
        typed.append(st.integers(min_value=-2, max_value=1100).map(str))
    if kind == "number":
        typed.append(st.floats(allow_nan=True, allow_infinity=True).map(repr))
        typed.append(st.integers(min_value=-10, max_value=10**6).map(str))
    if kind == "boolean":
        typed.append(st.sampled_from(["true", "false", "True", "1", "0", "yes", "maybe"]))
    if fmt in ("uri", "url") or name.endswith(("Url", "Callback")):
        typed.append(
            st.sampled_from(
                [CLOSED_PORT_URL, "https://127.0.0.1:9/a.jpg", "ftp://x", "http://", "//x"]
            )
        )
    if fmt == "date-time" or name.startswith(("DateSent", "DateCreated", "SendAt", "Set")):
        typed.append(
            st.datetimes().map(lambda d: d.isoformat() + "Z")
            | st.sampled_from(["2026-02-30T25:61:61Z", "9999-12-31T23:59:59", "0001-01-01"])
        )
    if fmt == "phone-number" or name in ("To", "From", "PhoneNumber", "FallbackFrom"):
        typed.append(st.builds(Ref, st.just("phone"), OWNERS))
        typed.append(st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True))
        typed.append(st.sampled_from(["whatsapp:+14155550199", "Alpha", "+", "+1"]))
    if name == "AreaCode":
        typed.append(st.sampled_from(["415", "000", "99999"]))
    prefix = pattern.removeprefix("^")[:2]
    if prefix in PATTERN_KINDS:
        kind_of = PATTERN_KINDS[prefix]
        typed.append(st.just(Ref(kind_of, "main")) if tame else sid_values(kind_of))
    if name == "Status":
        typed.append(st.sampled_from(["canceled", "active", "suspended", "closed"]))
    if tame:
        return st.one_of(*typed) if typed else text
    return st.one_of(*typed, text, hostile)


# --- Cases -----------------------------------------------------------------------------------

AUTHS = ["main", "main", "main", "sub", "key", "wrong token", "none", "malformed"]
MALFORMED_AUTH = [
    b"Basic",
    b"Basic ",
    b"Basic !!!!",
    b"Bearer abc",
    b"Digest username=x",
    b"basic " + base64.b64encode(b"no colon here"),
    b"Basic " + base64.b64encode(b"\xff\xfe:\xff"),
    b"Basic " + base64.b64encode(b":"),
    b"Basic " + base64.b64encode(f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}".encode()) + b"====",
    b"Basic " + base64.b64encode(f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}\x00".encode()),
    b"Basic " + b"A" * 10_000,
    b"Basic \xff\xfe\xfd",
]
ENCODINGS = ["form", "form", "form", "json", "multipart", "multipart+file", "empty", "raw", "odd"]
ODD_CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "application/json; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded; charset=utf-16",
    "x/y; ;;=",
    "",
]
RAW_BODIES = [
    b"%ZZ&=&&==&%",
    b"To=%FF%FE&Body=\xff\xfe\xfd",
    b"\x00\x01\x02" * 100,
    b"{not json",
    b"[1, 2, 3]",
    b'{"Body": "\\ud800"}',
    b"--X\r\nContent-Disposition: form-data\r\n\r\njunk\r\n--X--\x00",
    b"a=" + b"%" * 1000,
]
RAW_QUERIES = ["%FF%FE=%C3%28", "PageSize=%ZZ", "Page=%", "&&==&", "To=%00", "%E2%82=1"]


@dataclass(frozen=True, slots=True)
class Case:
    op: Op
    path: tuple[tuple[str, Value], ...]  # placeholder -> value (str values are sent encoded)
    params: tuple[tuple[str, Value], ...]
    encoding: str
    auth: str
    malformed: bytes = b""
    odd_type: str = ""
    raw: bytes = b""
    raw_query: str = ""
    scenario: Any = None  # the JSON document of a /_sim/scenarios write

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis prints this
        printer.text(repr(self))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={_short(v)}" for k, v in self.params)
        path = ", ".join(f"{k}={_short(v)}" for k, v in self.path)
        return (
            f"Case({self.op.method} {self.op.template} [{path}] ({params}) "
            f"encoding={self.encoding} auth={self.auth} {self.malformed[:40]!r}"
            f"{self.odd_type!r} {self.raw[:40]!r} {self.raw_query!r} {self.scenario!r:.80})"
        )


def _short(value: Value) -> str:
    return repr(value) if isinstance(value, Ref) or len(value) < 60 else repr(value[:40]) + "…"


def path_values(op: Op, tame: bool) -> st.SearchStrategy[tuple[tuple[str, Value], ...]]:
    names = [part.split("}")[0] for part in op.template.split("{")[1:]]
    if tame:
        return st.just(tuple((n, Ref(_path_kind(op.template, n), "main")) for n in names))
    garbage = st.sampled_from(["x", "%00", "%FF%FE", "%ZZ", "%", "a" * BIG, "%E2%80%AE"])
    return st.tuples(
        *[
            st.tuples(st.just(name), st.one_of(sid_values(_path_kind(op.template, name)), garbage))
            for name in names
        ]
    )


def parameters(op: Op, tame: bool) -> st.SearchStrategy[tuple[tuple[str, Value], ...]]:
    known = [st.tuples(st.just(n), values_for(n, s, tame)) for n, s in op.params]
    if tame:
        return st.lists(st.one_of(*known), max_size=6).map(tuple) if known else st.just(())
    unknown = st.tuples(st.sampled_from(["Unknown", "", "\x00", "ü", "x" * 1000]), hostile)
    one = st.one_of(*known, unknown) if known else unknown
    return st.lists(one, max_size=8).map(tuple)


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_DOCS = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["to", "from", "body", "action", "status", "error_code", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
SCENARIOS = st.one_of(
    JSON_DOCS,
    st.fixed_dictionaries(
        {"match": st.dictionaries(st.sampled_from(["to", "from", "body"]), text, max_size=2)},
        optional={"status": st.sampled_from(["failed", "undelivered", "x"]), "delay": JSON_LEAVES},
    ),
)


@st.composite
def cases(draw: st.DrawFn, operations: list[Op]) -> Case:
    op = draw(st.sampled_from(operations))
    # A "tame" case (main account, real resources, typed values, a form) gets past validation
    # into the services; the others aim at parsing, authentication and ownership checks.
    tame = draw(st.booleans())
    auth = "main" if tame else draw(st.sampled_from(AUTHS))
    encoding = "form" if tame else draw(st.sampled_from(ENCODINGS))
    return Case(
        op=op,
        path=draw(PATHS[(op.name, tame)]),
        params=draw(PARAMETERS[(op.name, tame)]),
        encoding=encoding,
        auth=auth,
        malformed=draw(st.sampled_from(MALFORMED_AUTH)) if auth == "malformed" else b"",
        odd_type=draw(st.sampled_from(ODD_CONTENT_TYPES)) if encoding == "odd" else "",
        raw=draw(st.sampled_from(RAW_BODIES)) if encoding == "raw" else b"",
        raw_query=draw(st.sampled_from(["", "", "", *RAW_QUERIES])),
        scenario=draw(SCENARIOS) if op.name in ("SimAddScenario", "SimReplaceScenarios") else None,
    )


PATHS = {(o.name, t): path_values(o, t) for o in OPERATIONS + SIM_OPERATIONS for t in (0, 1)}
PARAMETERS = {(o.name, t): parameters(o, t) for o in OPERATIONS + SIM_OPERATIONS for t in (0, 1)}
REST_CASES = cases(OPERATIONS)
SIM_CASES = cases(SIM_OPERATIONS)
ALL_CASES = cases(OPERATIONS + SIM_OPERATIONS)
