"""Twilio SIDs: a two-letter type prefix followed by 32 lower-case hex digits.

Generation takes its randomness (and, for time-ordered SIDs, its clock) as arguments, so the
core stays deterministic; the composition root passes a source seeded from the OS and the wall
clock, or a configured seed and no clock.

Time-ordered SIDs. Twilio's SIDs look random and apps treat them as opaque, so the store is free
to choose the 32 digits. A server's SIDs begin with the time (12 hex digits of Unix
milliseconds, then 20 random digits: 80 random bits), as UUIDv7 (RFC 9562) does and for the
same reason: each table's index on ``sid``, and every index that leads with a message's SID
(its attempts, events, jobs), then grows at its end, whose pages are already in memory, rather
than at a random page of an index as large as the table. With a million stored messages,
random SIDs had SQLite dirty 207 KB of pages a message against 16 KB, and the inbound rate fell
to 84-92% of an empty store's (docs/performance.md, "SIDs that begin with the time"). A seeded
server keeps wholly random SIDs: a seed promises the same SIDs on every run, which a clock
cannot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Final

RandomBytes = Callable[[int], bytes]
Milliseconds = Callable[[], int]

_SID_RE: Final = re.compile(r"^([A-Z]{2})([0-9a-f]{32})$")
_LOOSE_SID_RE: Final = re.compile(r"^([A-Z]{2})([0-9a-fA-F]{32})$")


class SidPrefix(StrEnum):
    ACCOUNT = "AC"
    MESSAGE = "SM"
    MEDIA_MESSAGE = "MM"
    MEDIA = "ME"
    PHONE_NUMBER = "PN"
    MESSAGING_SERVICE = "MG"
    API_KEY = "SK"
    APPLICATION = "AP"
    CHANNEL_INSTALL = "XE"  # also a channel sender (WhatsApp, RCS) in a service's pool
    SHORT_CODE = "SC"
    ALPHA_SENDER = "AI"
    CONTENT = "HX"
    NOTIFICATION = "NO"
    REQUEST = "RQ"
    PAGE_TOKEN = "PA"
    SINK = "DG"  # Event Streams
    SUBSCRIPTION = "DF"


MESSAGE_PREFIXES: Final = frozenset({SidPrefix.MESSAGE, SidPrefix.MEDIA_MESSAGE})


_TIME_DIGITS: Final = 12  # 48 bits of Unix milliseconds: enough until the year 10889
_TIME_LIMIT: Final = 16**_TIME_DIGITS


def make_sid(prefix: SidPrefix | str, random_bytes: RandomBytes, at_ms: int | None = None) -> str:
    """A new SID of ``prefix``: 16 bytes drawn from ``random_bytes``, or, given ``at_ms`` (Unix
    milliseconds), that time in the first 12 hex digits and 10 random bytes after it."""
    prefix = SidPrefix(prefix)
    time_digits = ""
    if at_ms is not None:
        if not 0 <= at_ms < _TIME_LIMIT:
            raise ValueError(f"a SID's time is 0 to {_TIME_LIMIT - 1} ms, not {at_ms}")
        time_digits = f"{at_ms:0{_TIME_DIGITS}x}"
    size = 16 - len(time_digits) // 2  # random bytes fill what the time leaves of 32 digits
    raw = random_bytes(size)
    if len(raw) != size:
        raise ValueError(f"a SID needs exactly {size} random bytes")
    return f"{prefix.value}{time_digits}{raw.hex()}"


class SidFactory:
    """Callable SID source: one randomness function, or one per prefix; time-ordered SIDs
    when given a clock (``clock_ms``, Unix milliseconds).

    Per-prefix sources keep seeded runs reproducible: creating a webhook attempt's SID (which
    happens whenever an app answers) then never shifts the SIDs of messages created later.
    """

    __slots__ = ("_clock_ms", "_per_prefix", "_random_bytes", "_sources")

    def __init__(
        self,
        random_bytes: RandomBytes,
        per_prefix: Callable[[str], RandomBytes] | None = None,
        clock_ms: Milliseconds | None = None,
    ) -> None:
        if clock_ms is not None and per_prefix is not None:
            # Per-prefix sources are for seeded runs, whose SIDs a clock would make unrepeatable.
            raise ValueError("a SID factory takes a clock or per-prefix sources, not both")
        self._random_bytes = random_bytes
        self._per_prefix = per_prefix
        self._clock_ms = clock_ms
        self._sources: dict[str, RandomBytes] = {}

    def __call__(self, prefix: SidPrefix | str) -> str:
        if self._clock_ms is not None:
            return make_sid(prefix, self._random_bytes, self._clock_ms())
        if self._per_prefix is None:
            return make_sid(prefix, self._random_bytes)
        key = SidPrefix(prefix).value
        source = self._sources.get(key)
        if source is None:
            source = self._sources[key] = self._per_prefix(key)
        return make_sid(key, source)


def is_sid(value: str, prefix: SidPrefix | str | frozenset[SidPrefix] | None = None) -> bool:
    """True if ``value`` is a well-formed SID (either hex case, as Twilio's spec accepts)."""
    match = _LOOSE_SID_RE.match(value)
    if match is None:
        return False
    if prefix is None:
        return True
    if isinstance(prefix, frozenset):
        return match.group(1) in {p.value for p in prefix}
    return match.group(1) == SidPrefix(prefix).value


def is_canonical_sid(value: str) -> bool:
    """True if ``value`` is a SID exactly as Twilio issues it (lower-case hex)."""
    return _SID_RE.match(value) is not None


def sid_prefix(value: str) -> str:
    """The two-letter prefix of a well-formed SID; ValueError otherwise."""
    if not is_sid(value):
        raise ValueError(f"not a SID: {value!r}")
    return value[:2]
