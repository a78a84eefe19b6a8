"""The sender-selection rule on its own (domain/senders.py): each rule and their precedence."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from switchboard.domain.models import SenderKind
from switchboard.domain.phone import parse_address
from switchboard.domain.senders import (
    LANDLINE,
    Candidate,
    Handset,
    Request,
    Rule,
    Settings,
    candidate,
    choose,
    fall_back,
    handset_of,
    takes_fallback,
)

K = SenderKind


def pool(*entries: tuple[str, SenderKind, str] | str) -> list[Candidate]:
    made = []
    for entry in entries:
        raw, kind, country = (entry, K.PHONE_NUMBER, "") if isinstance(entry, str) else entry
        found = candidate(raw, kind, country)
        assert found is not None, entry
        made.append(found)
    return made


def request(to: str, **more: object) -> Request:
    address = parse_address(to)
    assert address is not None
    return Request(address, **more)  # type: ignore[arg-type]


US_415, US_212, GB = "+14155550100", "+12125550100", "+447700900123"
SHORT = ("55555", K.SHORT_CODE, "US")
ALPHA = ("Acme", K.ALPHA_SENDER, "")
ALPHA_FR = ("AcmeFR", K.DESTINATION_ALPHA_SENDER, "FR")
RCS = ("rcs:acme_agent", K.CHANNEL_SENDER, "")
WHATSAPP = ("whatsapp:+14155550111", K.CHANNEL_SENDER, "US")


@dataclass(frozen=True)
class Case:
    name: str
    pool: tuple[tuple[str, SenderKind, str] | str, ...]
    to: str
    sender: str | None
    rule: Rule
    sticky: str | None = None
    handset: Handset = field(default_factory=Handset)
    mms: bool = False
    settings: Settings = field(default_factory=Settings)
    convert: bool = False
    fallback_from: str | None = None


CASES = [
    Case("area code", (US_212, US_415, GB), "+14155550199", US_415, Rule.AREA_CODE),
    Case("NANP without the area code", (GB, US_212), "+13105550199", US_212, Rule.AREA_CODE),
    Case("country", (US_415, GB), "+447700900456", GB, Rule.COUNTRY),
    Case("US number abroad", (US_415,), "+447700900456", US_415, Rule.US_NUMBER),
    Case("any number", (GB,), "+33612345678", GB, Rule.ANY),
    Case("sticky beats area code", (US_212, US_415), "+14155550199", US_212, Rule.STICKY,
         sticky=US_212),
    Case("sticky gone from the pool", (US_415,), "+14155550199", US_415, Rule.AREA_CODE,
         sticky=US_212),
    Case("sticky off ignores the mapping", (US_212, US_415), "+14155550199", US_415,
         Rule.AREA_CODE, sticky=US_212, settings=Settings(sticky_sender=False)),
    Case("international sticky broken by a local sender", (US_415, GB), "+447700900456", GB,
         Rule.COUNTRY, sticky=US_415),
    Case("local sticky kept", (US_415, US_212), "+14155550199", US_212, Rule.STICKY,
         sticky=US_212),
    Case("short code first", (US_415, SHORT), "+14155550199", "55555", Rule.SHORT_CODE),
    Case("short code cannot reach GB", (GB, SHORT), "+447700900456", GB, Rule.COUNTRY),
    Case("short code cannot reach a landline", (US_415, SHORT), "+14155550199", US_415,
         Rule.AREA_CODE, handset=LANDLINE),
    Case("alpha abroad", (US_415, ALPHA), "+4915112345678", "Acme", Rule.ALPHA),
    Case("no alpha to the US", (US_415, ALPHA), "+14155550199", US_415, Rule.AREA_CODE),
    Case("destination alpha beats the default", (ALPHA, ALPHA_FR, GB), "+33612345678", "AcmeFR",
         Rule.DESTINATION_ALPHA),
    Case("destination alpha is for its country only", (ALPHA_FR, GB), "+447700900456", GB,
         Rule.COUNTRY),
    Case("alpha beats a local number", (GB, ALPHA), "+447700900456", "Acme", Rule.ALPHA),
    Case("MMS by alpha is converted", (GB, ALPHA), "+447700900456", "Acme", Rule.ALPHA,
         mms=True, convert=True),
    Case("MMS without the converter skips alpha", (GB, ALPHA), "+447700900456", GB, Rule.COUNTRY,
         mms=True, settings=Settings(mms_converter=False)),
    Case("MMS to a landline is converted", (US_415,), "+14155550199", US_415, Rule.AREA_CODE,
         mms=True, handset=LANDLINE, convert=True),
    Case("MMS to a mobile is not", (US_415,), "+14155550199", US_415, Rule.AREA_CODE, mms=True),
    Case("MMS abroad is converted", (GB,), "+447700900456", GB, Rule.COUNTRY, mms=True,
         convert=True),
    Case("RCS first", (US_415, RCS), "+14155550199", "rcs:acme_agent", Rule.RCS),
    Case("no RCS on this handset", (US_415, RCS), "+14155550199", US_415, Rule.AREA_CODE,
         handset=Handset(rcs=False)),
    Case("WhatsApp sender", (US_415, WHATSAPP), "whatsapp:+14155550199",
         "whatsapp:+14155550111", Rule.AREA_CODE),
    Case("WhatsApp from a pool number", (US_415,), "whatsapp:+14155550199",
         "whatsapp:+14155550100", Rule.AREA_CODE),
    Case("no SMS sender for an RCS-only pool", (RCS,), "+14155550199", "rcs:acme_agent",
         Rule.RCS),
    Case("nothing reaches", (ALPHA,), "+14155550199", None, Rule.NONE),
    # FallbackFrom: the request's SMS/MMS sender whenever RCS is not used.
    Case("RCS first beats FallbackFrom", (US_415, RCS), "+14155550199", "rcs:acme_agent",
         Rule.RCS, fallback_from=US_212),
    Case("FallbackFrom when the handset cannot take RCS", (US_415, RCS), "+14155550199", US_212,
         Rule.FALLBACK_FROM, handset=Handset(rcs=False), fallback_from=US_212),
    Case("FallbackFrom beats a sticky mapping", (US_415, RCS), "+14155550199", "55555",
         Rule.FALLBACK_FROM, handset=Handset(rcs=False), sticky=US_415, fallback_from="55555"),
    Case("FallbackFrom alpha converts an MMS", (US_415, RCS), "+447700900456", "Acme",
         Rule.FALLBACK_FROM, handset=Handset(rcs=False), mms=True, fallback_from="Acme",
         convert=True),
    Case("FallbackFrom is for phone recipients only", (WHATSAPP, RCS), "whatsapp:+14155550199",
         "whatsapp:+14155550111", Rule.AREA_CODE, fallback_from=US_212),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_precedence_table(case: Case) -> None:
    wanted = request(
        case.to,
        sticky=case.sticky,
        handset=case.handset,
        mms=case.mms,
        fallback_from=case.fallback_from,
    )
    choice = choose(pool(*case.pool), wanted, case.settings)
    assert (choice.sender, choice.rule) == (case.sender, case.rule), choice.detail
    assert choice.convert_mms is case.convert
    assert choice.detail


def test_the_mapping_is_remembered_for_sms_and_whatsapp_only() -> None:
    fresh = choose(pool(US_415), request("+14155550199"), Settings())
    assert fresh.remember
    kept = choose(pool(US_415), request("+14155550199", sticky=US_415), Settings())
    assert kept.rule is Rule.STICKY
    assert not kept.remember
    assert not choose(pool(US_415), request("+14155550199"), Settings(sticky_sender=False)).remember
    assert not choose(pool(RCS), request("rcs:+14155550199"), Settings()).remember


def test_equal_senders_share_the_work_by_recipient() -> None:
    senders = pool(US_212, US_415)
    chosen = {
        choose(senders, request(f"+1310555{n:04d}"), Settings()).sender for n in range(100, 140)
    }
    assert chosen == {US_212, US_415}
    again = choose(senders, request("+13105550123"), Settings()).sender
    assert again == choose(list(reversed(senders)), request("+13105550123"), Settings()).sender


def test_the_number_tells_the_handset() -> None:
    landline = parse_address("+442079460000")  # a London fixed line
    mobile = parse_address("+447700900123")
    assert landline is not None
    assert mobile is not None
    assert handset_of(landline) == LANDLINE
    assert handset_of(mobile) == Handset()


@dataclass(frozen=True)
class Fallback:
    name: str
    pool: tuple[tuple[str, SenderKind, str] | str, ...]
    sender: str | None
    detail: str  # what the recorded decision says besides the failure
    fallback_from: str | None = None
    sticky: str | None = None
    mms: bool = False
    convert: bool = False


FALLBACKS = [
    Fallback("the pool's rules without RCS", (US_212, US_415, RCS), US_415, "area_code_geomatch"),
    Fallback("a short code first", (US_415, SHORT, RCS), "55555", "short_code"),
    Fallback("the SMS sticky mapping", (US_212, US_415, RCS), US_212, "sticky_sender",
             sticky=US_212),
    Fallback("FallbackFrom over the pool", (US_415, RCS), "Acme", "fallback_from",
             fallback_from="Acme"),
    Fallback("an MMS by an alpha goes as SMS", (US_415, RCS), "Acme", "MMS Converter",
             fallback_from="Acme", mms=True, convert=True),
    Fallback("nothing to fall back to", (RCS,), None, ""),
]  # fmt: skip


@pytest.mark.parametrize("case", FALLBACKS, ids=lambda c: c.name)
def test_an_rcs_failure_falls_back_to_sms(case: Fallback) -> None:
    wanted = request(
        "+14155550199", fallback_from=case.fallback_from, sticky=case.sticky, mms=case.mms
    )
    choice = fall_back(pool(*case.pool), wanted, Settings(), "rcs:acme_agent", 30003)
    assert choice.sender == case.sender, choice.detail
    if case.sender is None:
        assert choice.rule is Rule.NONE
        return
    assert choice.rule is Rule.RCS_FALLBACK
    assert choice.detail.startswith("the RCS attempt from rcs:acme_agent failed (error 30003)")
    assert case.detail in choice.detail
    assert choice.convert_mms is case.convert


def test_only_an_rcs_agent_writing_to_a_phone_number_falls_back() -> None:
    assert takes_fallback("rcs:acme_agent", "+14155550199")
    assert not takes_fallback("rcs:acme_agent", "rcs:+14155550199")  # RCS alone was asked
    assert not takes_fallback(US_415, "+14155550199")
    assert not takes_fallback(None, "+14155550199")
