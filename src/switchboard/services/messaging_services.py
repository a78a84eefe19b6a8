"""Messaging Services (Messaging v1): service-level webhooks and the sender pool."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account, MessagingService, ServicePhoneNumber
from switchboard.domain.optout import InvalidOptOutSettings, OptOutSettings
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest, StoreConflict
from switchboard.services.runtime import Runtime

_STRING_FIELDS = {
    "FriendlyName": "friendly_name",
    "InboundRequestUrl": "inbound_request_url",
    "FallbackUrl": "fallback_url",
    "StatusCallback": "status_callback",
    "ScanMessageContent": "scan_message_content",
    "Usecase": "usecase",
}
_METHOD_FIELDS = {"InboundMethod": "inbound_method", "FallbackMethod": "fallback_method"}
_BOOL_FIELDS = {
    "StickySender": "sticky_sender",
    "MmsConverter": "mms_converter",
    "SmartEncoding": "smart_encoding",
    "FallbackToLongCode": "fallback_to_long_code",
    "AreaCodeGeomatch": "area_code_geomatch",
    "SynchronousValidation": "synchronous_validation",
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
}
SCAN_MESSAGE_CONTENT = frozenset({"inherit", "enable", "disable"})
_NULLABLE = frozenset({"inbound_request_url", "fallback_url", "status_callback"})


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise TwilioError(20001, f"Invalid {name}: {value!r} is not a boolean", http_status=400)


def _changes(params: Mapping[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for param, name in _STRING_FIELDS.items():
        if param in params:
            value = params[param].strip()
            changes[name] = None if (value == "" and name in _NULLABLE) else value
    scan = changes.get("scan_message_content")
    if scan is not None and scan not in SCAN_MESSAGE_CONTENT:
        raise TwilioError(
            21000, f"ScanMessageContent must be one of inherit, enable, disable, not {scan!r}"
        )
    for param, name in _METHOD_FIELDS.items():
        if params.get(param):
            method = params[param].strip().upper()
            if method not in {"GET", "POST"}:
                raise TwilioError(21403, f"{param} must be GET or POST")
            changes[name] = method
    for param, name in _BOOL_FIELDS.items():
        if params.get(param):
            changes[name] = parse_bool(param, params[param])
    if params.get("ValidityPeriod"):
        raw = params["ValidityPeriod"]
        if not raw.isdigit() or not 1 <= int(raw) <= 36000:
            raise TwilioError(21624, f"Invalid validity period value: {raw}")
        changes["validity_period"] = int(raw)
    return changes


class MessagingServiceService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def create(self, account: Account, params: Mapping[str, str]) -> MessagingService:
        if not params.get("FriendlyName", "").strip():
            raise TwilioError(20001, "Missing required parameter FriendlyName", http_status=400)
        now = self._rt.clock.now()
        service = MessagingService(
            sid=self._rt.new_sid(SidPrefix.MESSAGING_SERVICE),
            account_sid=account.sid,
            friendly_name="",
            date_created=now,
            date_updated=now,
        )
        service = dataclasses.replace(service, **_changes(params))
        await self._rt.store.insert_service(service)
        return service

    async def get(self, account: Account, sid: str) -> MessagingService:
        service = await self._rt.store.get_service(account.sid, sid)
        if service is None:
            raise NotFound()
        return service

    async def opt_out(self, account: Account, sid: str) -> OptOutSettings:
        """The service's Advanced Opt-Out settings (Twilio's defaults until set)."""
        await self.get(account, sid)
        stored = await self._rt.store.get_opt_out_settings(sid)
        return stored if stored is not None else OptOutSettings()

    async def set_opt_out(
        self, account: Account, sid: str, document: Mapping[str, Any]
    ) -> OptOutSettings:
        """Replace the service's Advanced Opt-Out settings with ``document`` (its JSON form)."""
        await self.get(account, sid)
        try:
            settings = OptOutSettings.from_json(document)
        except InvalidOptOutSettings as error:
            raise TwilioError(21000, f"Invalid opt-out settings: {error}") from None
        await self._rt.store.save_opt_out_settings(account.sid, sid, settings, self._rt.clock.now())
        return settings

    async def update(
        self, account: Account, sid: str, params: Mapping[str, str]
    ) -> MessagingService:
        service = await self.get(account, sid)
        changes = _changes(params)
        if changes:
            service = dataclasses.replace(service, **changes, date_updated=self._rt.clock.now())
            await self._rt.store.update_service(service)
        return service

    async def delete(self, account: Account, sid: str) -> None:
        if not await self._rt.store.delete_service(account.sid, sid):
            raise NotFound()

    async def list(self, account: Account, page: PageRequest) -> Page[MessagingService]:
        return await self._rt.store.list_services(account.sid, page)

    # The sender pool ------------------------------------------------------------------------

    async def add_number(
        self, account: Account, service_sid: str, phone_number_sid: str
    ) -> ServicePhoneNumber:
        service = await self.get(account, service_sid)
        if not is_sid(phone_number_sid, SidPrefix.PHONE_NUMBER):
            raise TwilioError(21421, f"PhoneNumberSid {phone_number_sid!r} is invalid")
        number = await self._rt.store.get_phone_number(account.sid, phone_number_sid)
        if number is None:
            raise TwilioError(21421, f"Phone number {phone_number_sid} not found on the account")
        current = await self._rt.store.service_for_number(number.sid)
        if current == service.sid:
            raise TwilioError(21710)
        if current is not None:
            raise TwilioError(21712)
        now = self._rt.clock.now()
        entry = ServicePhoneNumber(
            sid=number.sid,
            service_sid=service.sid,
            account_sid=account.sid,
            phone_number=number.phone_number,
            date_created=now,
            date_updated=now,
        )
        try:
            await self._rt.store.add_service_number(entry)
        except StoreConflict:
            raise TwilioError(21712) from None
        return entry

    async def get_number(self, account: Account, service_sid: str, sid: str) -> ServicePhoneNumber:
        await self.get(account, service_sid)
        entry = await self._rt.store.get_service_number(service_sid, sid)
        if entry is None:
            raise NotFound()
        return entry

    async def remove_number(self, account: Account, service_sid: str, sid: str) -> None:
        await self.get(account, service_sid)
        if not await self._rt.store.remove_service_number(service_sid, sid):
            raise NotFound()

    async def list_numbers(
        self, account: Account, service_sid: str, page: PageRequest
    ) -> Page[ServicePhoneNumber]:
        await self.get(account, service_sid)
        return await self._rt.store.list_service_numbers(service_sid, page)
