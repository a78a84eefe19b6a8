"""IncomingPhoneNumbers: the numbers an account owns and where their messages go.

Any E.164 number may be claimed (this is a simulator); a number belongs to one account only,
since an inbound message must route to exactly one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from switchboard.carrier import magic
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account, PhoneNumber
from switchboard.domain.phone import normalize_e164
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest, StoreConflict
from switchboard.services.runtime import Runtime

METHODS = frozenset({"GET", "POST"})

# Request parameter -> record field, for the settable webhook configuration.
URL_FIELDS = {
    "SmsUrl": "sms_url",
    "SmsFallbackUrl": "sms_fallback_url",
    "StatusCallback": "status_callback",
    "SmsApplicationSid": "sms_application_sid",
    "FriendlyName": "friendly_name",
}
METHOD_FIELDS = {
    "SmsMethod": "sms_method",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallbackMethod": "status_callback_method",
}


def format_friendly(e164: str) -> str:
    """Twilio's default friendly name: (415) 555-0100 for NANP numbers, else the number."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def _changes(params: Mapping[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for param, name in URL_FIELDS.items():
        if param in params:
            changes[name] = params[param].strip()
    application = changes.get("sms_application_sid")
    if application and not is_sid(application, SidPrefix.APPLICATION):
        raise TwilioError(21218, f"SmsApplicationSid {application!r} is not an application SID")
    for param, name in METHOD_FIELDS.items():
        if param in params and params[param] != "":
            method = params[param].strip().upper()
            if method not in METHODS:
                raise TwilioError(21403, f"{param} must be GET or POST, not {params[param]!r}")
            changes[name] = method
    return changes


class NumberService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def create(self, account: Account, params: Mapping[str, str]) -> PhoneNumber:
        raw = params.get("PhoneNumber", "").strip()
        area_code = params.get("AreaCode", "").strip()
        if raw:
            if (code := magic.purchase_error(raw)) is not None:
                raise TwilioError(code)
            e164 = normalize_e164(raw)
            if e164 is None:
                raise TwilioError(21421, f"PhoneNumber {raw} is invalid")
        elif area_code:
            e164 = await self._pick_in_area(area_code)
        else:
            raise TwilioError(21421, "A PhoneNumber or AreaCode is required")
        now = self._rt.clock.now()
        number = PhoneNumber(
            sid=self._rt.new_sid(SidPrefix.PHONE_NUMBER),
            account_sid=account.sid,
            phone_number=e164,
            friendly_name=format_friendly(e164),
            date_created=now,
            date_updated=now,
        )
        number = dataclasses.replace(number, **_changes(params))
        try:
            await self._rt.store.insert_phone_number(number)
        except StoreConflict:
            raise TwilioError(21422, f"PhoneNumber {e164} is not available") from None
        return number

    async def _pick_in_area(self, area_code: str) -> str:
        if (code := magic.area_code_error(area_code)) is not None:
            raise TwilioError(code, f"No numbers found in area code {area_code}")
        if not (area_code.isdigit() and len(area_code) == 3 and area_code[0] not in "01"):
            raise TwilioError(21421, f"AreaCode {area_code} is invalid")
        # Deterministic scan of the fictional 555-01xx block, then the rest of 555; an area code
        # that does not exist (000, 999, ...) has no numbers to give.
        for line in range(100, 10000):
            candidate = f"+1{area_code}555{line:04d}"
            if normalize_e164(candidate) != candidate:
                break
            if await self._rt.store.find_phone_number(candidate) is None:
                return candidate
        raise TwilioError(21452, f"No numbers found in area code {area_code}")

    async def get(self, account: Account, sid: str) -> PhoneNumber:
        number = await self._rt.store.get_phone_number(account.sid, sid)
        if number is None:
            raise NotFound()
        return number

    async def update(self, account: Account, sid: str, params: Mapping[str, str]) -> PhoneNumber:
        number = await self.get(account, sid)
        changes = _changes(params)
        if changes:
            number = dataclasses.replace(number, **changes, date_updated=self._rt.clock.now())
            await self._rt.store.update_phone_number(number)
        return number

    async def delete(self, account: Account, sid: str) -> None:
        if not await self._rt.store.delete_phone_number(account.sid, sid):
            raise NotFound()

    async def list(
        self,
        account: Account,
        phone_number: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[PhoneNumber]:
        if phone_number:
            phone_number = normalize_e164(phone_number) or phone_number
        return await self._rt.store.list_phone_numbers(
            account.sid, phone_number or None, friendly_name or None, page
        )
