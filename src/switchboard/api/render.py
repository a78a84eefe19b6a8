"""Twilio's JSON shapes for each resource (SPEC §6.5, the OpenAPI schemas).

2010-04-01 dates are RFC 2822 in GMT; Messaging v1 dates are ISO 8601. Counts that Twilio
types as strings (``num_segments``, ``num_media``) stay strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from switchboard.domain.media import media_path
from switchboard.domain.models import (
    API_VERSION,
    Account,
    AccountSender,
    ApiKey,
    Content,
    ContentApproval,
    Media,
    Message,
    MessageFeedback,
    MessagingService,
    PhoneNumber,
    SenderKind,
    ServicePhoneNumber,
    ServiceSender,
)
from switchboard.domain.phone import country_of, parse_address
from switchboard.domain.retention import shown_body, shown_to
from switchboard.domain.segments import reported_segments

V2010 = f"/{API_VERSION}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(moment: datetime | None) -> str | None:
    """``Thu, 24 Aug 2023 05:01:45 +0000`` (what email.utils.format_datetime gives, faster)."""
    if moment is None:
        return None
    # Whole seconds only: a message's three dates, and the messages of one second, share one.
    return _rfc2822_second(moment.replace(microsecond=0))


@lru_cache(maxsize=256)
def _rfc2822_second(moment: datetime) -> str:
    t = moment.astimezone(UTC)
    return (
        f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"
    )


def iso8601(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Every subresource Twilio's Account examples list, in their order (name in the JSON, path).
# Most are not served here (they answer 404 like any unknown path), but the map is Twilio's:
# an app reading ``subresource_uris["calls"]`` must not fail on a missing key.
_ACCOUNT_SUBRESOURCES = (
    ("available_phone_numbers", "AvailablePhoneNumbers"),
    ("calls", "Calls"),
    ("conferences", "Conferences"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
    ("notifications", "Notifications"),
    ("outgoing_caller_ids", "OutgoingCallerIds"),
    ("recordings", "Recordings"),
    ("transcriptions", "Transcriptions"),
    ("addresses", "Addresses"),
    ("signing_keys", "SigningKeys"),
    ("connect_apps", "ConnectApps"),
    ("sip", "SIP"),
    ("authorized_connect_apps", "AuthorizedConnectApps"),
    ("usage", "Usage"),
    ("keys", "Keys"),
    ("applications", "Applications"),
    ("short_codes", "SMS/ShortCodes"),
    ("queues", "Queues"),
    ("messages", "Messages"),
    ("balance", "Balance"),
)


def account_json(account: Account) -> dict[str, Any]:
    base = f"{V2010}/Accounts/{account.sid}"
    return {
        "auth_token": account.auth_token,
        "date_created": rfc2822(account.date_created),
        "date_updated": rfc2822(account.date_updated),
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.owner_account_sid,
        "sid": account.sid,
        "status": account.status,
        "subresource_uris": {name: f"{base}/{path}.json" for name, path in _ACCOUNT_SUBRESOURCES},
        "type": account.type,
        "uri": f"{base}.json",
    }


def key_json(key: ApiKey, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sid": key.sid,
        "friendly_name": key.friendly_name,
        "date_created": rfc2822(key.date_created),
        "date_updated": rfc2822(key.date_updated),
    }
    if with_secret:
        data["secret"] = key.secret
    return data


def message_json(message: Message) -> dict[str, Any]:
    uri = f"{V2010}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": shown_body(message),
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction.value,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": str(message.num_media),
        "num_segments": str(reported_segments(message)),
        "price": message.price,
        "price_unit": message.price_unit,
        "sid": message.sid,
        "status": message.status.value,
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": shown_to(message),
        "uri": f"{uri}.json",
    }


def feedback_json(feedback: MessageFeedback) -> dict[str, Any]:
    uri = f"{V2010}/Accounts/{feedback.account_sid}/Messages/{feedback.message_sid}/Feedback.json"
    return {
        "account_sid": feedback.account_sid,
        "date_created": rfc2822(feedback.date_created),
        "date_updated": rfc2822(feedback.date_updated),
        "message_sid": feedback.message_sid,
        "outcome": feedback.outcome,
        "uri": uri,
    }


def media_uri(media: Media) -> str:
    """The media content URL (no .json), as carried by ``MediaUrlN`` webhook parameters."""
    return media_path(media.account_sid, media.message_sid, media.sid)


def media_json(media: Media) -> dict[str, Any]:
    return {
        "account_sid": media.account_sid,
        "content_type": media.content_type,
        "date_created": rfc2822(media.date_created),
        "date_updated": rfc2822(media.date_updated),
        "parent_sid": media.message_sid,
        "sid": media.sid,
        "uri": f"{media_uri(media)}.json",
    }


def phone_number_json(number: PhoneNumber) -> dict[str, Any]:
    # Unset fields as Twilio's examples answer them: the SMS fields and the application sids
    # "", the voice URLs null (there is no voice here); no ``subresource_uris`` (neither the
    # examples nor the schema have one).
    return {
        "account_sid": number.account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(number.date_created),
        "date_updated": rfc2822(number.date_updated),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": number.friendly_name,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": number.phone_number,
        "sid": number.sid,
        "sms_application_sid": number.sms_application_sid,
        "sms_fallback_method": number.sms_fallback_method,
        "sms_fallback_url": number.sms_fallback_url,
        "sms_method": number.sms_method,
        "sms_url": number.sms_url,
        "status": "in-use",
        "status_callback": number.status_callback,
        "status_callback_method": number.status_callback_method,
        "trunk_sid": None,
        "type": "local",
        "uri": f"{V2010}/Accounts/{number.account_sid}/IncomingPhoneNumbers/{number.sid}.json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
    }


def content_json(content: Content, base_url: str) -> dict[str, Any]:
    """A Content API template (SPEC §16.2): ISO 8601 dates, absolute URLs."""
    url = f"{base_url}/v1/Content/{content.sid}"
    return {
        **_content_fields(content),
        "url": url,
        "links": {
            "approval_create": f"{url}/ApprovalRequests/whatsapp",
            "approval_fetch": f"{url}/ApprovalRequests",
        },
    }


def _content_fields(content: Content) -> dict[str, Any]:
    return {
        "sid": content.sid,
        "account_sid": content.account_sid,
        "friendly_name": content.friendly_name or None,
        "language": content.language,
        "variables": content.variables,
        "types": content.types,
        "date_created": iso8601(content.date_created),
        "date_updated": iso8601(content.date_updated),
    }


def approval_json(approval: ContentApproval) -> dict[str, Any]:
    """The WhatsApp approval request as its create answers it (SPEC §16.4)."""
    return {
        "name": approval.name,
        "category": approval.category,
        "content_type": approval.content_type,
        "status": approval.status,
        "rejection_reason": approval.rejection_reason,
        "allow_category_change": approval.allow_category_change,
    }


def _whatsapp_json(approval: ContentApproval | None) -> dict[str, Any]:
    if approval is None:  # never submitted
        return {"type": "whatsapp", "status": "unsubmitted"}
    return {"type": "whatsapp", **approval_json(approval)}


def approval_fetch_json(
    content: Content, approval: ContentApproval | None, base_url: str
) -> dict[str, Any]:
    return {
        "sid": content.sid,
        "account_sid": content.account_sid,
        "whatsapp": _whatsapp_json(approval),
        "url": f"{base_url}/v1/Content/{content.sid}/ApprovalRequests",
    }


def content_and_approvals_json(
    content: Content, approval: ContentApproval | None
) -> dict[str, Any]:
    return {**_content_fields(content), "approval_requests": _whatsapp_json(approval)}


def service_json(service: MessagingService, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Services/{service.sid}"
    return {
        "account_sid": service.account_sid,
        "area_code_geomatch": service.area_code_geomatch,
        "date_created": iso8601(service.date_created),
        "date_updated": iso8601(service.date_updated),
        "fallback_method": service.fallback_method,
        "fallback_to_long_code": service.fallback_to_long_code,
        "fallback_url": service.fallback_url,
        "friendly_name": service.friendly_name,
        "inbound_method": service.inbound_method,
        "inbound_request_url": service.inbound_request_url,
        "links": {
            "phone_numbers": f"{url}/PhoneNumbers",
            "short_codes": f"{url}/ShortCodes",
            "alpha_senders": f"{url}/AlphaSenders",
            "messages": f"{url}/Messages",
            "us_app_to_person": f"{url}/Compliance/Usa2p",
            "us_app_to_person_usecases": f"{url}/Compliance/Usa2p/Usecases",
            "channel_senders": f"{url}/ChannelSenders",
            "destination_alpha_senders": f"{url}/DestinationAlphaSenders",
        },
        "mms_converter": service.mms_converter,
        "scan_message_content": service.scan_message_content,
        "sid": service.sid,
        "smart_encoding": service.smart_encoding,
        "status_callback": service.status_callback,
        "sticky_sender": service.sticky_sender,
        "synchronous_validation": service.synchronous_validation,
        "url": url,
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": service.use_inbound_webhook_on_number,
        "usecase": service.usecase,
        "validity_period": service.validity_period,
    }


def service_number_json(entry: ServicePhoneNumber, base_url: str) -> dict[str, Any]:
    address = parse_address(entry.phone_number)
    return {
        "account_sid": entry.account_sid,
        "capabilities": ["SMS", "MMS", "Voice"],
        "country_code": (country_of(address) if address else None) or "US",
        "date_created": iso8601(entry.date_created),
        "date_updated": iso8601(entry.date_updated),
        "phone_number": entry.phone_number,
        "service_sid": entry.service_sid,
        "sid": entry.sid,
        "url": f"{base_url}/v1/Services/{entry.service_sid}/PhoneNumbers/{entry.sid}",
    }


_SENDER_PATHS = {
    SenderKind.SHORT_CODE: "ShortCodes",
    SenderKind.ALPHA_SENDER: "AlphaSenders",
    SenderKind.DESTINATION_ALPHA_SENDER: "DestinationAlphaSenders",
    SenderKind.CHANNEL_SENDER: "ChannelSenders",
}
#: Channel senders' ``sender_type`` as Twilio spells it, by address prefix.
_SENDER_TYPES = {"whatsapp": "WhatsApp", "rcs": "RCS", "messenger": "Messenger"}


def service_sender_json(entry: ServiceSender, base_url: str) -> dict[str, Any]:
    """A ShortCode, AlphaSender, DestinationAlphaSender or ChannelSender of a service."""
    url = f"{base_url}/v1/Services/{entry.service_sid}/{_SENDER_PATHS[entry.kind]}/{entry.sid}"
    dates = {
        "date_created": iso8601(entry.date_created),
        "date_updated": iso8601(entry.date_updated),
    }
    if entry.kind is SenderKind.CHANNEL_SENDER:
        prefix = entry.sender.partition(":")[0]
        return {
            "account_sid": entry.account_sid,
            "messaging_service_sid": entry.service_sid,
            "sid": entry.sid,
            "sender": entry.sender,
            "sender_type": _SENDER_TYPES.get(prefix, prefix),
            "country_code": entry.country_code or None,
            **dates,
            "url": url,
        }
    common = {
        "sid": entry.sid,
        "account_sid": entry.account_sid,
        "service_sid": entry.service_sid,
        **dates,
    }
    if entry.kind is SenderKind.SHORT_CODE:
        return {
            **common,
            "short_code": entry.sender,
            "country_code": entry.country_code,
            "capabilities": ["SMS", "MMS"],
            "url": url,
        }
    alpha = {**common, "alpha_sender": entry.sender, "capabilities": ["SMS"], "url": url}
    if entry.kind is SenderKind.DESTINATION_ALPHA_SENDER:
        alpha["iso_country_code"] = entry.country_code or None
    return alpha


def short_code_json(held: AccountSender) -> dict[str, Any]:
    """A short code of the account (the 2010 API's SMS/ShortCodes); unset URLs are null, as
    in Twilio's examples."""
    return {
        "account_sid": held.account_sid,
        "api_version": API_VERSION,
        "date_created": rfc2822(held.date_created),
        "date_updated": rfc2822(held.date_updated),
        "friendly_name": held.friendly_name,
        "short_code": held.address,
        "sid": held.sid,
        "sms_fallback_method": held.sms_fallback_method,
        "sms_fallback_url": held.sms_fallback_url or None,
        "sms_method": held.sms_method,
        "sms_url": held.sms_url or None,
        "uri": f"{V2010}/Accounts/{held.account_sid}/SMS/ShortCodes/{held.sid}.json",
    }


def channel_sender_json(held: AccountSender) -> dict[str, Any]:
    """A channel sender of the account, as the simulator answers its provisioning."""
    prefix = held.address.partition(":")[0]
    return {
        "sid": held.sid,
        "account_sid": held.account_sid,
        "sender": held.address,
        "sender_type": _SENDER_TYPES.get(prefix, prefix),
        "country_code": held.country_code or None,
        "date_created": rfc2822(held.date_created),
    }
