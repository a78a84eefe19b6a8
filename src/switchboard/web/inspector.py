"""The signature inspector: why a receiver's ``X-Twilio-Signature`` check fails.

Pure: an attempt and the auth token that signed it come in, an explanation comes out. It
recomputes the string we signed (the signed URL, then each form parameter as name + value in
code-point order) and the signature over it, then the signatures a receiver gets when it makes
one of the usual mistakes -- the URL rebuilt behind a proxy (http instead of https, a port added
or dropped), the parameters re-ordered or still URL-encoded, the body ignored or read as JSON.
A developer finds the value their app computed among those and knows what to fix.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from switchboard.domain.models import WebhookAttempt
from switchboard.signing import (
    compute_signature,
    port_variants,
    string_to_sign,
    strip_fragment,
    validate_signature,
)

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Variant:
    """A string a receiver might sign instead of ours, and the signature it gives."""

    label: str
    why: str
    url: str
    string_to_sign: str
    signature: str
    matches_header: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Check:
    """The URL (and optionally the signature) a receiver reports, judged against ours."""

    url: str
    string_to_sign: str
    signature: str
    valid: bool  # whether an SDK validator at that URL accepts our header
    differences: list[str]
    their_signature: str = ""
    their_variant: str | None = None  # the label of the variant their signature equals


@dataclass(frozen=True, slots=True)
class Inspection:
    configured_url: str
    signed_url: str
    method: str
    content_type: str
    params: list[tuple[str, str]]  # decoded, in the order signed
    string_to_sign: str
    signature: str
    header_signature: str
    consistent: bool  # the recomputed signature equals the one we sent
    variants: list[Variant] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    check: Check | None = None


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def signed_params(attempt: WebhookAttempt) -> list[tuple[str, str]]:
    """The parameters covered by the signature: the form body of a POST, none for a GET."""
    if attempt.method.upper() == "GET":
        return []
    if not _header(attempt.request_headers, "content-type").startswith(FORM):
        return []
    return parse_qsl(attempt.request_body, keep_blank_values=True)


def signed_url_of(attempt: WebhookAttempt) -> str:
    return attempt.signed_url or strip_fragment(attempt.url)


def _swap_scheme(url: str) -> str:
    if url.startswith("https://"):
        return "http://" + url.removeprefix("https://")
    if url.startswith("http://"):
        return "https://" + url.removeprefix("http://")
    return url


def url_variants(signed_url: str) -> list[tuple[str, str, str]]:
    """(label, why, url) for each way a proxy commonly changes the URL a receiver sees."""
    scheme = urlsplit(signed_url).scheme
    other = "http" if scheme == "https" else "https"
    proxy = (
        "Behind a TLS-terminating proxy or tunnel (ngrok, a load balancer, a PaaS router) your app "
        f"sees {other}:// while the URL we signed is {scheme}://, or the reverse. Rebuild the "
        "URL from X-Forwarded-Proto, or validate against the public URL you configured."
    )
    ports = (
        "Proxies add or drop the port. The official validators try the URL with and without "
        "it; a hand-written check that uses the request's URL as seen usually does not."
    )
    swapped = _swap_scheme(signed_url)
    candidates = [
        ("without the port", ports, port_variants(signed_url)[0]),
        ("with an explicit port", ports, port_variants(signed_url)[1]),
        (f"{other}:// instead of {scheme}://", proxy, swapped),
        (f"{other}:// and without the port", proxy, port_variants(swapped)[0]),
        (f"{other}:// with an explicit port", proxy, port_variants(swapped)[1]),
    ]
    seen = {signed_url}
    result = []
    for label, why, url in candidates:
        if url not in seen:
            seen.add(url)
            result.append((label, why, url))
    return result


def _param_variants(
    url: str, params: Sequence[tuple[str, str]], body: str
) -> list[tuple[str, str, str]]:
    """(label, why, string to sign) for the usual parameter mistakes of a form POST."""
    if not params:
        return []
    raw_pairs = [pair.partition("=") for pair in body.split("&") if pair]
    return [
        (
            "parameters in the order received",
            "Parameters must be sorted by name (code-point order) before they are appended; "
            "iterating a parsed body keeps the order they arrived in.",
            url + "".join(name + value for name, value in params),
        ),
        (
            "values still URL-encoded",
            "Sign the decoded values ('+' and '%20' become spaces, '%2B' becomes '+'). Reading "
            "the raw body, or a framework that re-encodes, gives different bytes.",
            url + "".join(name + value for name, _, value in sorted(raw_pairs)),
        ),
        (
            "URL only, parameters left out",
            "The form parameters are part of the signature. They get lost when the body was "
            "already consumed, parsed as JSON, or when a GET check is applied to a POST.",
            url,
        ),
        (
            "raw body appended",
            "The string is the URL followed by name + value pairs, not by the raw 'a=1&b=2' body.",
            url + body,
        ),
    ]


NOTES = (
    Note(
        "Scheme: http vs https",
        "We sign the URL exactly as configured. If TLS ends at a proxy, your app sees http:// "
        "and computes a different signature: use X-Forwarded-Proto (or your framework's "
        "proxy-fix middleware) to rebuild the public URL.",
    ),
    Note(
        "Host and port behind a proxy",
        "The host and port your app sees may be the proxy's upstream (localhost:5000) rather "
        "than the public name we signed. Use X-Forwarded-Host, or validate against the public "
        "URL you configured. The SDK validators accept the URL with or without the default port.",
    ),
    Note(
        "Re-encoded or re-ordered parameters",
        "Append every form parameter as name + value, sorted by name, using decoded values. Do "
        "not sign the raw body, and sign repeated parameters once per distinct value.",
    ),
    Note(
        "JSON body instead of form",
        "Incoming-message webhooks are application/x-www-form-urlencoded. Parsing the body as "
        "JSON leaves no parameters to sign, so only the URL would be covered. (Only JSON-bodied "
        "webhooks carry bodySHA256 in the URL and sign the URL alone.)",
    ),
    Note(
        "The right auth token",
        "Validate with the auth token of the account that owns the number; subaccounts have "
        "their own. Fragments (#rc=...) in the configured URL are never sent nor signed.",
    ),
)


def differences(signed_url: str, received_url: str) -> list[str]:
    """What differs between the URL we signed and the one a receiver reconstructed."""
    ours, theirs = urlsplit(signed_url), urlsplit(strip_fragment(received_url))
    found = []
    for part in ("scheme", "hostname", "port", "path", "query"):
        a, b = getattr(ours, part), getattr(theirs, part)
        if part == "hostname":
            a, b = a or "", b or ""
        if a != b:
            found.append(f"{part}: we signed {a or '(none)'!s}, you have {b or '(none)'!s}")
    return found


def inspect(
    attempt: WebhookAttempt,
    auth_token: str,
    received_url: str | None = None,
    their_signature: str | None = None,
) -> Inspection:
    signed_url = signed_url_of(attempt)
    params = signed_params(attempt)
    header = _header(attempt.request_headers, "x-twilio-signature")
    text = string_to_sign(signed_url, params)
    signature = _sign(auth_token, text)
    candidates = [
        (label, why, url, string_to_sign(url, params))
        for label, why, url in url_variants(signed_url)
    ]
    candidates += [
        (label, why, signed_url, variant_text)
        for label, why, variant_text in _param_variants(signed_url, params, attempt.request_body)
    ]
    variants: list[Variant] = []
    seen = {signature}  # a "mistake" that signs the same string is no mistake here
    for label, why, url, variant_text in candidates:
        variant_signature = _sign(auth_token, variant_text)
        if variant_signature not in seen:
            seen.add(variant_signature)
            variants.append(
                Variant(
                    label, why, url, variant_text, variant_signature, variant_signature == header
                )
            )
    notes = list(NOTES)
    if strip_fragment(attempt.url) != attempt.url:
        notes.insert(0, Note("Fragment", "The #fragment of the configured URL was not signed."))
    inspection = Inspection(
        configured_url=attempt.url,
        signed_url=signed_url,
        method=attempt.method.upper(),
        content_type=_header(attempt.request_headers, "content-type"),
        params=sorted(params),
        string_to_sign=text,
        signature=signature,
        header_signature=header,
        consistent=bool(header) and header == signature,
        variants=variants,
        notes=notes,
    )
    if not (received_url or their_signature):
        return inspection
    check = _check(inspection, auth_token, params, received_url or signed_url, their_signature)
    return dataclasses.replace(inspection, check=check)


def _sign(auth_token: str, text: str) -> str:
    """HMAC-SHA1 over a string to sign (compute_signature takes a URL and cuts it at '#')."""
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _check(
    inspection: Inspection,
    auth_token: str,
    params: list[tuple[str, str]],
    received_url: str,
    their_signature: str | None,
) -> Check:
    url = strip_fragment(received_url)
    their_variant = None
    if their_signature == inspection.signature:
        their_variant = "the signed URL (correct)"
    elif their_signature:
        matching = (v.label for v in inspection.variants if v.signature == their_signature)
        their_variant = next(matching, None)
    header = inspection.header_signature
    return Check(
        url=url,
        string_to_sign=string_to_sign(url, params),
        signature=compute_signature(auth_token, url, params),
        valid=bool(header) and validate_signature(auth_token, url, params, header),
        differences=differences(inspection.signed_url, url),
        their_signature=their_signature or "",
        their_variant=their_variant,
    )
