"""Message addresses: phone numbers, short codes, sender IDs and channel addresses (SPEC §1.5).

Theory. Every ``To``/``From`` Twilio accepts or emits is a *channel* plus an *identity*. The wire
form is ``<channel>:<identity>`` except for SMS/MMS, which is bare (SPEC §1.5):

* SMS: an E.164 number (``+14155550100``), a short code (5-6 digits, bare, country-specific) or an
  alphanumeric sender ID (1-11 of ``[A-Za-z0-9 ]`` with at least one letter; send-only).
* WhatsApp: ``whatsapp:<E.164>`` on both sides.
* RCS: the user side is ``rcs:<E.164>``; the brand side is ``rcs:<agent id>`` (e.g.
  ``rcs:brand_xyz_agent``): a letter followed by letters, digits, ``_``, ``-`` or ``.``.
* Messenger: ``messenger:<page or user id>`` (decimal digits).

:class:`Address` only holds canonical identities (checked on construction), so two spellings of
one number compare equal once parsed.

Phone numbers are checked against the numbering plans by :mod:`switchboard.domain.numbering`
(libphonenumber), so only numbers that exist, or lie in a documented fictional range, are
accepted. Input may contain spaces, dashes, dots and parentheses. Without a leading ``+`` we are
conservative: only 11-15 digits that form a valid international number are taken, so a national
number such as ``4155550100`` is rejected rather than guessed at. That rule also repairs the
common client bug of sending ``+`` unencoded in a form body, which arrives as a space. A trunk
prefix written after the country code (``+44 0 20 ...``, ``+1 1 415 ...``) is dropped, as
libphonenumber reads it (it knows where a leading 0 belongs to the number, as in Italy's).
Channel prefixes are matched case-insensitively and emitted in lower case.

Geography (SPEC §1.4 ``FromCity``/``FromState``/``FromZip``/``FromCountry`` and ``To*``) and the
line type behind 21614 come from the same library (see :mod:`switchboard.domain.numbering`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from switchboard.domain.errors import TwilioError
from switchboard.domain.numbering import Geo as Geo  # re-exported for the webhook builders
from switchboard.domain.numbering import LineType, NumberInfo, locate, lookup


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    RCS = "rcs"
    MESSENGER = "messenger"

    @property
    def supports_read_receipts(self) -> bool:
        """Whether ``delivered`` may still move to ``read`` (SPEC §5.1: RCS/WhatsApp only)."""
        return self in (Channel.WHATSAPP, Channel.RCS)


class AddressKind(StrEnum):
    PHONE_NUMBER = "phone_number"
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"
    SENDER_ID = "sender_id"  # an RCS brand agent
    PLATFORM_ID = "platform_id"  # a Messenger page or user id


# [0-9] rather than \d everywhere: \d also matches non-ASCII digits such as '٣'.
_E164_SHAPE_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_SEPARATORS_RE: Final = re.compile(r"[ \t\-.()]")
_SHORT_CODE_RE: Final = re.compile(r"[0-9]{5,6}")
_ALPHANUMERIC_RE: Final = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_RCS_AGENT_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,127}")
_PLATFORM_ID_RE: Final = re.compile(r"[0-9]{1,32}")


def _number(candidate: str) -> NumberInfo | None:
    """The facts about a ``+<digits>`` candidate, when it is a valid number."""
    # The shape check keeps letters, extensions and the like away from libphonenumber, which
    # would read ``1-800-FLOWERS`` or ``x12`` generously.
    if _E164_SHAPE_RE.fullmatch(candidate) is None:
        return None
    return lookup(candidate)


def _is_e164(value: str) -> bool:
    """True for a valid number already in canonical E.164."""
    info = _number(value)
    return info is not None and info.e164 == value


def normalize_e164(raw: str) -> str | None:
    """``raw`` as canonical E.164, or None. See the module docstring for what is tolerated."""
    text = raw.strip()
    has_plus = text.startswith("+")
    digits = _SEPARATORS_RE.sub("", text[1:] if has_plus else text)
    if _DIGITS_RE.fullmatch(digits) is None:
        return None
    if not has_plus and not 11 <= len(digits) <= 15:
        # Bare digits could be a national number; guessing a country would misroute it.
        return None
    info = _number(f"+{digits}")
    return None if info is None else info.e164


def is_short_code(raw: str) -> bool:
    """True for a bare 5-6 digit short code (they have no country prefix, so never E.164)."""
    return _SHORT_CODE_RE.fullmatch(raw.strip()) is not None


def _classify(channel: Channel, identity: str) -> AddressKind | None:
    # The kinds each channel admits, checked on canonical identities only.
    if _is_e164(identity):
        return None if channel is Channel.MESSENGER else AddressKind.PHONE_NUMBER
    if channel is Channel.SMS:
        if _SHORT_CODE_RE.fullmatch(identity):
            return AddressKind.SHORT_CODE
        if _ALPHANUMERIC_RE.fullmatch(identity) and identity == identity.strip():
            return AddressKind.ALPHANUMERIC
    elif channel is Channel.RCS:
        if _RCS_AGENT_RE.fullmatch(identity):
            return AddressKind.SENDER_ID
    elif channel is Channel.MESSENGER and _PLATFORM_ID_RE.fullmatch(identity):
        return AddressKind.PLATFORM_ID
    return None


@dataclass(frozen=True, slots=True)
class Address:
    """A canonical message address; construction raises ValueError for a non-canonical one."""

    channel: Channel
    identity: str
    # Classified once: the hot paths ask for the kind of the same address many times.
    kind: AddressKind = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accept the channel as text (e.g. from storage) but hold the enum, so ``is`` works.
        object.__setattr__(self, "channel", Channel(self.channel))
        kind = _classify(self.channel, self.identity)
        if kind is None:
            raise ValueError(f"not a canonical {self.channel} address: {self.identity!r}")
        object.__setattr__(self, "kind", kind)

    @property
    def value(self) -> str:
        """The wire form: bare for SMS, ``<channel>:<identity>`` otherwise."""
        if self.channel is Channel.SMS:
            return self.identity
        return f"{self.channel.value}:{self.identity}"

    @property
    def is_phone_number(self) -> bool:
        return self.kind is AddressKind.PHONE_NUMBER

    @property
    def is_short_code(self) -> bool:
        return self.kind is AddressKind.SHORT_CODE

    def __str__(self) -> str:
        return self.value


_PREFIXES: Final = MappingProxyType(
    {c.value: c for c in (Channel.WHATSAPP, Channel.RCS, Channel.MESSENGER)}
)


# Pure, immutable result, called several times per message with few distinct inputs: memoised
# (measured: a third of the inbound service time before caching).
@lru_cache(maxsize=8192)
def parse_address(raw: str) -> Address | None:
    """Parse any ``To``/``From`` value into a canonical :class:`Address`, or None."""
    text = raw.strip()
    prefix, colon, rest = text.partition(":")
    if colon:
        channel = _PREFIXES.get(prefix.lower())
        if channel is None:
            return None
        return _parse_identity(channel, rest.strip())
    return _parse_identity(Channel.SMS, text)


def _parse_identity(channel: Channel, text: str) -> Address | None:
    if channel is not Channel.MESSENGER:
        e164 = normalize_e164(text)
        if e164 is not None:
            return Address(channel, e164)
    # Not a phone number: only the channel's own identities remain, already in canonical form.
    if _classify(channel, text) in (None, AddressKind.PHONE_NUMBER):
        return None
    return Address(channel, text)


#: Kinds that can only ever send: an alphanumeric ID or RCS agent cannot receive a message.
SEND_ONLY_KINDS: Final = frozenset({AddressKind.ALPHANUMERIC, AddressKind.SENDER_ID})


def parse_to(raw: str | None) -> Address:
    """The ``To`` of a create request (SPEC §6.9): 21604 when missing; 21211 when it is not a
    valid number (short codes and sender IDs only send); 21614 for an SMS to a landline."""
    if raw is None or not raw.strip():
        raise TwilioError(21604)
    address = parse_address(raw)
    if address is None or address.kind in SEND_ONLY_KINDS or address.is_short_code:
        raise TwilioError(21211, f"The 'To' number {raw} is not a valid phone number.")
    if address.channel is Channel.SMS and line_type(address) is LineType.LANDLINE:
        # Only where the numbering plan says "landline" for sure: NANP numbers are never typed
        # (FIXED_OR_MOBILE), so a US landline is found by the carrier, as on Twilio (30006).
        raise TwilioError(21614, f"The 'To' number {raw} is not a valid mobile number.")
    return address


def parse_from(raw: str | None) -> Address:
    """The ``From`` of a create request: 21212 when invalid.

    A missing ``From`` raises 21603; callers that hold a ``MessagingServiceSid`` should not call
    this at all when ``From`` is absent, because the service then picks the sender.
    """
    if raw is None or not raw.strip():
        raise TwilioError(21603)
    address = parse_address(raw)
    if address is None:
        raise TwilioError(
            21212,
            f"The 'From' number {raw} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        )
    return address


def _number_of(address: Address) -> NumberInfo | None:
    return lookup(address.identity) if address.is_phone_number else None


def line_type(address: Address) -> LineType | None:
    """Mobile, landline, toll-free, ... of a phone-number address; None for other kinds."""
    info = _number_of(address)
    return None if info is None else info.line


def geo_lookup(address: Address) -> Geo | None:
    """Webhook geography for a phone-number address, or None when it has no country.

    Channel-agnostic: SPEC §1.4 says WhatsApp webhooks omit the geo keys, which is the webhook
    builder's decision. Short codes, sender IDs and platform ids have no geography.
    """
    return locate(address.identity) if address.is_phone_number else None


def country_of(address: Address) -> str | None:
    """ISO 3166 alpha-2 country of a phone-number address, or None."""
    info = _number_of(address)
    return None if info is None or not info.country else info.country
