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

E.164 bounds used here: ``+``, then 7-15 digits, the first not ``0`` (7 because the smallest real
plans, e.g. Niue ``+683 xxxx``, have 7 digits; 15 is the ITU maximum). NANP (``+1``) numbers have
a fixed length, so ``+1`` must be followed by exactly 10 digits. Input may contain spaces,
dashes, dots and parentheses. Without a leading ``+`` we are conservative: only 11-15 digits
beginning with a calling code in :data:`CALLING_CODES` are taken as international, so a national
number such as ``4155550100`` is rejected rather than guessed at. That rule also repairs the
common client bug of sending ``+`` unencoded in a form body, which arrives as a space.
Channel prefixes are matched case-insensitively and emitted in lower case.

Geography (SPEC §1.4 ``FromCity``/``FromState``/``FromZip``/``FromCountry`` and ``To*``) comes
from built-in tables: the calling code (longest prefix) gives the ISO country; NANP numbers are
split by area code into US, Canada and other NANP countries, and a few dozen US area codes carry a
representative city, state and ZIP. Anything finer is out of scope for an emulator; unknown area
codes in a known country give the country alone (captures show empty values then).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from switchboard.domain.errors import TwilioError


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
_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_SEPARATORS_RE: Final = re.compile(r"[ \t\-.()]")
_SHORT_CODE_RE: Final = re.compile(r"[0-9]{5,6}")
_ALPHANUMERIC_RE: Final = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_RCS_AGENT_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,127}")
_PLATFORM_ID_RE: Final = re.compile(r"[0-9]{1,32}")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _code_table(text: str) -> MappingProxyType[str, str]:
    # Tables are kept as text so that a few dozen entries stay a few lines.
    words = text.split()
    return MappingProxyType(dict(zip(words[::2], words[1::2], strict=True)))


#: Country calling code -> ISO 3166 alpha-2. ITU codes are prefix-free, so a longest-prefix match
#: is unambiguous; the only sub-prefixes are Kazakhstan's ranges inside +7.
CALLING_CODES: Final = _code_table(
    """
    1 US  7 RU  76 KZ  77 KZ  20 EG  27 ZA  30 GR  31 NL  32 BE  33 FR  34 ES  36 HU  39 IT
    40 RO  41 CH  43 AT  44 GB  45 DK  46 SE  47 NO  48 PL  49 DE  51 PE  52 MX  53 CU  54 AR
    55 BR  56 CL  57 CO  58 VE  60 MY  61 AU  62 ID  63 PH  64 NZ  65 SG  66 TH  81 JP  82 KR
    84 VN  86 CN  90 TR  91 IN  92 PK  94 LK  98 IR  212 MA  213 DZ  216 TN  233 GH  234 NG
    254 KE  255 TZ  256 UG  351 PT  352 LU  353 IE  354 IS  356 MT  357 CY  358 FI  359 BG
    370 LT  371 LV  372 EE  380 UA  381 RS  385 HR  386 SI  420 CZ  421 SK  852 HK  853 MO
    880 BD  886 TW  961 LB  962 JO  965 KW  966 SA  968 OM  971 AE  972 IL  973 BH  974 QA
    """
)
_MAX_CODE_LENGTH: Final = max(len(code) for code in CALLING_CODES)

#: NANP area codes that belong to Canada (everything else in +1 not listed below is US).
CANADIAN_AREA_CODES: Final = _words(
    """
    204 226 236 249 250 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 468
    474 506 514 519 548 579 581 584 587 604 613 639 647 672 683 705 709 742 753 778 780 782 807
    819 825 867 873 879 902 905
    """
)

#: NANP area codes of other countries and territories with their own ISO code.
OTHER_NANP_AREA_CODES: Final = _code_table(
    """
    242 BS  246 BB  264 AI  268 AG  284 VG  340 VI  345 KY  441 BM  473 GD  649 TC  664 MS
    670 MP  671 GU  684 AS  721 SX  758 LC  767 DM  784 VC  787 PR  939 PR  809 DO  829 DO
    849 DO  868 TT  869 KN  876 JM  658 JM
    """
)


@dataclass(frozen=True, slots=True)
class Geo:
    """Webhook geography: upper-case city, two-letter state, ZIP, ISO 3166 alpha-2 country."""

    city: str
    state: str
    zip: str
    country: str


def _us_area_table(text: str) -> MappingProxyType[str, Geo]:
    table: dict[str, Geo] = {}
    for line in text.strip().splitlines():
        area, rest = line.split(maxsplit=1)
        city, state, zip_code = rest.rsplit(maxsplit=2)
        table[area] = Geo(city, state, zip_code, "US")
    return MappingProxyType(table)


#: A representative city per US area code: enough to make webhooks look like real traffic.
US_AREA_CODES: Final = _us_area_table(
    """
    202 WASHINGTON DC 20001
    206 SEATTLE WA 98101
    212 NEW YORK NY 10001
    213 LOS ANGELES CA 90012
    214 DALLAS TX 75201
    215 PHILADELPHIA PA 19102
    303 DENVER CO 80202
    305 MIAMI FL 33101
    310 SANTA MONICA CA 90401
    312 CHICAGO IL 60601
    313 DETROIT MI 48226
    314 SAINT LOUIS MO 63101
    317 INDIANAPOLIS IN 46204
    401 PROVIDENCE RI 02903
    404 ATLANTA GA 30303
    408 SAN JOSE CA 95113
    412 PITTSBURGH PA 15222
    415 SAN FRANCISCO CA 94105
    503 PORTLAND OR 97204
    504 NEW ORLEANS LA 70112
    510 OAKLAND CA 94612
    512 AUSTIN TX 78701
    602 PHOENIX AZ 85004
    612 MINNEAPOLIS MN 55401
    614 COLUMBUS OH 43215
    615 NASHVILLE TN 37201
    617 BOSTON MA 02108
    619 SAN DIEGO CA 92101
    646 NEW YORK NY 10001
    702 LAS VEGAS NV 89101
    704 CHARLOTTE NC 28202
    713 HOUSTON TX 77002
    718 BROOKLYN NY 11201
    801 SALT LAKE CITY UT 84101
    808 HONOLULU HI 96813
    816 KANSAS CITY MO 64105
    907 ANCHORAGE AK 99501
    """
)


def calling_code(e164: str) -> str | None:
    """The known calling code (longest prefix) of an E.164 number or of bare digits."""
    digits = e164.removeprefix("+")
    for length in range(min(_MAX_CODE_LENGTH, len(digits)), 0, -1):
        if digits[:length] in CALLING_CODES:
            return digits[:length]
    return None


def _is_e164(value: str) -> bool:
    if _E164_RE.fullmatch(value) is None:
        return False
    # NANP numbers are always 1 + 10 digits; any other length is a typo, not a number.
    return not value.startswith("+1") or len(value) == 12


def normalize_e164(raw: str) -> str | None:
    """``raw`` as canonical E.164, or None. See the module docstring for what is tolerated."""
    text = raw.strip()
    has_plus = text.startswith("+")
    digits = _SEPARATORS_RE.sub("", text[1:] if has_plus else text)
    if _DIGITS_RE.fullmatch(digits) is None:
        return None
    if not has_plus and not (11 <= len(digits) <= 15 and calling_code(digits) is not None):
        # Bare digits could be a national number; guessing a country would misroute it.
        return None
    candidate = f"+{digits}"
    return candidate if _is_e164(candidate) else None


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

    def __post_init__(self) -> None:
        # Accept the channel as text (e.g. from storage) but hold the enum, so ``is`` works.
        object.__setattr__(self, "channel", Channel(self.channel))
        if _classify(self.channel, self.identity) is None:
            raise ValueError(f"not a canonical {self.channel} address: {self.identity!r}")

    @property
    def kind(self) -> AddressKind:
        kind = _classify(self.channel, self.identity)
        assert kind is not None  # guaranteed by __post_init__
        return kind

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
    """The ``To`` of a create request: 21604 when missing, 21211 when invalid (SPEC §6.9)."""
    if raw is None or not raw.strip():
        raise TwilioError(21604)
    address = parse_address(raw)
    if address is None or address.kind in SEND_ONLY_KINDS:
        raise TwilioError(21211, f"The 'To' number {raw} is not a valid phone number.")
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


def geo_lookup(address: Address) -> Geo | None:
    """Webhook geography for a phone-number address, or None when the country is unknown.

    Channel-agnostic: SPEC §1.4 says WhatsApp webhooks omit the geo keys, which is the webhook
    builder's decision. Short codes, sender IDs and platform ids have no geography.
    """
    if not address.is_phone_number:
        return None
    code = calling_code(address.identity)
    if code is None:
        return None
    if code != "1":
        return Geo("", "", "", CALLING_CODES[code])
    area = address.identity[2:5]
    if area in US_AREA_CODES:
        return US_AREA_CODES[area]
    if area in CANADIAN_AREA_CODES:
        return Geo("", "", "", "CA")
    # Non-geographic US codes (500, 555, 8xx toll-free, ...) fall through to a bare US.
    return Geo("", "", "", OTHER_NANP_AREA_CODES.get(area, "US"))


def country_of(address: Address) -> str | None:
    """ISO 3166 alpha-2 country of a phone-number address, or None."""
    geo = geo_lookup(address)
    return None if geo is None else geo.country
