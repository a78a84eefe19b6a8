"""The parameters of Twilio's requests to an app: incoming-message webhooks (SPEC §1.4) and
status callbacks (SPEC §5.4). Pure: everything comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import API_VERSION, Message
from switchboard.domain.phone import Channel, Geo, geo_lookup, parse_address

# Set by switchboard (Advanced Opt-Out), never taken from the handset.
OPT_OUT_TYPE = "OptOutType"

# Extras an inbound message may carry, passed through to its webhook as given.
HANDSET_EXTRAS = (
    "ProfileName",
    "WaId",
    "Forwarded",
    "FrequentlyForwarded",
    "MessageType",
    "ReferralBody",
    "ReferralHeadline",
    "ReferralSourceId",
    "ReferralSourceType",
    "ReferralSourceUrl",
    "ReferralMediaId",
    "ReferralMediaContentType",
    "ReferralMediaUrl",
    "ReferralNumMedia",
    "ReferralCtwaClid",
    "OriginalRepliedMessageSender",
    "OriginalRepliedMessageSid",
    "ButtonPayload",
    "ButtonText",
    "ButtonType",
    "InteractiveData",
    "FlowData",
    "ChannelMetadata",
    "Latitude",
    "Longitude",
    "Address",
    "Label",
)
# What an inbound message's webhook carries besides the core parameters.
INBOUND_EXTRAS = (*HANDSET_EXTRAS, OPT_OUT_TYPE)


def channel_of(address: str | None) -> Channel:
    parsed = parse_address(address) if address else None
    return parsed.channel if parsed is not None else Channel.SMS


def _geo_fields(prefix: str, address: str | None) -> dict[str, str]:
    parsed = parse_address(address) if address else None
    geo = geo_lookup(parsed) if parsed is not None else None
    geo = geo or Geo(city="", state="", zip="", country="")
    return {
        f"{prefix}City": geo.city,
        f"{prefix}State": geo.state,
        f"{prefix}Zip": geo.zip,
        f"{prefix}Country": geo.country,
    }


def inbound_params(message: Message, media: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The incoming-message webhook parameters; ``media`` is (url, content type) per item."""
    params = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsMessageSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_ or "",
        "To": message.to,
        "Body": message.body,
        "NumMedia": str(len(media)),
        "NumSegments": str(message.num_segments),
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    # Geographic fields are sent (empty when unknown) on SMS, and absent on WhatsApp [OBS].
    if channel_of(message.from_) is Channel.SMS:
        params.update(_geo_fields("From", message.from_))
        params.update(_geo_fields("To", message.to))
    params.setdefault("ReferralNumMedia", "0")
    for index, (url, content_type) in enumerate(media):
        params[f"MediaContentType{index}"] = content_type
        params[f"MediaUrl{index}"] = url
    for name in INBOUND_EXTRAS:
        if name in message.extra:
            params[name] = message.extra[name]
    return params


def raw_dlr_done_date(moment: datetime) -> str:
    """The carrier DLR "done date": YYMMDDhhmm."""
    return moment.strftime("%y%m%d%H%M")


def status_params(message: Message, at: datetime) -> dict[str, str]:
    """The status-callback parameters for ``message`` in its current status."""
    params = {
        "MessageStatus": message.status.value,
        "SmsStatus": message.status.value,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_ or "",
        "To": message.to,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    failed = message.status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
    if failed and message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    channel = channel_of(message.to)
    if channel is Channel.SMS:
        if message.status in (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED):
            params["RawDlrDoneDate"] = raw_dlr_done_date(at)
    else:
        params["ChannelPrefix"] = channel.value
        params["ChannelToAddress"] = message.to.partition(":")[2]
        if message.status is MessageStatus.READ:
            params["EventType"] = "READ"
        elif message.status is MessageStatus.DELIVERED:
            params["EventType"] = "DELIVERED"
        if failed and message.error_message:
            params["ChannelStatusMessage"] = message.error_message
    return params
