"""Preparing a webhook: encoding and signing exactly as Twilio's validators expect."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from switchboard.webhooks.prepare import form_encode, prepare_webhook

TOKEN = "12345"
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
params_strategy = st.dictionaries(st.text(min_size=1, max_size=12), text, max_size=12)


@settings(max_examples=200, deadline=None)
@given(params_strategy)
def test_form_encode_matches_urllib(params: dict[str, str]) -> None:
    assert form_encode(params) == urlencode(list(params.items()))


@settings(max_examples=100, deadline=None)
@given(params_strategy)
def test_post_webhooks_validate_with_the_official_sdk(params: dict[str, str]) -> None:
    prepared = prepare_webhook("https://app.example.com/sms?x=1#rc=2", "POST", params, TOKEN, "t")
    request = prepared.request
    assert request.url == "https://app.example.com/sms?x=1"
    body = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    assert body == params
    validator = RequestValidator(TOKEN)
    assert validator.validate(request.url, body, request.headers["X-Twilio-Signature"])
    assert prepared.string_to_sign.startswith("https://app.example.com/sms?x=1")


def test_get_webhooks_sign_the_url_with_its_query() -> None:
    params = {"Body": "hi there", "From": "+14155550100"}
    prepared = prepare_webhook("http://127.0.0.1:8000/sms?keep=1", "GET", params, TOKEN, "t")
    url = prepared.request.url
    assert url == "http://127.0.0.1:8000/sms?keep=1&Body=hi+there&From=%2B14155550100"
    assert prepared.request.body == b""
    assert "Content-Type" not in prepared.request.headers
    assert RequestValidator(TOKEN).validate(url, {}, prepared.signature)


def test_twilio_headers() -> None:
    prepared = prepare_webhook("https://x.example/s", "POST", {"A": "1"}, TOKEN, "token-1")
    headers = prepared.request.headers
    assert headers["User-Agent"] == "TwilioProxy/1.1"
    assert headers["I-Twilio-Idempotency-Token"] == "token-1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
