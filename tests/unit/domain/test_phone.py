from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.domain.errors import TwilioError
from switchboard.domain.phone import (
    CALLING_CODES,
    CANADIAN_AREA_CODES,
    OTHER_NANP_AREA_CODES,
    SEND_ONLY_KINDS,
    US_AREA_CODES,
    Address,
    AddressKind,
    Channel,
    Geo,
    calling_code,
    country_of,
    geo_lookup,
    is_short_code,
    normalize_e164,
    parse_address,
    parse_from,
    parse_to,
)

# No example database: the tests must not write files into the working tree.
quick = settings(database=None, deadline=None, max_examples=200)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+1.415.555.0100", "+14155550100"),
        ("  +44 7700 900123 ", "+447700900123"),
        ("14155550100", "+14155550100"),  # bare, but 11 digits with a known code
        (" 14155550100", "+14155550100"),  # '+' sent unencoded in a form body
        ("447700900123", "+447700900123"),
        ("+6834001", "+6834001"),  # Niue: 7 digits is the shortest real plan
        ("+123456789012345", None),  # 15 digits but +1 must be 1 + 10
        ("+861234567890123", "+861234567890123"),  # 15 digits
        ("+8612345678901234", None),  # 16 digits
        ("+683400", None),  # 6 digits
        ("4155550100", None),  # national number: no guessing the country
        ("99912345678", None),  # bare digits with an unknown calling code
        ("+0441234567", None),
        ("+1415555010", None),  # NANP with 9 digits
        ("+141555501000", None),  # NANP with 11 digits
        ("++14155550100", None),
        ("+1415555O100", None),  # letter O
        ("+1415555٠١٠٠", None),  # Arabic-Indic digits are not ASCII digits
        ("1-415-555-0100 x12", None),
        ("", None),
        ("+", None),
        ("12345", None),  # a short code is not E.164
    ],
)
def test_normalize_e164(raw: str, expected: str | None) -> None:
    assert normalize_e164(raw) == expected


@quick
@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_normalize_e164_is_idempotent(raw: str) -> None:
    once = normalize_e164(raw)
    if raw.startswith("+1"):
        assert (once is not None) == (len(raw) == 12)
    else:
        assert once == raw
    if once is not None:
        assert normalize_e164(once) == once
        formatted = f" {once[:3]} ({once[3:6]}) {once[6:9]}-{once[9:]} "
        assert normalize_e164(formatted) == once


@pytest.mark.parametrize(
    ("raw", "channel", "identity", "kind", "value"),
    [
        ("+14155550100", Channel.SMS, "+14155550100", AddressKind.PHONE_NUMBER, "+14155550100"),
        ("+1 415 555 0100", Channel.SMS, "+14155550100", AddressKind.PHONE_NUMBER, "+14155550100"),
        ("12345", Channel.SMS, "12345", AddressKind.SHORT_CODE, "12345"),
        ("123456", Channel.SMS, "123456", AddressKind.SHORT_CODE, "123456"),
        ("Acme", Channel.SMS, "Acme", AddressKind.ALPHANUMERIC, "Acme"),
        (" Acme Inc 1 ", Channel.SMS, "Acme Inc 1", AddressKind.ALPHANUMERIC, "Acme Inc 1"),
        ("A", Channel.SMS, "A", AddressKind.ALPHANUMERIC, "A"),
        ("whatsapp:+14155550100", Channel.WHATSAPP, "+14155550100", AddressKind.PHONE_NUMBER,
         "whatsapp:+14155550100"),
        ("WhatsApp: 14155550100", Channel.WHATSAPP, "+14155550100", AddressKind.PHONE_NUMBER,
         "whatsapp:+14155550100"),
        ("rcs:+14155550100", Channel.RCS, "+14155550100", AddressKind.PHONE_NUMBER,
         "rcs:+14155550100"),
        ("rcs:brand_xyz_agent", Channel.RCS, "brand_xyz_agent", AddressKind.SENDER_ID,
         "rcs:brand_xyz_agent"),
        ("messenger:1234567890123456", Channel.MESSENGER, "1234567890123456",
         AddressKind.PLATFORM_ID, "messenger:1234567890123456"),
    ],
)  # fmt: skip
def test_parse_address(
    raw: str, channel: Channel, identity: str, kind: AddressKind, value: str
) -> None:
    address = parse_address(raw)
    assert address is not None
    assert address == Address(channel, identity)
    assert address.kind is kind
    assert address.value == value == str(address)
    assert address.is_phone_number == (kind is AddressKind.PHONE_NUMBER)
    assert address.is_short_code == (kind is AddressKind.SHORT_CODE)
    assert parse_address(address.value) == address


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "1234",  # too short for a short code
        "1234567",  # neither short code nor E.164
        "4155550100",
        "Acme Company Ltd",  # 16 characters: too long for a sender ID
        "12345 678",  # no letter: not a sender ID
        "Acme-Inc",  # '-' is not allowed in a sender ID
        "whatsapp:",
        "whatsapp:Acme",  # WhatsApp is phone numbers only
        "whatsapp:12345",
        "rcs:",
        "rcs:_agent",  # an agent id starts with a letter
        "rcs:1234",
        "messenger:+14155550100",
        "messenger:page",
        "sms:+14155550100",  # SMS has no prefix
        "fax:+14155550100",
        "tel:+14155550100",
    ],
)
def test_parse_address_rejects(raw: str) -> None:
    assert parse_address(raw) is None


@pytest.mark.parametrize(
    ("channel", "identity"),
    [
        (Channel.SMS, "+1 415 555 0100"),
        (Channel.SMS, " Acme"),
        (Channel.WHATSAPP, "whatsapp:+14155550100"),
        (Channel.WHATSAPP, "12345"),
        (Channel.MESSENGER, "+14155550100"),
        (Channel.RCS, "Acme Inc"),
    ],
)
def test_address_rejects_non_canonical_identities(channel: Channel, identity: str) -> None:
    with pytest.raises(ValueError, match="not a canonical"):
        Address(channel, identity)


def test_address_accepts_the_channel_as_text() -> None:
    address = Address("whatsapp", "+14155550100")  # type: ignore[arg-type]
    assert address.channel is Channel.WHATSAPP
    assert address == parse_address("whatsapp:+14155550100")


def test_read_receipt_channels() -> None:
    assert {c for c in Channel if c.supports_read_receipts} == {Channel.WHATSAPP, Channel.RCS}


@pytest.mark.parametrize(("raw", "expected"), [("12345", True), (" 654321 ", True),
                                               ("1234", False), ("1234567", False),
                                               ("+12345", False), ("12 345", False)])  # fmt: skip
def test_is_short_code(raw: str, expected: bool) -> None:
    assert is_short_code(raw) is expected


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_parse_to_missing(raw: str | None) -> None:
    with pytest.raises(TwilioError) as info:
        parse_to(raw)
    assert info.value.code == 21604
    assert info.value.message == "A 'To' phone number is required."


@pytest.mark.parametrize("raw", ["4155550100", "Acme", "rcs:brand_agent", "whatsapp:nope"])
def test_parse_to_invalid(raw: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_to(raw)
    assert info.value.code == 21211
    assert info.value.http_status == 400
    assert info.value.message == f"The 'To' number {raw} is not a valid phone number."


@pytest.mark.parametrize(
    "raw", ["+14155550100", "whatsapp:+14155550100", "rcs:+14155550100", "12345", "messenger:42"]
)
def test_parse_to_valid(raw: str) -> None:
    assert parse_to(raw) == parse_address(raw)


@pytest.mark.parametrize(
    "raw",
    ["+14155550100", "Acme", "12345", "whatsapp:+14155550100", "rcs:brand_agent", "messenger:42"],
)
def test_parse_from_valid(raw: str) -> None:
    assert parse_from(raw) == parse_address(raw)


@pytest.mark.parametrize("raw", ["4155550100", "Acme-Inc", "whatsapp:Acme", "+1415"])
def test_parse_from_invalid(raw: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_from(raw)
    assert info.value.code == 21212
    assert info.value.message == (
        f"The 'From' number {raw} is not a valid phone number, shortcode, "
        "or alphanumeric sender ID."
    )


@pytest.mark.parametrize("raw", [None, ""])
def test_parse_from_missing(raw: str | None) -> None:
    with pytest.raises(TwilioError) as info:
        parse_from(raw)
    assert info.value.code == 21603


@quick
@given(st.text(max_size=40))
def test_parsers_never_crash(raw: str) -> None:
    address = parse_address(raw)
    if address is not None:
        assert parse_address(address.value) == address
    blank = not raw.strip()
    to_code = 21604 if blank else 21211
    if not blank and address is not None and address.kind not in SEND_ONLY_KINDS:
        assert parse_to(raw) == address
    else:
        with pytest.raises(TwilioError) as info:
            parse_to(raw)
        assert info.value.code == to_code
    if address is not None:
        assert parse_from(raw) == address
    else:
        with pytest.raises(TwilioError) as info:
            parse_from(raw)
        assert info.value.code == (21603 if blank else 21212)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+14155551234", Geo("SAN FRANCISCO", "CA", "94105", "US")),
        ("whatsapp:+12125550100", Geo("NEW YORK", "NY", "10001", "US")),
        ("+16175550100", Geo("BOSTON", "MA", "02108", "US")),
        ("+15005550006", Geo("", "", "", "US")),  # Twilio test number
        ("+15555550100", Geo("", "", "", "US")),  # fictional 555
        ("+18005550100", Geo("", "", "", "US")),  # toll-free
        ("+14165550100", Geo("", "", "", "CA")),
        ("+16045550100", Geo("", "", "", "CA")),
        ("+18765550100", Geo("", "", "", "JM")),
        ("+17875550100", Geo("", "", "", "PR")),
        ("+447700900123", Geo("", "", "", "GB")),
        ("+353871234567", Geo("", "", "", "IE")),
        ("+74951234567", Geo("", "", "", "RU")),
        ("+77011234567", Geo("", "", "", "KZ")),
        ("+85212345678", Geo("", "", "", "HK")),
        ("+97150123456", Geo("", "", "", "AE")),
        ("+99912345678", None),  # unassigned calling code
        ("12345", None),  # short code
        ("Acme", None),
        ("rcs:brand_agent", None),
        ("messenger:42", None),
    ],
)
def test_geo_lookup(raw: str, expected: Geo | None) -> None:
    address = parse_address(raw)
    assert address is not None
    assert geo_lookup(address) == expected
    assert country_of(address) == (None if expected is None else expected.country)


def test_geo_tables_are_well_formed() -> None:
    assert all(len(code) <= 3 and code[0] != "0" for code in CALLING_CODES)
    assert all(len(iso) == 2 and iso.isupper() for iso in CALLING_CODES.values())
    assert all(len(iso) == 2 for iso in OTHER_NANP_AREA_CODES.values())
    nanp_tables = [set(US_AREA_CODES), set(CANADIAN_AREA_CODES), set(OTHER_NANP_AREA_CODES)]
    assert sum(len(t) for t in nanp_tables) == len(set().union(*nanp_tables))  # disjoint
    for area, geo in US_AREA_CODES.items():
        assert len(area) == 3
        assert geo.city == geo.city.upper()
        assert len(geo.state) == 2
        assert len(geo.zip) == 5
        assert geo.zip.isdigit()
        assert geo.country == "US"


@pytest.mark.parametrize(
    ("number", "code"),
    [("+14155550100", "1"), ("+77011234567", "77"), ("+74951234567", "7"),
     ("+353871234567", "353"), ("+99912345678", None), ("447700900123", "44")],
)  # fmt: skip
def test_calling_code_longest_prefix(number: str, code: str | None) -> None:
    assert calling_code(number) == code
