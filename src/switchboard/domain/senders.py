"""How a Messaging Service chooses the sender of a message (SPEC §7.2, §18): one pure rule.

Theory. The pool is every sender the service holds (phone numbers, short codes, alphanumeric
IDs, channel senders); the recipient is an address with a country, an area code and a handset
that may not take MMS or RCS. :func:`choose` first keeps the senders that can use the
recipient's channel, then walks :data:`PRECEDENCE`: the first rule that finds a sender wins,
and the choice says which rule it was and why, in words a developer can read in the dashboard
and in ``switchboard messages show``. Twilio publishes no complete algorithm; the order below
is SPEC §18.1's, and docs/services.md gives the table and the choices made where Twilio is
unclear. Within one rule, several senders share the work by recipient (a stable hash of the
recipient), so a recipient meets the same sender again even without Sticky Sender.

RCS first, SMS/MMS fallback (SPEC §18.1): a handset that takes RCS gets the pool's RCS agent;
one that cannot gets the request's ``FallbackFrom`` when it named one, else the precedence
table. When the RCS attempt itself fails, :func:`fall_back` chooses again without RCS, by the
same rules, and says so (:data:`Rule.RCS_FALLBACK`).

After the sender, the MMS Converter (:func:`converts_mms`): an MMS the recipient or the sender
cannot take goes as SMS with links to its media, when the service has the converter on.

No I/O, no clock: the caller gathers the pool, the sticky mapping and the handset.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from switchboard.domain.models import SenderKind
from switchboard.domain.numbering import LineType
from switchboard.domain.phone import (
    Address,
    AddressKind,
    Channel,
    country_of,
    line_type,
    parse_address,
)

#: North American Numbering Plan countries where Area Code Geomatch applies (SPEC §18.1).
AREA_CODE_COUNTRIES: Final = frozenset({"US", "CA"})

#: Countries whose carriers do not accept alphanumeric sender IDs: the service sends there from
#: a number instead. Twilio's per-country list changes; these are the stable, well-known ones
#: (docs/services.md).
NO_ALPHA_COUNTRIES: Final = frozenset(
    {"US", "CA", "PR", "CN", "AR", "BR", "CL", "CO", "CR", "EC", "GT", "KR", "MX", "PA", "PE",
     "SV", "UY", "VE", "VN", "NI", "HN", "DO", "JP"}
)  # fmt: skip

#: Where Twilio delivers MMS as MMS; elsewhere the MMS Converter sends SMS with links.
MMS_COUNTRIES: Final = frozenset({"US", "CA"})


class Rule(StrEnum):
    """The rules of :data:`PRECEDENCE` (stored with each choice), and the outcomes outside it:
    the request named its ``From``; RCS first and the request's ``FallbackFrom`` (checked before
    the table); the SMS/MMS sender after a failed RCS attempt (:func:`fall_back`); or nothing in
    the pool can reach the recipient."""

    FROM = "from"
    RCS = "rcs_first"
    FALLBACK_FROM = "fallback_from"  # the handset cannot take RCS: the request's FallbackFrom
    RCS_FALLBACK = "rcs_fallback"  # the RCS attempt failed: SMS/MMS from another sender
    STICKY = "sticky_sender"
    SHORT_CODE = "short_code"
    DESTINATION_ALPHA = "destination_alpha_sender"
    ALPHA = "alpha_sender"
    AREA_CODE = "area_code_geomatch"
    COUNTRY = "country_geomatch"
    US_NUMBER = "us_number"
    ANY = "any_sender"
    NONE = "no_sender"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sender of the pool. ``country``: of a phone number, a short code or a destination
    alpha sender; '' for an alphanumeric ID serving every country."""

    address: Address
    kind: SenderKind
    country: str = ""

    @property
    def value(self) -> str:
        return self.address.value

    @property
    def area_code(self) -> str | None:
        return area_code(self.address)

    @property
    def takes_mms(self) -> bool:
        """Alphanumeric IDs and RCS agents send text only (RCS rich cards are not MMS)."""
        return self.address.kind in (AddressKind.PHONE_NUMBER, AddressKind.SHORT_CODE)


@dataclass(frozen=True, slots=True)
class Handset:
    """What the recipient's phone can take: from its number (a landline takes neither MMS nor
    RCS), overridable in a scenario's ``handset`` (docs/carrier.md)."""

    mms: bool = True
    rcs: bool = True
    landline: bool = False


LANDLINE: Final = Handset(mms=False, rcs=False, landline=True)


def handset_of(to: Address) -> Handset:
    """What the number says of the handset: a landline where the numbering plan knows it
    (NANP numbers are never typed, so a US landline comes from a scenario)."""
    return LANDLINE if line_type(to) is LineType.LANDLINE else Handset()


@dataclass(frozen=True, slots=True)
class Settings:
    """The service's switches that change the choice."""

    sticky_sender: bool = True
    area_code_geomatch: bool = True
    mms_converter: bool = True


#: Where a message records its request's ``FallbackFrom`` (``Message.extra``).
FALLBACK_FROM: Final = "FallbackFrom"


@dataclass(frozen=True, slots=True)
class Request:
    """What the rule decides for: the recipient, its handset, whether the message is an MMS,
    the sticky mapping stored for this recipient and channel (if any), and the SMS/MMS sender
    the request named for when RCS is not used (``FallbackFrom``, validated by the API)."""

    to: Address
    handset: Handset = Handset()
    mms: bool = False
    sticky: str | None = None
    fallback_from: str | None = None

    @property
    def country(self) -> str:
        return country_of(self.to) or ""

    @property
    def area_code(self) -> str | None:
        return area_code(self.to)


@dataclass(frozen=True, slots=True)
class Choice:
    """The sender chosen (None: the pool cannot reach the recipient), by which rule and why;
    whether the MMS goes as SMS with links; and whether to store the sticky mapping."""

    sender: str | None
    rule: Rule
    detail: str
    convert_mms: bool = False
    remember: bool = False


def _phone(address: Address) -> bool:
    return address.kind is AddressKind.PHONE_NUMBER


def area_code(address: Address) -> str | None:
    """The area code of a NANP number (``+1 415 ...`` -> ``415``), else None."""
    identity = address.identity
    if _phone(address) and identity.startswith("+1") and len(identity) == 12:
        return identity[2:5]
    return None


def candidate(raw: str, kind: SenderKind, country: str = "") -> Candidate | None:
    """A pool entry as a candidate; a phone number's country comes from its number."""
    address = parse_address(raw)
    if address is None:
        return None
    if _phone(address):
        country = country_of(address) or ""
    return Candidate(address, kind, country)


# --- The channel: which senders can reach this recipient at all ------------------------------


def _on_channel(pool: Sequence[Candidate], to: Address) -> list[Candidate]:
    """The senders that can send on the recipient's channel, as addresses of that channel.

    WhatsApp: the WhatsApp channel senders; without any, the pool's phone numbers as
    ``whatsapp:`` senders (switchboard lets any number of the account send on WhatsApp).
    RCS: the RCS agents. SMS: phone numbers, short codes, alphanumeric IDs.
    """
    if to.channel is Channel.SMS:
        return [c for c in pool if c.address.channel is Channel.SMS]
    own = [c for c in pool if c.address.channel is to.channel]
    if own or to.channel is not Channel.WHATSAPP:
        return own
    return [
        Candidate(Address(Channel.WHATSAPP, c.address.identity), c.kind, c.country)
        for c in pool
        if c.kind is SenderKind.PHONE_NUMBER
    ]


# --- The rules, in order ----------------------------------------------------------------------

Found = tuple[Sequence[Candidate], str] | None  # the senders a rule found, and why
RuleCheck = Callable[[Request, Settings, Sequence[Candidate]], Found]


def _sticky(request: Request, settings: Settings, pool: Sequence[Candidate]) -> Found:
    if not settings.sticky_sender or request.sticky is None:
        return None
    found = [c for c in pool if c.value == request.sticky]
    if not found:
        return None
    kept = found[0]
    country = request.country
    if kept.kind is SenderKind.SHORT_CODE and kept.country != country:
        return None  # a short code cannot reach another country: not compliant any more
    if (
        kept.kind is SenderKind.PHONE_NUMBER
        and kept.country != country
        and any(c.country == country for c in _reachable(pool, request) if _local_kind(c))
    ):
        # A sender local to the destination now exists: mappings from international numbers
        # to that country stop (STICKY-SUP); mappings from local ones are kept.
        return None
    return [kept], f"the recipient's sticky sender ({kept.value}) is still in the pool"


def _local_kind(c: Candidate) -> bool:
    return c.kind in (SenderKind.PHONE_NUMBER, SenderKind.SHORT_CODE)


def _reachable(pool: Sequence[Candidate], request: Request) -> list[Candidate]:
    """A short code reaches only mobiles of its own country; the rest reach anyone."""
    return [
        c
        for c in pool
        if c.kind is not SenderKind.SHORT_CODE
        or (c.country == request.country and not request.handset.landline)
    ]


def _short_code(request: Request, _: Settings, pool: Sequence[Candidate]) -> Found:
    codes = [c for c in _reachable(pool, request) if c.kind is SenderKind.SHORT_CODE]
    if codes:
        return codes, f"a short code of the pool reaches {request.country} (Shortcode Reroute)"
    return None


def _alpha(kind: SenderKind) -> RuleCheck:
    def check(request: Request, settings: Settings, pool: Sequence[Candidate]) -> Found:
        country = request.country
        if request.to.channel is not Channel.SMS or country in NO_ALPHA_COUNTRIES:
            return None
        if request.mms and not settings.mms_converter:
            return None  # an alphanumeric ID cannot send the MMS, and nothing may convert it
        wanted = country if kind is SenderKind.DESTINATION_ALPHA_SENDER else ""
        if kind is SenderKind.ALPHA_SENDER:
            found = [
                c
                for c in pool
                if c.kind in (SenderKind.ALPHA_SENDER, SenderKind.DESTINATION_ALPHA_SENDER)
                and c.country == wanted
            ]
        else:
            found = [c for c in pool if c.kind is kind and c.country == wanted]
        if not found:
            return None
        scope = f"for {country}" if wanted else "for every country"
        return found, f"{country} accepts alphanumeric sender IDs; the pool has one {scope}"

    return check


def _numbers(pool: Sequence[Candidate]) -> list[Candidate]:
    return [c for c in pool if c.kind in (SenderKind.PHONE_NUMBER, SenderKind.CHANNEL_SENDER)]


def _area_code(request: Request, settings: Settings, pool: Sequence[Candidate]) -> Found:
    code = request.area_code
    if not settings.area_code_geomatch or code is None:
        return None
    found = [c for c in _numbers(pool) if c.area_code == code]
    if found:
        return found, f"a number of the pool has the recipient's area code {code}"
    nanp = [c for c in _numbers(pool) if c.country in AREA_CODE_COUNTRIES]
    if nanp:
        return nanp, f"no number has area code {code}; a US/Canada number of the pool"
    return None


def _country(request: Request, _: Settings, pool: Sequence[Candidate]) -> Found:
    country = request.country
    found = [c for c in _numbers(pool) if country and c.country == country]
    if found:
        return found, f"a number of the pool is in the recipient's country {country}"
    return None


def _us_number(request: Request, _: Settings, pool: Sequence[Candidate]) -> Found:
    found = [c for c in _numbers(pool) if c.country == "US"]
    if found:
        return found, f"no number in {request.country or 'the recipient country'}; a US number"
    return None


def _any(request: Request, _: Settings, pool: Sequence[Candidate]) -> Found:
    found = _numbers(pool)
    if found:
        return found, "no number matches the recipient's country; any number of the pool"
    return None


#: The precedence table: the first rule that finds a sender wins (docs/services.md shows it).
PRECEDENCE: Final[tuple[tuple[Rule, RuleCheck], ...]] = (
    (Rule.STICKY, _sticky),
    (Rule.SHORT_CODE, _short_code),
    (Rule.DESTINATION_ALPHA, _alpha(SenderKind.DESTINATION_ALPHA_SENDER)),
    (Rule.ALPHA, _alpha(SenderKind.ALPHA_SENDER)),
    (Rule.AREA_CODE, _area_code),
    (Rule.COUNTRY, _country),
    (Rule.US_NUMBER, _us_number),
    (Rule.ANY, _any),
)

#: Sticky mappings exist for SMS and WhatsApp only, one per channel (SPEC §7.2).
STICKY_CHANNELS: Final = frozenset({Channel.SMS, Channel.WHATSAPP})


def _spread(found: Sequence[Candidate], to: Address) -> Candidate:
    """One of several equally good senders, the same one for the same recipient."""
    ordered = sorted(found, key=lambda c: c.value)
    return ordered[zlib.crc32(to.identity.encode()) % len(ordered)]


def converts_mms(request: Request, sender: Candidate, settings: Settings) -> bool:
    """Whether an MMS goes as SMS with links to its media (MMS Converter, SPEC §18.1): the
    handset cannot take MMS, the destination has no MMS, or the sender cannot send it."""
    if not request.mms or not settings.mms_converter or request.to.channel is not Channel.SMS:
        return False
    handset = request.handset
    return (
        not handset.mms
        or handset.landline
        or request.country not in MMS_COUNTRIES
        or not sender.takes_mms
    )


#: The pool kind of a FallbackFrom sender, by its address (a phone number otherwise).
_KIND_OF: Final = {
    AddressKind.SHORT_CODE: SenderKind.SHORT_CODE,
    AddressKind.ALPHANUMERIC: SenderKind.ALPHA_SENDER,
}


def _fallback_from(request: Request, settings: Settings) -> Choice | None:
    """The request's ``FallbackFrom`` as the sender, when it named one for an SMS recipient."""
    if request.fallback_from is None or request.to.channel is not Channel.SMS:
        return None
    address = parse_address(request.fallback_from)
    if address is None:  # validated by the API when stored: cannot happen, but never guess
        return None
    sender = Candidate(address, _KIND_OF.get(address.kind, SenderKind.PHONE_NUMBER))
    why = f"RCS is not used for this recipient; the request's FallbackFrom ({sender.value})"
    convert = converts_mms(request, sender, settings)
    if convert:
        why += "; the MMS goes as SMS with links to its media (MMS Converter)"
    return Choice(sender.value, Rule.FALLBACK_FROM, why, convert)


def choose(pool: Sequence[Candidate], request: Request, settings: Settings) -> Choice:
    """The sender of ``request`` from ``pool`` under ``settings`` (see the module docstring)."""
    on_channel = _on_channel(pool, request.to)
    if request.to.channel is Channel.SMS and request.handset.rcs:
        agents = [c for c in pool if c.address.channel is Channel.RCS]
        if agents:
            agent = _spread(agents, request.to)
            why = "the pool has an RCS sender and the handset takes RCS (RCS first)"
            return Choice(agent.value, Rule.RCS, why)
    fallback = _fallback_from(request, settings)
    if fallback is not None:
        return fallback
    for rule, check in PRECEDENCE:
        found = check(request, settings, on_channel)
        if found is None:
            continue
        senders, why = found
        sender = _spread(senders, request.to)
        if rule is not Rule.SHORT_CODE and any(c.kind is SenderKind.SHORT_CODE for c in on_channel):
            why += "; the pool's short code cannot reach this recipient (fallback to long code)"
        remember = settings.sticky_sender and request.to.channel in STICKY_CHANNELS
        convert = converts_mms(request, sender, settings)
        if convert:
            why += "; the MMS goes as SMS with links to its media (MMS Converter)"
        return Choice(sender.value, rule, why, convert, remember and rule is not Rule.STICKY)
    return Choice(None, Rule.NONE, f"no sender of the pool can reach {request.to.value}")


def takes_fallback(sender: str | None, to: str) -> bool:
    """Whether a message from ``sender`` to ``to`` was an RCS-first attempt, which falls back
    to SMS/MMS when it fails: an RCS agent writing to a plain phone number (an ``rcs:``
    recipient asked for RCS alone)."""
    source, target = parse_address(sender or ""), parse_address(to)
    return (
        source is not None
        and source.channel is Channel.RCS
        and target is not None
        and target.channel is Channel.SMS
    )


def fall_back(
    pool: Sequence[Candidate], request: Request, settings: Settings, failed: str, error: int
) -> Choice:
    """The SMS/MMS sender after the RCS attempt from ``failed`` ended with ``error`` (SPEC §18.1:
    "messages that cannot go over RCS fall back automatically to SMS/MMS"): the choice the
    recipient gets when its handset cannot take RCS (``FallbackFrom``, else the precedence
    table), recorded as :data:`Rule.RCS_FALLBACK`. No sender: nothing to fall back to."""
    without_rcs = replace(request, handset=replace(request.handset, rcs=False))
    found = choose(pool, without_rcs, settings)
    if found.sender is None:
        return found
    why = (
        f"the RCS attempt from {failed} failed (error {error}); SMS/MMS instead,"
        f" by {found.rule.value}: {found.detail}"
    )
    return replace(found, rule=Rule.RCS_FALLBACK, detail=why)
