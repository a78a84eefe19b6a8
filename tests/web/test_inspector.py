"""The signature inspector (pure): what we signed, and what a receiver's usual mistakes give."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from switchboard.domain.models import WebhookAttempt
from switchboard.signing import compute_signature
from switchboard.web.inspector import differences, inspect, url_variants
from switchboard.webhooks.prepare import prepare_webhook

TOKEN = "12345"
# Twilio's documented example (tests/data/signatures.json, "twilio-docs-example").
DOCS_URL = "https://example.com/myapp.php?foo=1&bar=2"
DOCS_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOCS_SIGNATURE = "L/OH5YylLD5NRKLltdqwSvS0BnU="


def attempt_for(url: str, params: dict[str, str], method: str = "POST") -> WebhookAttempt:
    """An attempt recorded the way the delivery step records one."""
    prepared = prepare_webhook(url, method, params, TOKEN, "token-1")
    request = prepared.request
    return WebhookAttempt(
        sid="NO" + "0" * 32,
        account_sid="AC" + "0" * 32,
        message_sid="SM" + "0" * 32,
        kind="incoming",
        attempt=1,
        url=request.url,
        method=request.method,
        request_headers=dict(request.headers),
        request_body=request.body.decode(),
        date_created=datetime(2024, 1, 1, tzinfo=UTC),
        duration_ms=1.0,
        response_status=200,
        signed_url=prepared.signed_url,
    )


def hmac_b64(text: str) -> str:
    digest = hmac.new(TOKEN.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def by_label(inspection: object, label: str) -> object:
    variants = inspection.variants  # type: ignore[attr-defined]
    found = [v for v in variants if v.label == label]
    assert found, f"no variant {label!r} in {[v.label for v in variants]}"
    return found[0]


def test_recomputes_twilios_documented_example() -> None:
    inspection = inspect(attempt_for(DOCS_URL, DOCS_PARAMS), TOKEN)
    assert inspection.signed_url == DOCS_URL
    assert inspection.signature == DOCS_SIGNATURE
    assert inspection.header_signature == DOCS_SIGNATURE
    assert inspection.consistent
    assert inspection.string_to_sign == DOCS_URL + "".join(
        k + v for k, v in sorted(DOCS_PARAMS.items())
    )
    assert inspection.params == sorted(DOCS_PARAMS.items())
    assert inspection.content_type == "application/x-www-form-urlencoded"


def test_scheme_variant_is_what_a_receiver_behind_a_tls_proxy_computes() -> None:
    url = "http://127.0.0.1:5000/sms"
    params = {"Body": "hi", "From": "+15555550123"}
    inspection = inspect(attempt_for(url, params), TOKEN)
    https = by_label(inspection, "https:// instead of http://")
    assert https.url == "https://127.0.0.1:5000/sms"  # type: ignore[attr-defined]
    # The official SDK, validating at the URL it saw, accepts exactly this variant's signature.
    validator = RequestValidator(TOKEN)
    assert validator.validate(https.url, params, https.signature)  # type: ignore[attr-defined]
    assert not validator.validate(https.url, params, inspection.signature)  # type: ignore[attr-defined]
    assert not https.matches_header  # type: ignore[attr-defined]


def test_port_variants_with_and_without_the_port() -> None:
    labels = {label: url for label, _, url in url_variants("http://127.0.0.1:5000/sms")}
    assert labels["without the port"] == "http://127.0.0.1/sms"
    assert labels["https:// instead of http://"] == "https://127.0.0.1:5000/sms"
    assert labels["https:// and without the port"] == "https://127.0.0.1/sms"
    # A port already given is kept by the "explicit port" forms, so they are not repeated.
    assert "with an explicit port" not in labels
    assert "https:// with an explicit port" not in labels

    labels = {label: url for label, _, url in url_variants("https://example.com/sms")}
    assert labels["with an explicit port"] == "https://example.com:443/sms"
    assert labels["http:// instead of https://"] == "http://example.com/sms"
    assert labels["http:// with an explicit port"] == "http://example.com:80/sms"


def test_parameter_mistakes() -> None:
    url = "https://example.com/sms"
    # Wire order differs from sorted order, and a value needs encoding.
    params = {"To": "+15005550006", "Body": "a b+c", "From": "+15555550123"}
    attempt = attempt_for(url, params)
    inspection = inspect(attempt, TOKEN)

    unsorted = by_label(inspection, "parameters in the order received")
    assert unsorted.signature == hmac_b64(url + "".join(k + v for k, v in params.items()))  # type: ignore[attr-defined]

    encoded = by_label(inspection, "values still URL-encoded")
    assert "a+b%2Bc" in encoded.string_to_sign  # type: ignore[attr-defined]
    assert encoded.signature == hmac_b64(encoded.string_to_sign)  # type: ignore[attr-defined]

    url_only = by_label(inspection, "URL only, parameters left out")
    assert url_only.signature == compute_signature(TOKEN, url)  # type: ignore[attr-defined]

    raw = by_label(inspection, "raw body appended")
    assert raw.string_to_sign == url + attempt.request_body  # type: ignore[attr-defined]

    # Every variant is distinct from the right answer and from each other.
    signatures = [v.signature for v in inspection.variants]
    assert inspection.signature not in signatures
    assert len(set(signatures)) == len(signatures)


def test_a_mistake_that_changes_nothing_is_not_listed() -> None:
    # Already in sorted order and nothing to encode: those two mistakes are harmless here.
    inspection = inspect(attempt_for("https://example.com/sms", {"A": "1", "B": "2"}), TOKEN)
    labels = {v.label for v in inspection.variants}
    assert "parameters in the order received" not in labels
    assert "values still URL-encoded" not in labels


def test_get_signs_the_full_url_alone() -> None:
    inspection = inspect(attempt_for("https://example.com/sms", {"Body": "hi"}, "GET"), TOKEN)
    assert inspection.method == "GET"
    assert inspection.signed_url == "https://example.com/sms?Body=hi"
    assert inspection.params == []
    assert inspection.string_to_sign == inspection.signed_url
    assert inspection.consistent
    assert all(not v.label.startswith(("parameters", "values")) for v in inspection.variants)


def test_check_a_url_the_receiver_reconstructed() -> None:
    url = "https://example.com/sms"
    params = {"Body": "hi"}
    attempt = attempt_for(url, params)

    behind_proxy = inspect(attempt, TOKEN, received_url="http://example.com/sms")
    assert behind_proxy.check is not None
    assert not behind_proxy.check.valid
    assert behind_proxy.check.differences == ["scheme: we signed https, you have http"]
    assert behind_proxy.check.signature == compute_signature(
        TOKEN, "http://example.com/sms", params
    )

    # The SDK validators accept the default port spelled out.
    explicit_port = inspect(attempt, TOKEN, received_url="https://example.com:443/sms")
    assert explicit_port.check is not None
    assert explicit_port.check.valid


def test_identifies_the_mistake_behind_a_given_signature() -> None:
    url = "https://example.com/sms"
    params = {"Body": "hi", "To": "+15005550006"}
    theirs = compute_signature(TOKEN, "http://example.com/sms", params)
    inspection = inspect(attempt_for(url, params), TOKEN, their_signature=theirs)
    assert inspection.check is not None
    assert inspection.check.their_variant == "http:// instead of https://"

    right = inspect(attempt_for(url, params), TOKEN, their_signature=inspection.signature)
    assert right.check is not None
    assert right.check.their_variant == "the signed URL (correct)"

    unknown = inspect(attempt_for(url, params), TOKEN, their_signature="bogus")
    assert unknown.check is not None
    assert unknown.check.their_variant is None


def test_a_different_token_shows_as_inconsistent() -> None:
    inspection = inspect(attempt_for(DOCS_URL, DOCS_PARAMS), "another-token")
    assert not inspection.consistent
    assert inspection.header_signature == DOCS_SIGNATURE


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("https://example.com/sms", []),
        ("https://example.com:8443/sms", ["port: we signed (none), you have 8443"]),
        ("https://app.internal/sms?x=1", [
            "hostname: we signed example.com, you have app.internal",
            "query: we signed (none), you have x=1",
        ]),
    ],
)  # fmt: skip
def test_differences(received: str, expected: list[str]) -> None:
    assert differences("https://example.com/sms", received) == expected


def test_fragment_note_and_json_body() -> None:
    attempt = attempt_for("https://example.com/sms", {"Body": "hi"})
    with_fragment = WebhookAttempt(
        **{
            **{f: getattr(attempt, f) for f in attempt.__slots__},  # type: ignore[attr-defined]
            "url": "https://example.com/sms#rc=3",
            "request_headers": {"Content-Type": "application/json"},
            "request_body": '{"Body": "hi"}',
        }
    )
    inspection = inspect(with_fragment, TOKEN)
    assert inspection.notes[0].title == "Fragment"
    assert inspection.params == []  # a JSON body carries no signed parameters
    assert inspection.string_to_sign == "https://example.com/sms"
    assert urlencode({"Body": "hi"}) not in inspection.string_to_sign
