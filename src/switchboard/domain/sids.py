"""Twilio SIDs: a two-letter type prefix followed by 32 lower-case hex digits.

Generation takes its randomness as an argument (16 bytes), so the core stays deterministic;
the composition root passes ``os.urandom`` or a seeded source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Final

RandomBytes = Callable[[int], bytes]

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


def make_sid(prefix: SidPrefix | str, random_bytes: RandomBytes) -> str:
    """A new SID of ``prefix`` from 16 bytes drawn from ``random_bytes``."""
    raw = random_bytes(16)
    if len(raw) != 16:
        raise ValueError("a SID needs exactly 16 random bytes")
    prefix = SidPrefix(prefix)
    return f"{prefix.value}{raw.hex()}"


class SidFactory:
    """Callable SID source: one randomness function, or one per prefix.

    Per-prefix sources keep seeded runs reproducible: creating a webhook attempt's SID (which
    happens whenever an app answers) then never shifts the SIDs of messages created later.
    """

    __slots__ = ("_per_prefix", "_random_bytes", "_sources")

    def __init__(
        self,
        random_bytes: RandomBytes,
        per_prefix: Callable[[str], RandomBytes] | None = None,
    ) -> None:
        self._random_bytes = random_bytes
        self._per_prefix = per_prefix
        self._sources: dict[str, RandomBytes] = {}

    def __call__(self, prefix: SidPrefix | str) -> str:
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
