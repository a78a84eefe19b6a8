"""Twilio's magic test numbers, honoured on every account (Twilio: test credentials).

``From`` +15005550006 is a valid sender nobody has to own; the other magic numbers fail at
create with the error Twilio's test credentials give, and so do the magic numbers and area code
of a number purchase. Documented in docs/carrier.md and docs/api.md.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

VALID_FROM: Final = "+15005550006"

FROM_ERRORS: Final = MappingProxyType(
    {
        "+15005550001": 21212,  # invalid sender
        "+15005550007": 21606,  # not owned by the account
        "+15005550008": 21611,  # the sender's queue is full
    }
)

TO_ERRORS: Final = MappingProxyType(
    {
        "+15005550001": 21211,  # invalid number
        "+15005550002": 21612,  # cannot be routed
        "+15005550003": 21408,  # no permission for the region
        "+15005550004": 21610,  # blocked (opted out)
        "+15005550009": 21614,  # cannot receive SMS
    }
)


# Number purchase (POST IncomingPhoneNumbers) with Twilio's test credentials (SPEC §21.2).
PURCHASE_ERRORS: Final = MappingProxyType(
    {
        "+15005550000": 21422,  # the number is not available
        "+15005550001": 21421,  # the number is invalid
    }
)
AREA_CODE_ERRORS: Final = MappingProxyType({"533": 21452})  # no numbers in that area code


def purchase_error(e164: str) -> int | None:
    return PURCHASE_ERRORS.get(e164)


def area_code_error(area_code: str) -> int | None:
    return AREA_CODE_ERRORS.get(area_code)


def from_error(e164: str) -> int | None:
    return FROM_ERRORS.get(e164)


def to_error(e164: str) -> int | None:
    return TO_ERRORS.get(e164)
