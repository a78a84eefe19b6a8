"""Twilio's rules for HTTP 3xx answers to webhooks (SPEC §15), as one pure function.

Every webhook switchboard sends -- incoming message, fallback, ``<Redirect>`` and ``action``
documents, status callbacks, replays -- follows redirects by :func:`next_hop`; the HTTP clients
never follow them on their own, so each hop is a request of its own in the attempt log.

* Twilio follows 301, 302, 303 and 307 only. Any other 3xx (300, 304, 305, 308, ...) is 11216
  ("HTTP invalid redirect"); 308 is not on Twilio's list.
* A missing ``Location``, or one that does not resolve to an absolute http(s) URL with a host,
  is 11216. A relative ``Location`` is resolved against the URL that was requested (RFC 9110);
  its fragment, if any, is dropped (fragments never travel, and connection overrides come from
  the configured URL only).
* More than ``max_hops`` redirects in a row is 11215 ("HTTP too many redirects").

Unclear in SPEC, chosen here (SPEC §15.2, following Twilio's own sample app, which needs POST and
its parameters to survive a 302): 301, 302 and 307 repeat the request's method and parameters at
the new URL; 303 turns it into a GET, whose parameters travel in the query string as those of a
GET webhook do.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from switchboard.domain.connection import validate_webhook_url
from switchboard.domain.errors import TwilioError

FOLLOWED = frozenset({301, 302, 303, 307})


@dataclass(frozen=True, slots=True)
class Hop:
    """The next request of a redirected webhook: the URL its parameters are added to (a GET
    appends them to the query, a POST sends them as the form body) and its method."""

    url: str
    method: str


def is_redirect(status: int | None) -> bool:
    return status is not None and 300 <= status < 400


def next_hop(
    status: int,
    location: str | None,
    requested_url: str,
    method: str,
    hops: int,
    max_hops: int,
) -> Hop:
    """Where a webhook answered with 3xx ``status`` goes next.

    ``requested_url`` is the URL the answer came from; for a GET, without the webhook's
    parameters (the URL they were appended to), since they are appended again at the next hop.
    ``hops`` counts the redirects already followed in this delivery. Raises TwilioError 11216 for
    a redirect Twilio does not follow and 11215 when this one would exceed ``max_hops``.
    """
    if status not in FOLLOWED:
        raise TwilioError(
            11216, f"HTTP {status} is not a redirect Twilio follows (only 301, 302, 303, 307)"
        )
    if not location or not location.strip():
        raise TwilioError(11216, f"HTTP {status} without a Location header")
    location = location.strip()
    try:
        if location.startswith("//"):  # a network-path reference keeps the requested scheme
            location = f"{urlsplit(requested_url).scheme}:{location}"
        # An absolute Location stands alone: urljoin would fill in a missing host ("http://")
        # from the requested URL.
        joined = location if urlsplit(location).scheme else urljoin(requested_url, location)
        target, _fragment = urldefrag(joined)
        validate_webhook_url(target)
    except (TwilioError, ValueError):
        raise TwilioError(11216, f"HTTP {status} with an invalid Location {location!r}") from None
    if hops >= max_hops:
        raise TwilioError(11215, f"more than {max_hops} redirects in a row (a loop?)")
    return Hop(url=target, method="GET" if status == 303 else method.upper())
