from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.domain.errors import TwilioError
from switchboard.domain.numbering import FICTIONAL_RANGES, LineType
from switchboard.domain.phone import (
    SEND_ONLY_KINDS,
    Address,
    AddressKind,
    Channel,
    Geo,
    country_of,
    geo_lookup,
    is_short_code,
    line_type,
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
        ("+8613812345678", "+8613812345678"),  # a Chinese mobile: 13 digits
        ("+861234567890123", None),  # 15 digits, but no Chinese number is that long
        ("+8612345678901234", None),  # 16 digits
        ("+10005550000", None),  # area code 000 does not exist
        ("+19995550100", None),  # nor does 999
        ("+12345678901", "+12345678901"),  # 234 is an Ohio area code
        ("+4402079460123", "+442079460123"),  # the national 0 after +44 is dropped
        ("+1 1 415 555 0100", "+14155550100"),  # and so is NANP's trunk 1 after +1
        ("+115002000000", "+15002000000"),  # (found by the property test below)
        ("+1114155550100", None),  # but only one
        ("+683400", None),  # 6 digits
        ("4155550100", None),  # national number: no guessing the country
        ("99912345678", None),  # bare digits with an unknown calling code
        ("+99912345678", None),
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
        # NANP numbers are always 1 + 10 digits; a trunk 1 written after the +1 is dropped,
        # as +44's 0 is.
        national = raw[3:] if raw.startswith("+11") else raw[2:]
        if len(national) != 10:
            assert once is None
    if once is not None:
        assert normalize_e164(once) == once
        formatted = f" {once[:3]} ({once[3:6]}) {once[6:9]}-{once[9:]} "
        assert normalize_e164(formatted) == once
        assert parse_address(once) == Address(Channel.SMS, once)


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


@pytest.mark.parametrize(
    "raw",
    [
        "4155550100",
        "Acme",
        "rcs:brand_agent",
        "whatsapp:nope",
        "+10005550000",  # area code 000 (issue 13: was accepted and delivered)
        "12345",  # a short code sends but is not a 'To' (issue 13)
        "123456",
        "+19995550100",  # unassigned area code
        "whatsapp:+10005550000",
        "+1555555010",  # the fictional ranges still need a whole number's digits
        "+4477009001234",
    ],
)
def test_parse_to_invalid(raw: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_to(raw)
    assert info.value.code == 21211
    assert info.value.http_status == 400
    assert info.value.message == f"The 'To' number {raw} is not a valid phone number."


#: Numbers a 'To' accepts: real ones of every line type that takes SMS, and the fictional ranges.
VALID_TO = [
    "+14155550100",  # a San Francisco number (NANP: mobile and landline look alike)
    "+14155550199",  # the 555-01xx block of a real area code is fictional but valid
    "+18005550100",  # toll-free numbers take SMS
    "+33612345678",  # a French mobile
    "+447400123456",  # a UK mobile
    "+15555550100",  # fictional area code 555 (docs, tests)
    "+15558675310",
    "+15005550006",  # Twilio's test-credential numbers
    "+15005550001",  # (its magic errors are the carrier's: carrier/magic.py)
    "+447700900123",  # Ofcom's drama range
    "whatsapp:+14155550100",
    "whatsapp:+33142685300",  # WhatsApp Business runs on landlines too
    "rcs:+14155550100",
    "messenger:42",
]


@pytest.mark.parametrize("raw", VALID_TO)
def test_parse_to_valid(raw: str) -> None:
    assert parse_to(raw) == parse_address(raw)


@pytest.mark.parametrize("raw", ["+33142685300", "+442079460123", "+4930123456"])
def test_parse_to_landline_is_21614(raw: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_to(raw)
    assert info.value.code == 21614
    assert info.value.http_status == 400
    assert info.value.message == f"The 'To' number {raw} is not a valid mobile number."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+447400123456", LineType.MOBILE),
        ("+33142685300", LineType.LANDLINE),
        ("+14155550100", LineType.FIXED_OR_MOBILE),
        ("+18005550100", LineType.TOLL_FREE),
        ("+18885550100", LineType.TOLL_FREE),
        ("+15555550100", LineType.MOBILE),  # fictional numbers count as mobiles
        ("+15005550006", LineType.MOBILE),
        ("whatsapp:+33612345678", LineType.MOBILE),
        ("12345", None),
        ("Acme", None),
        ("messenger:42", None),
    ],
)
def test_line_type(raw: str, expected: LineType | None) -> None:
    address = parse_address(raw)
    assert address is not None
    assert line_type(address) is expected


def test_fictional_ranges_are_invalid_for_libphonenumber_but_accepted() -> None:
    # The allowance list is for ranges the library refuses (or that must never change meaning).
    for fictional in FICTIONAL_RANGES:
        sample = fictional.prefix + "0" * (fictional.length - len(fictional.prefix) - 3) + "123"
        assert len(sample) == fictional.length
        assert normalize_e164(sample) == sample
        assert normalize_e164(sample + "4") is None


@pytest.mark.parametrize(
    "raw",
    ["+14155550100", "Acme", "12345", "whatsapp:+14155550100", "rcs:brand_agent", "messenger:42"],
)
def test_parse_from_valid(raw: str) -> None:
    assert parse_from(raw) == parse_address(raw)


@pytest.mark.parametrize(
    "raw", ["4155550100", "Acme-Inc", "whatsapp:Acme", "+1415", "+10005550000", "+19995550100"]
)
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


RECEIVING_KINDS = set(AddressKind) - SEND_ONLY_KINDS - {AddressKind.SHORT_CODE}


@quick
@given(st.text(max_size=40))
def test_parsers_never_crash(raw: str) -> None:
    address = parse_address(raw)
    if address is not None:
        assert parse_address(address.value) == address
    blank = not raw.strip()
    to_code = 21604 if blank else 21211
    receives = address is not None and address.kind in RECEIVING_KINDS
    if not blank and receives and line_type(address) is not LineType.LANDLINE:
        assert parse_to(raw) == address
    else:
        with pytest.raises(TwilioError) as info:
            parse_to(raw)
        assert info.value.code in ((to_code, 21614) if receives else (to_code,))
    if address is not None:
        assert parse_from(raw) == address
    else:
        with pytest.raises(TwilioError) as info:
            parse_from(raw)
        assert info.value.code == (21603 if blank else 21212)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Where libphonenumber's geocoder names a city, it is the city (upper case) and state.
        ("+14155551234", Geo("SAN FRANCISCO", "CA", "", "US")),
        ("whatsapp:+12125550100", Geo("NEW YORK", "NY", "", "US")),
        ("+16502530000", Geo("MOUNTAIN VIEW", "CA", "", "US")),
        # A state- or province-level description gives the state alone.
        ("+16175550100", Geo("", "MA", "", "US")),
        ("+12025550123", Geo("", "DC", "", "US")),
        ("+14165550100", Geo("", "ON", "", "CA")),
        ("+16045550100", Geo("", "BC", "", "CA")),
        # Other countries: the place when it is more than the country's name.
        ("+33142685300", Geo("PARIS", "", "", "FR")),
        ("+442079460123", Geo("LONDON", "", "", "GB")),
        ("+33612345678", Geo("", "", "", "FR")),  # mobiles have no place
        ("+447400123456", Geo("", "", "", "GB")),
        ("+18765550100", Geo("", "", "", "JM")),
        ("+17875550100", Geo("", "", "", "PR")),
        ("+353871234567", Geo("", "", "", "IE")),
        ("+77011234567", Geo("", "", "", "KZ")),
        ("+74951234567", Geo("MOSCOW", "", "", "RU")),
        ("+85251234567", Geo("", "", "", "HK")),
        ("+971501234567", Geo("", "", "", "AE")),
        ("+18005550100", Geo("", "", "", "US")),  # toll-free
        # Fictional and test ranges: the country only.
        ("+15005550006", Geo("", "", "", "US")),
        ("+15555550100", Geo("", "", "", "US")),
        ("+447700900123", Geo("", "", "", "GB")),
        ("+80012345678", None),  # a non-geographic service (+800): no country
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
