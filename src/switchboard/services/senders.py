"""The senders of a Messaging Service's pool that are not phone numbers (Messaging v1's
ShortCodes, AlphaSenders, DestinationAlphaSenders and ChannelSenders), and the senders an
account holds besides its numbers: short codes (the 2010 API's SMS/ShortCodes) and channel
senders (WhatsApp numbers, RCS agents), provisioned through the simulator (``/_sim``).

Twilio's rules (SPEC §18.2): a short code or channel sender belongs to one service at a time
(21712; 21710 when it is already in this one), must be the account's (21421), and a service has
one alphanumeric ID (delete it before adding another).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Final

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import (
    Account,
    AccountSender,
    MessagingService,
    SenderKind,
    ServiceSender,
)
from switchboard.domain.phone import AddressKind, Channel, country_of, parse_address
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest, StoreConflict
from switchboard.services.messaging_services import MessagingServiceService
from switchboard.services.runtime import Runtime

_SHORT_CODE_RE: Final = re.compile(r"[0-9]{5,6}")
_COUNTRY_RE: Final = re.compile(r"[A-Z]{2}")
#: Where a short code provisioned without ``IsoCountry`` works (short codes are national).
DEFAULT_SHORT_CODE_COUNTRY: Final = "US"
_HELD_PREFIX: Final = {
    SenderKind.SHORT_CODE: SidPrefix.SHORT_CODE,
    SenderKind.CHANNEL_SENDER: SidPrefix.CHANNEL_INSTALL,
}
_URL_FIELDS: Final = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsFallbackUrl": "sms_fallback_url",
}
_METHOD_FIELDS: Final = {"SmsMethod": "sms_method", "SmsFallbackMethod": "sms_fallback_method"}


def _missing(name: str) -> TwilioError:
    return TwilioError(20001, f"Missing required parameter {name}", http_status=400)


def _country(raw: str | None, name: str) -> str:
    country = (raw or "").strip().upper()
    if not _COUNTRY_RE.fullmatch(country):
        raise TwilioError(
            20001, f"{name} must be an ISO 3166 country code such as GB", http_status=400
        )
    return country


def _alpha(raw: str | None) -> str:
    """An alphanumeric sender ID: 1-11 letters, digits and spaces, at least one letter."""
    if not raw:
        raise _missing("AlphaSender")
    address = parse_address(raw)
    if address is None or address.kind is not AddressKind.ALPHANUMERIC:
        raise TwilioError(
            20001,
            f"Invalid AlphaSender {raw!r}: 1 to 11 letters, digits and spaces, not digits only",
            http_status=400,
        )
    return address.identity


class HeldSenderService:
    """Short codes and channel senders an account holds (not phone numbers)."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def provision_short_code(
        self, account: Account, short_code: str | None, country: str | None = None
    ) -> AccountSender:
        code = (short_code or "").strip()
        if not _SHORT_CODE_RE.fullmatch(code):
            raise TwilioError(
                20001, f"ShortCode must be 5 or 6 digits, not {code!r}", http_status=400
            )
        iso = DEFAULT_SHORT_CODE_COUNTRY if not country else _country(country, "IsoCountry")
        return await self._provision(account, SenderKind.SHORT_CODE, code, iso)

    async def provision_channel_sender(self, account: Account, sender: str | None) -> AccountSender:
        address = parse_address(sender or "")
        if address is None or address.channel not in (Channel.WHATSAPP, Channel.RCS):
            raise TwilioError(
                20001,
                f"Sender must be whatsapp:<E.164 number> or rcs:<agent id>, not {sender!r}",
                http_status=400,
            )
        return await self._provision(
            account, SenderKind.CHANNEL_SENDER, address.value, country_of(address) or ""
        )

    async def _provision(
        self, account: Account, kind: SenderKind, address: str, country: str
    ) -> AccountSender:
        now = self._rt.clock.now()
        held = AccountSender(
            sid=self._rt.new_sid(_HELD_PREFIX[kind]),
            account_sid=account.sid,
            kind=kind,
            address=address,
            country_code=country,
            friendly_name=address,
            date_created=now,
            date_updated=now,
        )
        try:
            await self._rt.store.insert_account_sender(held)
        except StoreConflict:
            raise TwilioError(
                21422, f"{address} is already held by an account", http_status=409
            ) from None
        return held

    async def get(self, account: Account, kind: SenderKind, sid: str) -> AccountSender:
        held = await self._rt.store.get_account_sender(account.sid, sid)
        if held is None or held.kind is not kind:
            raise NotFound()
        return held

    async def list(
        self,
        account: Account,
        kind: SenderKind,
        page: PageRequest,
        *,
        short_code: str | None = None,
        friendly_name: str | None = None,
    ) -> Page[AccountSender]:
        # Twilio's ShortCode filter: a partial code where '*' is any digit.
        like = None if not short_code else "%" + short_code.replace("*", "_") + "%"
        return await self._rt.store.list_account_senders(
            account.sid, kind, like, friendly_name or None, page
        )

    async def update_short_code(
        self, account: Account, sid: str, params: Mapping[str, str]
    ) -> AccountSender:
        held = await self.get(account, SenderKind.SHORT_CODE, sid)
        changes: dict[str, Any] = {}
        for param, name in _URL_FIELDS.items():
            if param in params:
                changes[name] = params[param].strip()
        if len(changes.get("friendly_name", "")) > 64:
            raise TwilioError(20001, "FriendlyName is at most 64 characters", http_status=400)
        for param, name in _METHOD_FIELDS.items():
            if params.get(param):
                method = params[param].strip().upper()
                if method not in {"GET", "POST"}:
                    raise TwilioError(21403, f"{param} must be GET or POST")
                changes[name] = method
        if changes:
            held = dataclasses.replace(held, **changes, date_updated=self._rt.clock.now())
            await self._rt.store.update_account_sender(held)
        return held


class PoolSenderService:
    """A service's ShortCodes, AlphaSenders, DestinationAlphaSenders and ChannelSenders."""

    def __init__(self, runtime: Runtime, services: MessagingServiceService) -> None:
        self._rt = runtime
        self._services = services

    async def add(
        self, account: Account, service_sid: str, kind: SenderKind, params: Mapping[str, str]
    ) -> ServiceSender:
        service = await self._services.get(account, service_sid)
        if kind in (SenderKind.SHORT_CODE, SenderKind.CHANNEL_SENDER):
            name = "ShortCodeSid" if kind is SenderKind.SHORT_CODE else "Sid"
            sid, sender, country = await self._held(account, service, kind, params.get(name), name)
        else:
            alpha = _alpha(params.get("AlphaSender"))
            country = ""
            if kind is SenderKind.DESTINATION_ALPHA_SENDER and params.get("IsoCountryCode"):
                country = _country(params["IsoCountryCode"], "IsoCountryCode")
            await self._one_alpha_per_scope(service, kind, country)
            sid, sender = self._rt.new_sid(SidPrefix.ALPHA_SENDER), alpha
        now = self._rt.clock.now()
        entry = ServiceSender(sid, service.sid, account.sid, kind, sender, country, now, now)
        try:
            await self._rt.store.add_service_sender(entry)
        except StoreConflict:
            raise TwilioError(21712) from None
        return entry

    async def _held(
        self,
        account: Account,
        service: MessagingService,
        kind: SenderKind,
        sid: str | None,
        param: str,
    ) -> tuple[str, str, str]:
        if not sid:
            raise _missing(param)
        held = None
        if is_sid(sid, _HELD_PREFIX[kind]):
            held = await self._rt.store.get_account_sender(account.sid, sid)
        if held is None or held.kind is not kind:
            raise TwilioError(21421, f"{param} {sid} is not a sender of this account")
        entry = await self._rt.store.find_service_sender(held.sid)
        if entry is not None:
            raise TwilioError(21710 if entry.service_sid == service.sid else 21712)
        return held.sid, held.address, held.country_code

    async def _one_alpha_per_scope(
        self, service: MessagingService, kind: SenderKind, country: str
    ) -> None:
        """One AlphaSender per service; one DestinationAlphaSender per country (or default)."""
        taken = await self._rt.store.list_service_senders(
            service.sid, kind, country if kind is SenderKind.DESTINATION_ALPHA_SENDER else None,
            PageRequest(page_size=1),
        )  # fmt: skip
        if taken.items:
            scope = f" for {country}" if country else ""
            raise TwilioError(
                20001,
                f"The Messaging Service already has an alpha sender{scope} "
                f"({taken.items[0].sid}); delete it before adding another",
                http_status=409,
            )

    async def get(
        self, account: Account, service_sid: str, kind: SenderKind, sid: str
    ) -> ServiceSender:
        await self._services.get(account, service_sid)
        entry = await self._rt.store.get_service_sender(service_sid, kind, sid)
        if entry is None:
            raise NotFound()
        return entry

    async def remove(self, account: Account, service_sid: str, kind: SenderKind, sid: str) -> None:
        await self._services.get(account, service_sid)
        if not await self._rt.store.remove_service_sender(service_sid, kind, sid):
            raise NotFound()

    async def list(
        self,
        account: Account,
        service_sid: str,
        kind: SenderKind,
        page: PageRequest,
        country: str | None = None,
    ) -> Page[ServiceSender]:
        await self._services.get(account, service_sid)
        return await self._rt.store.list_service_senders(service_sid, kind, country, page)
