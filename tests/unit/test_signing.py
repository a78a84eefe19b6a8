"""X-Twilio-Signature: SPEC §3.4 vectors, port tolerance, JSON bodies, and agreement with the
official twilio-python validator on generated requests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from switchboard.signing import (
    Params,
    body_sha256,
    compute_signature,
    port_variants,
    sign_json_body,
    string_to_sign,
    strip_fragment,
    validate_signature,
)

DATA: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "signatures.json").read_text(encoding="utf-8")
)
VECTORS: list[dict[str, Any]] = DATA["vectors"]
JSON_BODY: dict[str, Any] = DATA["json_body"]


class MultiDict:
    """The slice of Flask's MultiDict that twilio-python's validator relies on.

    ``compute_signature`` iterates the object for names (``sorted(set(params))``), tests its truth
    value and calls ``getall(name)``; a plain dict cannot carry repeated names.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._pairs))

    def __len__(self) -> int:
        return len(self._pairs)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def pairs_of(vector: dict[str, Any]) -> list[tuple[str, str]] | None:
    params = vector["params"]
    return None if params is None else [(name, value) for name, value in params]


def sdk_validates(token: str, url: str, pairs: list[tuple[str, str]] | None, sig: str) -> bool:
    return bool(RequestValidator(token).validate(url, MultiDict(pairs or []), sig))


by_name = pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])


# --- SPEC §3.4 vectors --------------------------------------------------------------------------


@by_name
def test_vector_signature(vector: dict[str, Any]) -> None:
    assert (
        compute_signature(vector["token"], vector["url"], pairs_of(vector)) == vector["signature"]
    )


@by_name
def test_vector_validates_with_sdk_and_with_us(vector: dict[str, Any]) -> None:
    token, pairs, sig = vector["token"], pairs_of(vector), vector["signature"]
    for url in vector["validate_urls"]:
        assert sdk_validates(token, url, pairs, sig), url
        assert validate_signature(token, url, pairs, sig), url


@by_name
def test_vector_rejects_tampering(vector: dict[str, Any]) -> None:
    token, pairs, sig = vector["token"], pairs_of(vector), vector["signature"]
    url = vector["validate_urls"][0]
    assert not validate_signature(token, url.replace("://", "://x", 1), pairs, sig)
    assert not validate_signature(token + "0", url, pairs, sig)
    for bad in vector.get("rejected_signatures", []):
        assert not sdk_validates(token, url, pairs, bad)
        assert not validate_signature(token, url, pairs, bad)


def test_inbound_sms_string_to_sign() -> None:
    (vector,) = [v for v in VECTORS if v["name"] == "inbound-sms-post"]
    assert string_to_sign(vector["url"], pairs_of(vector)) == vector["string_to_sign"]


def test_inbound_sms_changed_body_is_rejected() -> None:
    (vector,) = [v for v in VECTORS if v["name"] == "inbound-sms-post"]
    pairs = [(k, "Hello world?" if k == "Body" else v) for k, v in pairs_of(vector) or []]
    assert not sdk_validates(vector["token"], vector["url"], pairs, vector["signature"])
    assert not validate_signature(vector["token"], vector["url"], pairs, vector["signature"])


def test_repeated_key_values_are_deduplicated_and_sorted() -> None:
    (vector,) = [v for v in VECTORS if v["name"] == "repeated-key"]
    assert string_to_sign(vector["url"], pairs_of(vector)).endswith(vector["string_to_sign_tail"])


def test_get_request_appends_nothing() -> None:
    (vector,) = [v for v in VECTORS if v["name"] == "inbound-sms-get"]
    token, url, sig = vector["token"], vector["url"], vector["signature"]
    assert string_to_sign(url) == url
    empties: list[Params | None] = [None, {}, []]
    for empty in empties:
        assert compute_signature(token, url, empty) == sig
        assert validate_signature(token, url, empty, sig)
        assert RequestValidator(token).validate(url, empty, sig)


def test_fragment_is_not_signed_and_the_sdk_does_not_strip_it() -> None:
    (vector,) = [v for v in VECTORS if v["name"] == "fragment-is-not-signed"]
    token, pairs, sig = vector["token"], pairs_of(vector), vector["signature"]
    assert compute_signature(token, strip_fragment(vector["url"]), pairs) == sig
    for url in vector["sdk_rejects_urls"]:
        assert not sdk_validates(token, url, pairs, sig)
        # The dashboard may be handed the configured URL; its fragment never reaches a receiver.
        assert validate_signature(token, url, pairs, sig)


# --- JSON bodies --------------------------------------------------------------------------------


def test_json_body_vector() -> None:
    token, body = JSON_BODY["token"], JSON_BODY["body"].encode("utf-8")
    assert body_sha256(body) == JSON_BODY["body_sha256"]
    signed_url, sig = sign_json_body(token, JSON_BODY["url"], body)
    assert (signed_url, sig) == (JSON_BODY["signed_url"], JSON_BODY["signature"])
    assert RequestValidator(token).validate(signed_url, JSON_BODY["body"], sig)
    assert validate_signature(token, signed_url, None, sig, body=body)
    assert validate_signature(token, signed_url + "#rc=2", None, sig, body=body)


def test_json_body_rejects_changed_body_missing_hash_and_wrong_token() -> None:
    token, body = JSON_BODY["token"], JSON_BODY["body"].encode("utf-8")
    signed_url, sig = JSON_BODY["signed_url"], JSON_BODY["signature"]
    assert not RequestValidator(token).validate(signed_url, JSON_BODY["body"] + " ", sig)
    assert not validate_signature(token, signed_url, None, sig, body=body + b" ")
    assert not validate_signature(token + "0", signed_url, None, sig, body=body)
    unhashed = JSON_BODY["url"]
    assert not validate_signature(
        token, unhashed, None, compute_signature(token, unhashed), body=body
    )


@pytest.mark.parametrize(
    ("url", "expected_prefix"),
    [
        ("https://h.example/hook", "https://h.example/hook?bodySHA256="),
        ("https://h.example/hook?", "https://h.example/hook?bodySHA256="),
        ("https://h.example/hook?a=1&", "https://h.example/hook?a=1&bodySHA256="),
        ("https://h.example/hook?a=1#rc=3", "https://h.example/hook?a=1&bodySHA256="),
    ],
)
def test_sign_json_body_appends_hash_to_the_fragment_free_query(
    url: str, expected_prefix: str
) -> None:
    signed_url, sig = sign_json_body("tok", url, b"{}")
    assert signed_url == expected_prefix + body_sha256(b"{}")
    assert sig == compute_signature("tok", signed_url)


# --- String to sign -----------------------------------------------------------------------------


def test_names_sort_by_code_point_and_empty_values_contribute_the_name() -> None:
    pairs = [("body", "b"), ("aB", "a"), ("To", "t"), ("Body", ""), ("ApiVersion", "v")]
    assert string_to_sign("u", pairs) == "uApiVersionvBodyTotaBabodyb"


def test_mapping_and_pairs_sign_alike() -> None:
    mapping = {"To": "+15005550006", "Body": "hé 🙂", "From": "+14155551234"}
    url = "https://example.com/sms"
    assert compute_signature("t", url, mapping) == compute_signature("t", url, mapping.items())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x?y=1#ct=1000&rc=3", "https://a.example/x?y=1"),
        ("https://a.example/x#", "https://a.example/x"),
        ("https://a.example/x#a#b", "https://a.example/x"),
        ("https://a.example/x?y=1", "https://a.example/x?y=1"),
    ],
)
def test_strip_fragment(url: str, expected: str) -> None:
    assert strip_fragment(url) == expected


# --- Port tolerance (SPEC §3.2) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seen", "signed", "valid"),
    [
        ("https://example.com:8443/sms", "https://example.com:8443/sms", True),
        ("https://example.com:8443/sms", "https://example.com/sms", True),
        ("https://example.com:8443/sms", "https://example.com:443/sms", False),
        ("https://example.com/sms", "https://example.com/sms", True),
        ("https://example.com/sms", "https://example.com:443/sms", True),
        ("https://example.com/sms", "https://example.com:80/sms", False),
        ("http://example.com/sms", "http://example.com:80/sms", True),
        ("http://example.com/sms", "https://example.com/sms", False),
    ],
)
def test_port_tolerance_matches_the_sdk(seen: str, signed: str, valid: bool) -> None:
    pairs = [("Body", "hi")]
    sig = compute_signature("12345", signed, pairs)
    assert sdk_validates("12345", seen, pairs, sig) is valid
    assert validate_signature("12345", seen, pairs, sig) is valid


@pytest.mark.parametrize(
    ("url", "without", "with_port"),
    [
        ("https://h.example/p?q=1", "https://h.example/p?q=1", "https://h.example:443/p?q=1"),
        ("http://h.example", "http://h.example", "http://h.example:80"),
        ("https://h.example:8443/p", "https://h.example/p", "https://h.example:8443/p"),
        ("HTTPS://h.example/p", "HTTPS://h.example/p", "HTTPS://h.example:443/p"),
        ("https://h.example:/p", "https://h.example/p", "https://h.example:443/p"),
        (
            "https://u:pw@h.example:8443/p",
            "https://u:pw@h.example/p",
            "https://u:pw@h.example:8443/p",
        ),
        ("https://[::1]:8443/p", "https://[::1]/p", "https://[::1]:8443/p"),
        ("https://[::1]/p", "https://[::1]/p", "https://[::1]:443/p"),
        ("https://h.example/p#e=dublin", "https://h.example/p", "https://h.example:443/p"),
        ("https://h.example:abc/p", "https://h.example:abc/p", "https://h.example:abc/p"),
        ("/relative/path", "/relative/path", "/relative/path"),
    ],
)
def test_port_variants(url: str, without: str, with_port: str) -> None:
    assert port_variants(url) == (without, with_port)


def test_non_ascii_signature_header_is_rejected_not_raised() -> None:
    assert not validate_signature("t", "https://h.example/", None, "ünïcødé=")


# --- Agreement with twilio-python on generated requests -----------------------------------------

TEXT = st.characters(exclude_categories=["Cs"])  # anything UTF-8 can encode
# URL text: unicode and reserved characters, but nothing that ends the component it sits in.
URL_CHARS = st.characters(
    exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="/?#[]\\"
)
QUERY_WORD = st.text(URL_CHARS.filter(lambda c: c not in "&="), min_size=1, max_size=8)

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
hosts = st.lists(LABEL, min_size=1, max_size=3).map(".".join)
ports = st.none() | st.integers(min_value=1, max_value=65535)
paths = st.lists(st.text(URL_CHARS, max_size=8), max_size=4).map(
    lambda segments: "".join("/" + s for s in segments)
)
queries = st.lists(st.tuples(QUERY_WORD, st.text(URL_CHARS, max_size=8)), max_size=4).map(
    lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else ""
)
override_pieces = st.sampled_from(
    ["ct=1000", "rt=5000", "tt=9000", "rc=3", "rp=ct,rt", "rp=all", "e=dublin,tokyo", "sni=n"]
)
fragments = st.none() | st.lists(override_pieces | st.text(TEXT, max_size=6), max_size=4).map(
    lambda pieces: "#" + "&".join(pieces)
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    port = draw(ports)
    netloc = draw(hosts) + ("" if port is None else f":{port}")
    url = f"{draw(st.sampled_from(['http', 'https']))}://{netloc}{draw(paths)}{draw(queries)}"
    fragment = draw(fragments)
    return url if fragment is None else url + fragment


params = st.lists(
    st.tuples(
        st.sampled_from(["Body", "body", "To", "From", "MediaUrl0", ""])
        | st.text(TEXT, max_size=6),
        st.sampled_from(["", "+14155551234", "hi"]) | st.text(TEXT, max_size=12),
    ),
    max_size=8,
)
tokens = st.text("0123456789abcdef", min_size=32, max_size=32)


def agree(token: str, url: str, pairs: list[tuple[str, str]], sig: str) -> bool:
    """Our verdict, after checking that twilio-python reaches the same one."""
    ours = validate_signature(token, url, pairs, sig)
    assert ours == sdk_validates(token, url, pairs, sig)
    return ours


@settings(max_examples=200, deadline=None)
@given(token=tokens, url=urls(), pairs=params)
def test_our_signatures_satisfy_the_official_validator(
    token: str, url: str, pairs: list[tuple[str, str]]
) -> None:
    wire_url = strip_fragment(url)
    # twilio-python re-serialises the URL through urlparse; skip the few shapes that it alters.
    assume(urlparse(wire_url).geturl() == wire_url)
    sig = compute_signature(token, url, pairs)
    assert sig == compute_signature(token, wire_url, pairs)

    assert agree(token, wire_url, pairs, sig)
    # A receiver may also see the URL with the default port added.
    assert agree(token, port_variants(wire_url)[1], pairs, sig)
    # Twilio may sign without the port the receiver sees.
    assert agree(
        token, wire_url, pairs, compute_signature(token, port_variants(wire_url)[0], pairs)
    )

    other_token = ("1" if token.startswith("0") else "0") + token[1:]
    assert not agree(other_token, wire_url, pairs, sig)
    assert not agree(token, wire_url.replace("://", "://x", 1), pairs, sig)
    other_scheme = "http" if wire_url.startswith("https:") else "https"
    assert not agree(token, other_scheme + wire_url[wire_url.index(":") :], pairs, sig)
    if pairs:
        name, value = pairs[-1]
        tampered = [*pairs[:-1], (name, value + "x")]
        # De-duplication can make a change invisible (the new value may already be present).
        if string_to_sign(wire_url, tampered) != string_to_sign(wire_url, pairs):
            assert not agree(token, wire_url, tampered, sig)
