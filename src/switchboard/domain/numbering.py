"""What a phone number is: valid or not, what kind of line, and where (SPEC §1.4, §6.9).

Every answer comes from ``phonenumbers``, the Python port of Google's libphonenumber (the
numbering-plan metadata phones and carriers use), so switchboard accepts and refuses the numbers
Twilio does: ``+10005550000`` (area code 000) is no number, ``+33142685300`` is a Paris landline.

Fictional and test ranges. libphonenumber rightly calls some ranges invalid because nobody can
own a number in them; that is exactly why documentation, films and test suites use them, so
refusing them would break every example. :data:`FICTIONAL_RANGES` lists them explicitly; a
number in one is valid, a mobile, in the range's country, with no city. Validation stays on for
everything else.

Geography (``FromCity``/``FromState``/``FromCountry``) comes from libphonenumber's geocoder:
the country is the number's region; the city and state come from its English description of
the number's area ("San Francisco, CA", "Ontario", "Paris"). For the US and Canada that text is
split into an upper-case city and a two-letter state; a description naming only a state or
province gives the state alone; elsewhere a description other than the country's name is the
city. libphonenumber has no postal codes, so the ZIP is always empty: SPEC §1.4 says Twilio sends
the key with an empty value when its lookup found nothing, which is what an app must handle
anyway, and an invented ZIP would be wrong for most numbers of an area code.

Cost (phonenumbers 9.0, measured on the 2-core development machine): importing the library takes
about 20-40 ms and loads each country's metadata on first use; the geocoder's data, every
language's place names, takes 0.6-0.7 s and about 100 MB to load. It is therefore imported on
the first lookup that needs a city (fictional numbers and non-geographic lines never do), and
every lookup is memoised, since parsing a number costs about 70 µs and describing it 170 µs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType


class LineType(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    #: libphonenumber cannot tell NANP mobiles from landlines: both live in every area code.
    FIXED_OR_MOBILE = "fixed_or_mobile"
    TOLL_FREE = "toll_free"
    OTHER = "other"  # VoIP, personal numbers, pagers, premium rate, shared cost, ...


_LINE_TYPES: Final = MappingProxyType(
    {
        PhoneNumberType.MOBILE: LineType.MOBILE,
        PhoneNumberType.FIXED_LINE: LineType.LANDLINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE: LineType.FIXED_OR_MOBILE,
        PhoneNumberType.TOLL_FREE: LineType.TOLL_FREE,
    }
)


@dataclass(frozen=True, slots=True)
class FictionalRange:
    """Numbers ``prefix`` followed by digits up to ``length`` characters (``+`` included)."""

    prefix: str
    length: int
    country: str
    why: str

    def __contains__(self, e164: str) -> bool:
        return len(e164) == self.length and e164.startswith(self.prefix)


#: Ranges reserved for fiction and testing, accepted although libphonenumber calls them invalid
#: (docs/api.md, "Phone numbers", lists them for users).
FICTIONAL_RANGES: Final = (
    FictionalRange(
        "+1555", 12, "US", "NANP area code 555: the fictional numbers of films, docs and tests"
    ),
    FictionalRange("+1500555", 12, "US", "Twilio's test-credential magic numbers"),
    FictionalRange("+447700900", 13, "GB", "Ofcom's drama range for mobiles, 07700 900xxx"),
)


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """A valid number: canonical E.164, ISO 3166 alpha-2 country ('' for non-geographic
    services such as +800), kind of line, and whether it is in a fictional range."""

    e164: str
    country: str
    line: LineType
    fictional: bool = False


# Pure and immutable, called on every address parse of a new spelling: memoised.
@lru_cache(maxsize=8192)
def lookup(e164: str) -> NumberInfo | None:
    """Facts about ``+<digits>``, or None when it is not a valid number anywhere."""
    for fictional in FICTIONAL_RANGES:
        if e164 in fictional:
            return NumberInfo(e164, fictional.country, LineType.MOBILE, fictional=True)
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    region = phonenumbers.region_code_for_number(parsed) or ""
    return NumberInfo(
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        country="" if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY else region,
        line=_LINE_TYPES.get(phonenumbers.number_type(parsed), LineType.OTHER),
    )


@dataclass(frozen=True, slots=True)
class Geo:
    """Webhook geography: upper-case city, two-letter state, ZIP, ISO 3166 alpha-2 country."""

    city: str
    state: str
    zip: str
    country: str


#: The geocoder's state- and province-level descriptions in the US and Canada (used where it
#: knows no city), with their USPS and Canada Post codes. Includes its own spellings.
STATE_CODES: Final = MappingProxyType(
    {
        "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
        "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
        "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
        "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
        "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
        "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
        "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
        "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
        "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
        "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
        "Virginia": "VA", "Washington": "WA", "Washington State": "WA", "West Virginia": "WV",
        "Wisconsin": "WI", "Wyoming": "WY", "Washington D.C.": "DC",
        "District of Columbia": "DC", "Alberta": "AB", "British Columbia": "BC",
        "British Colombia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
        "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON",
        "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
        "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
    }
)  # fmt: skip

_CITY_STATE_RE: Final = re.compile(r"(.+), ([A-Z]{2})")
_STATE_COUNTRIES: Final = frozenset({"US", "CA"})


@lru_cache(maxsize=8192)
def locate(e164: str) -> Geo | None:
    """The webhook geography of a number, or None when it is invalid or has no country."""
    info = lookup(e164)
    if info is None or not info.country:
        return None
    if info.fictional:
        return Geo("", "", "", info.country)
    description, country_name = _describe(info.e164)
    city, state = _place(info.country, description, country_name)
    return Geo(city.upper(), state, "", info.country)


def load_geocoder() -> None:
    """Load the geocoder's data now (a server calls this before it serves, so that no webhook
    waits for the load; the import is the cost, done once per process)."""
    from phonenumbers import geocoder  # noqa: F401


def _describe(e164: str) -> tuple[str, str]:
    """The geocoder's English description of the number's area, and of its country."""
    # Imported on first use: its data costs 0.6 s and 100 MB (module docstring).
    from phonenumbers import geocoder

    parsed = phonenumbers.parse(e164, None)
    return (
        geocoder.description_for_number(parsed, "en"),
        geocoder.country_name_for_number(parsed, "en"),
    )


def _place(country: str, description: str, country_name: str) -> tuple[str, str]:
    """(city, state) from a geocoder description."""
    if not description or description == country_name:
        return "", ""
    if country not in _STATE_COUNTRIES:
        return description, ""
    if (match := _CITY_STATE_RE.fullmatch(description)) is not None:
        return match[1], match[2]
    # A state or province alone; a few descriptions name several, which fit no one code.
    return "", STATE_CODES.get(description, "")
