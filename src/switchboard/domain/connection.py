"""Webhook connection overrides: the ``#ct=..&rt=..`` fragment of a webhook URL (SPEC §2).

Theory. Twilio lets a customer tune how one webhook is delivered by appending a fragment to its
URL: ``ct`` connect timeout, ``rt`` read timeout, ``tt`` total budget over all attempts, ``rc``
number of *re*-tries, ``rp`` which failures are retried, ``e`` egress edge(s) rotated through on
successive attempts, ``sni`` whether to send TLS SNI. The fragment is configuration, not address:
it is never requested and never signed, so parsing always hands back the URL without it.

Leniency follows Twilio where it is documented and the SPEC's recommendation where it is not:

* an ``rp`` or ``e`` value Twilio does not know is an error (11243, 11240);
* numbers outside the documented range are clamped to it (Twilio does not say whether it clamps
  or rejects; clamping keeps a slightly-off webhook working);
* a numeric key whose value is not an integer, an ``sni`` other than ``y``/``n``, unknown keys
  and pieces without ``=`` are ignored, keeping the defaults -- a fragment may well be an
  ordinary in-page anchor that was never meant for Twilio;
* a key given twice: the last occurrence wins; values are percent-decoded and, for ``rp``, ``e``
  and ``sni``, compared case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import unquote, urlsplit

from switchboard.domain.errors import TwilioError

__all__ = [
    "DEFAULT_EDGE",
    "EDGES",
    "INTERCONNECT_EDGES",
    "PUBLIC_EDGES",
    "RANGES",
    "ConnectionPolicy",
    "RetryCondition",
    "parse_connection_overrides",
    "validate_webhook_url",
]


class RetryCondition(StrEnum):
    """A failure class ``rp`` can opt into retrying; the values are the fragment spellings."""

    CONNECT = "ct"  # TCP connect or TLS handshake failed
    READ = "rt"  # no response within the read timeout (a partial response is not retried)
    HTTP_4XX = "4xx"
    HTTP_5XX = "5xx"


PUBLIC_EDGES: Final = frozenset(
    {"ashburn", "dublin", "frankfurt", "sao-paulo", "singapore", "sydney", "tokyo", "umatilla"}
)
INTERCONNECT_EDGES: Final = frozenset(
    {"ashburn-ix", "frankfurt-ix", "london-ix", "san-jose-ix", "singapore-ix"}
)
EDGES: Final = PUBLIC_EDGES | INTERCONNECT_EDGES
DEFAULT_EDGE: Final = "ashburn"

# Documented inclusive range of each numeric key (milliseconds, or a count for rc).
RANGES: Final = {
    "ct": (100, 10_000),
    "rt": (100, 15_000),
    "tt": (100, 15_000),
    "rc": (0, 5),
}
# ASCII digits only: int() would also accept "1_000" and non-Latin digits.
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Whitespace and control characters are never valid in a URL, and urlsplit silently drops some.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True, slots=True)
class ConnectionPolicy:
    """How to deliver one webhook; the defaults are Twilio's defaults without any fragment."""

    connect_timeout_ms: int = 5000
    read_timeout_ms: int = 15000
    # Budget for all attempts together; when unset Twilio applies the maximum.
    total_timeout_ms: int = 15000
    retry_count: int = 1
    retry_on: frozenset[RetryCondition] = frozenset({RetryCondition.CONNECT})
    edges: tuple[str, ...] = (DEFAULT_EDGE,)
    sni: bool = True

    def __post_init__(self) -> None:
        # Caught here rather than as a ZeroDivisionError deep inside a delivery loop.
        if not self.edges:
            raise ValueError("ConnectionPolicy.edges must name at least one edge")
        if self.retry_count < 0:
            raise ValueError("ConnectionPolicy.retry_count must not be negative")

    @property
    def max_attempts(self) -> int:
        """The first attempt plus ``retry_count`` retries."""
        return self.retry_count + 1

    def retries(self, condition: RetryCondition) -> bool:
        return condition in self.retry_on

    def edge_for_attempt(self, attempt: int) -> str:
        """The edge for the 1-based ``attempt`` (as in ``X-Twilio-WebhookAttempt``)."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        return self.edges[(attempt - 1) % len(self.edges)]


_DEFAULT_POLICY: Final = ConnectionPolicy()
_CONDITION_VALUES: Final = frozenset(condition.value for condition in RetryCondition)


def _items(value: str) -> list[str]:
    # Empty items (a stray comma) are kept so that they are reported, not silently skipped.
    return [item.strip().lower() for item in value.split(",")]


def _parse_retry_policy(value: str) -> frozenset[RetryCondition]:
    conditions: set[RetryCondition] = set()
    for item in _items(value):
        if item == "all":
            conditions.update(RetryCondition)
        elif item in _CONDITION_VALUES:
            conditions.add(RetryCondition(item))
        else:
            raise TwilioError(11243, f"Invalid retry policy specified: rp={value!r}")
    return frozenset(conditions)


def _parse_edges(value: str) -> tuple[str, ...]:
    edges = _items(value)
    for edge in edges:
        if edge not in EDGES:
            raise TwilioError(11240, f"Invalid edge location specified: e={value!r}")
    return tuple(edges)


def _parse_sni(value: str) -> bool | None:
    return {"y": True, "n": False}.get(value.strip().lower())


def _parse_number(key: str, value: str) -> int | None:
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        return None
    low, high = RANGES[key]
    return min(max(int(text), low), high)


def parse_connection_overrides(url: str) -> tuple[str, ConnectionPolicy]:
    """(``url`` without its fragment, the policy its fragment asks for).

    Raises :class:`TwilioError` 11243 for an unknown ``rp`` value and 11240 for an unknown edge.
    """
    base, _, fragment = url.partition("#")
    given: dict[str, str] = {}
    for piece in fragment.split("&"):
        key, eq, value = piece.partition("=")
        if eq:
            given[key] = unquote(value)

    def number(key: str, default: int) -> int:
        parsed = _parse_number(key, given[key]) if key in given else None
        return default if parsed is None else parsed

    sni = _parse_sni(given["sni"]) if "sni" in given else None
    defaults = _DEFAULT_POLICY
    policy = ConnectionPolicy(
        connect_timeout_ms=number("ct", defaults.connect_timeout_ms),
        read_timeout_ms=number("rt", defaults.read_timeout_ms),
        total_timeout_ms=number("tt", defaults.total_timeout_ms),
        retry_count=number("rc", defaults.retry_count),
        retry_on=_parse_retry_policy(given["rp"]) if "rp" in given else defaults.retry_on,
        edges=_parse_edges(given["e"]) if "e" in given else defaults.edges,
        sni=defaults.sni if sni is None else sni,
    )
    return base, policy


def validate_webhook_url(url: str) -> None:
    """Raise :class:`TwilioError` 11100 unless ``url`` is an absolute http(s) URL with a host.

    A fragment is allowed (it carries the connection overrides); its content is not checked here.
    """
    try:
        parts = urlsplit(url)
        # Accessing .port raises ValueError for a non-numeric or out-of-range port.
        _ = parts.port
    except ValueError as exc:
        raise TwilioError(11100, f"Invalid URL format: {url!r}") from exc
    if _BAD_URL_CHARS.search(url) or parts.scheme not in ("http", "https") or not parts.hostname:
        raise TwilioError(11100, f"Invalid URL format: {url!r}")
