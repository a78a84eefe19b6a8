"""Prepare a webhook request exactly as Twilio would send it (pure: no I/O).

The configured URL's fragment carries connection overrides and is neither sent nor signed.
POST puts the parameters in a form body and signs URL + sorted parameters; GET appends them to
the URL's query string (keeping any query already there) and signs the resulting URL alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote_plus

from switchboard.domain.connection import ConnectionPolicy, parse_connection_overrides
from switchboard.signing import sign_json_body, sign_string, string_to_sign
from switchboard.transport import OutboundRequest

USER_AGENT = "TwilioProxy/1.1"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
# Event Streams: Twilio waits at most five seconds for a Sink, and its overrides do not apply.
JSON_POLICY = ConnectionPolicy(read_timeout_ms=5000, total_timeout_ms=5000, retry_count=0)


# Most values repeat across webhooks (SIDs of the account, numbers, API version, geo fields):
# memoised, form encoding costs a dict lookup (measured: ~240 us per webhook). Long values
# (bodies) are unique: not worth the memory. Names are always short.
_quote_short = lru_cache(maxsize=16384)(quote_plus)
SHORT_VALUE = 64


# The same few configured URLs are delivered to over and over: parse each fragment once.
_overrides = lru_cache(maxsize=4096)(parse_connection_overrides)


def form_encode(params: Mapping[str, str]) -> str:
    """``application/x-www-form-urlencoded`` exactly as urllib.parse.urlencode writes it."""
    # One comprehension with no Python call per pair: the memo is a C function.
    short, quote = _quote_short, quote_plus
    return "&".join(
        [
            f"{short(name)}={short(value) if len(value) <= SHORT_VALUE else quote(value)}"
            for name, value in params.items()
        ]
    )


@dataclass(frozen=True, slots=True)
class PreparedWebhook:
    request: OutboundRequest
    policy: ConnectionPolicy
    signed_url: str
    string_to_sign: str
    signature: str


def prepare_webhook(
    url: str,
    method: str,
    params: Mapping[str, str],
    auth_token: str,
    idempotency_token: str,
    cookie: str | None = None,
) -> PreparedWebhook:
    """The request for ``url``; raises TwilioError 11100/11240/11243 for a bad URL or fragment.

    ``cookie`` is the conversation's ``Cookie`` header (incoming-message webhooks only); like
    Twilio, it is not signed."""
    bare_url, policy = _overrides(url)
    method = method.upper()
    headers = {
        "Accept": "*/*",
        "User-Agent": USER_AGENT,
        "I-Twilio-Idempotency-Token": idempotency_token,
        "X-Home-Region": "us1",
    }
    if method == "GET":
        query = form_encode(params)
        target = f"{bare_url}{'&' if '?' in bare_url else '?'}{query}" if query else bare_url
        signed = string_to_sign(target)
        body = b""
    else:
        target = bare_url
        signed = string_to_sign(target, params)
        body = form_encode(params).encode()
        headers["Content-Type"] = FORM_CONTENT_TYPE
    signature = sign_string(auth_token, signed)
    headers["X-Twilio-Signature"] = signature
    if cookie:
        headers["Cookie"] = cookie
    return PreparedWebhook(
        request=OutboundRequest(method=method, url=target, headers=headers, body=body),
        policy=policy,
        signed_url=target,
        string_to_sign=signed,
        signature=signature,
    )


def prepare_json_webhook(
    url: str, method: str, body: bytes, auth_token: str, idempotency_token: str
) -> PreparedWebhook:
    """A JSON-bodied webhook (Event Streams): ``bodySHA256=<hex sha256 of body>`` is appended
    to the URL's query and the signature covers that URL alone (SPEC §3.1 step 5, §19.3)."""
    signed_url, signature = sign_json_body(auth_token, url, body)
    headers = {
        "Accept": "*/*",
        "Content-Type": JSON_CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        "I-Twilio-Idempotency-Token": idempotency_token,
        "X-Home-Region": "us1",
        "X-Twilio-Signature": signature,
    }
    return PreparedWebhook(
        request=OutboundRequest(method=method.upper(), url=signed_url, headers=headers, body=body),
        policy=JSON_POLICY,
        signed_url=signed_url,
        string_to_sign=signed_url,
        signature=signature,
    )
