"""``X-Twilio-Signature``: how Twilio signs webhooks, and how receivers check them (SPEC §3).

Theory. The signature is ``base64(HMAC-SHA1(auth_token, string_to_sign))``. The string to sign
is the URL exactly as configured (byte for byte, query untouched) minus its ``#fragment`` --
connection overrides live there and never travel on the wire -- followed, for a form POST, by
every parameter as ``name + value`` with names in code-point order. A GET appends nothing: its
parameters are already in the query string. Repeated names are signed the way twilio-python and
twilio-node *validate* them (values de-duplicated, then sorted), because a signature that the
customer's SDK rejects is useless however faithful it is to anything else.

JSON-bodied webhooks put ``bodySHA256=<hex sha256 of the raw body>`` into the query string and
sign that URL alone, so the body is covered through its hash.

Validators are lenient about ports because Twilio's own signing is not consistent about them:
a signature is accepted over the URL with its port removed or over the URL with the scheme's
default port added (kept as is when it already has one), SPEC §3.2.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "BODY_HASH_PARAM",
    "Params",
    "body_sha256",
    "compute_signature",
    "port_variants",
    "sign_json_body",
    "string_to_sign",
    "strip_fragment",
    "validate_signature",
]

#: Form parameters as a mapping (unique names) or as pairs (repeated names allowed). A multi-dict
#: whose ``items()`` yields one value per name (Starlette's ``FormData``) must be passed as its
#: full pair list, e.g. ``form.multi_items()``, or repeated values are silently lost.
Params: TypeAlias = Iterable[tuple[str, str]] | Mapping[str, str]

BODY_HASH_PARAM: Final = "bodySHA256"

# Scheme and authority of an absolute URL; the authority ends at the first "/", "?" or "#".
_AUTHORITY = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)")
# An IPv6 literal keeps its colons inside the brackets; anything after the host must be a port.
_HOSTPORT = re.compile(r"^(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]*))?$")


def strip_fragment(url: str) -> str:
    """``url`` up to (not including) its first ``#``.

    A literal ``#`` cannot occur earlier in a valid URL, so the first one starts the fragment.
    """
    return url.split("#", 1)[0]


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    # A Mapping is itself iterable (over its keys), so it must be recognised first.
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)


def string_to_sign(url: str, params: Params | None = None) -> str:
    """The exact text Twilio feeds to HMAC for ``url`` and the (decoded) form ``params``."""
    if isinstance(params, Mapping):
        # One value per name (every webhook switchboard sends): no grouping needed.
        items = sorted(params.items())
        return strip_fragment(url) + "".join([name + value for name, value in items])
    grouped: dict[str, set[str]] = {}
    for name, value in _pairs(params):
        grouped.setdefault(name, set()).add(value)
    # Plain str ordering is code-point ordering, which is what the SDKs use.
    parts = [strip_fragment(url)]
    for name in sorted(grouped):
        parts.extend(name + value for value in sorted(grouped[name]))
    return "".join(parts)


def compute_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The ``X-Twilio-Signature`` value for a request to ``url`` carrying ``params``."""
    return sign_string(auth_token, string_to_sign(url, params))


def sign_string(auth_token: str, text: str) -> str:
    """base64(HMAC-SHA1(auth token, text)): the signature of an already built string."""
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def body_sha256(body: bytes) -> str:
    """Lower-case hex SHA-256 of the raw body, as carried in ``bodySHA256``."""
    return hashlib.sha256(body).hexdigest()


def _append_query_param(url: str, name: str, value: str) -> str:
    # Appending keeps the configured query byte for byte, which the signature depends on.
    if "?" not in url:
        return f"{url}?{name}={value}"
    if url.endswith(("?", "&")):
        return f"{url}{name}={value}"
    return f"{url}&{name}={value}"


def sign_json_body(auth_token: str, url: str, body: bytes) -> tuple[str, str]:
    """(URL to request, signature) for a JSON-bodied webhook.

    The returned URL is fragment-free with ``bodySHA256=<hex>`` appended to its query string; it
    is what goes on the wire, and the signature covers it alone (no parameters).
    """
    signed_url = _append_query_param(strip_fragment(url), BODY_HASH_PARAM, body_sha256(body))
    return signed_url, compute_signature(auth_token, signed_url)


def port_variants(url: str) -> tuple[str, str]:
    """(URL without its port, URL with an explicit port) -- the two forms validators accept.

    The second keeps a port the URL already has and otherwise adds 443 for https, 80 for
    anything else, as the SDKs do. Unlike twilio-python, which re-serialises the whole URL through
    ``urlparse`` and cuts the netloc at its first colon, only the port is touched here: userinfo
    (``https://user:pass@host``), IPv6 literals and the rest of the URL survive verbatim. (That
    re-serialising also drops an empty ``?`` or a bare trailing ``;``, so twilio-python rejects
    such URLs however they are signed.) A URL whose port is not numeric, or that is not
    absolute, yields itself twice.
    """
    url = strip_fragment(url)
    match = _AUTHORITY.match(url)
    if match is None:
        return url, url
    authority = match["authority"]
    userinfo, at, hostport = authority.rpartition("@")
    parts = _HOSTPORT.match(hostport)
    if parts is None:
        return url, url
    host, port = parts["host"], parts["port"]
    # An empty port ("host:") means the default port (RFC 3986 §3.2.3).
    default = "443" if match["scheme"].lower() == "https" else "80"
    prefix = url[: match.start("authority")] + userinfo + at
    suffix = url[match.end("authority") :]
    return prefix + host + suffix, f"{prefix}{host}:{port or default}{suffix}"


def _same(expected: str, given: str) -> bool:
    # compare_digest rejects non-ASCII str, and the header is attacker-controlled; a replaced
    # character can never equal a base64 or hex digit, so "replace" cannot create a match.
    return hmac.compare_digest(
        expected.encode("utf-8", "replace"), given.encode("utf-8", "replace")
    )


def validate_signature(
    auth_token: str,
    url: str,
    params: Params | None,
    signature: str,
    *,
    body: bytes | None = None,
) -> bool:
    """Whether ``signature`` is valid for a request to ``url``, judged as the SDK validators do.

    ``url`` is the URL the receiver saw. Its fragment, if any, is dropped first: it never reaches
    a receiver, but the dashboard may be handed the configured URL (twilio-python itself does not
    strip it, SPEC §3.4). Both :func:`port_variants` are tried.

    With ``body`` (JSON-body mode) the URL must carry ``bodySHA256`` equal to the body's hash and
    the signature must cover the URL alone; ``params`` is ignored. A body without a hash in the
    URL is invalid (twilio-python would raise on it).
    """
    url = strip_fragment(url)
    body_ok = True
    if body is not None:
        hashes = parse_qs(urlsplit(url).query).get(BODY_HASH_PARAM)
        if not hashes:
            return False
        # The SDKs check the first value only; a repeated key must not change the verdict.
        body_ok = _same(body_sha256(body), hashes[0])
        params = None
    pairs = _pairs(params)
    # Evaluate every candidate so timing does not reveal which one failed.
    matches = [
        _same(compute_signature(auth_token, candidate, pairs), signature)
        for candidate in port_variants(url)
    ]
    return body_ok and any(matches)
