"""The records switchboard keeps: plain frozen values, shared by storage, services and edges.

Times are timezone-aware UTC datetimes; rendering to Twilio's RFC 2822 strings happens at the
API edge. Updates go through ``dataclasses.replace`` so a record never changes under a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from switchboard.domain.lifecycle import MessageStatus

API_VERSION = "2010-04-01"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND_API = "outbound-api"
    OUTBOUND_CALL = "outbound-call"
    OUTBOUND_REPLY = "outbound-reply"


@dataclass(frozen=True, slots=True)
class Account:
    sid: str
    friendly_name: str
    auth_token: str
    owner_account_sid: str  # the parent for subaccounts, itself for a main account
    status: str  # active | suspended | closed
    date_created: datetime
    date_updated: datetime
    type: str = "Full"

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid != self.sid


@dataclass(frozen=True, slots=True)
class ApiKey:
    sid: str
    account_sid: str
    friendly_name: str
    secret: str
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime
    sms_url: str = ""
    sms_method: str = "POST"
    sms_fallback_url: str = ""
    sms_fallback_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"
    sms_application_sid: str = ""


@dataclass(frozen=True, slots=True)
class MessagingService:
    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime
    inbound_request_url: str | None = None
    inbound_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    sticky_sender: bool = True
    use_inbound_webhook_on_number: bool = False
    smart_encoding: bool = True
    mms_converter: bool = True
    scan_message_content: str = "inherit"
    fallback_to_long_code: bool = True
    area_code_geomatch: bool = True
    synchronous_validation: bool = False
    validity_period: int = 36000
    usecase: str = "undeclared"


@dataclass(frozen=True, slots=True)
class ServicePhoneNumber:
    """A number in a Messaging Service's sender pool (its sid is the number's PN sid)."""

    sid: str
    service_sid: str
    account_sid: str
    phone_number: str
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True, slots=True)
class Message:
    sid: str
    account_sid: str
    direction: Direction
    from_: str | None
    to: str
    body: str
    status: MessageStatus  # changed only through domain/lifecycle.py's table
    # Counted once at creation (domain/segments.py); shown as 0 until a sender is chosen.
    num_segments: int
    num_media: int
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    messaging_service_sid: str | None = None
    price: str | None = None
    price_unit: str = "USD"
    error_code: int | None = None
    error_message: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    validity_period: int | None = None
    send_at: datetime | None = None
    # Channel extras of an inbound message (ProfileName, Latitude, ...), sent on its webhook;
    # for an outbound message sent from a Content template, that template as sent
    # (services/content.py: ContentSid, ContentType, Content, ContentVariables).
    extra: dict[str, str] = field(default_factory=dict)
    in_reply_to: str | None = None  # the inbound message a TwiML reply answers
    # The sender's privacy choices at create (ContentRetention, AddressRetention): what a
    # fetch shows of a finished message (domain/retention.py).
    content_retention: str = "retain"
    address_retention: str = "retain"
    seq: int = 0  # storage order, assigned by the store


@dataclass(frozen=True, slots=True)
class MessageFeedback:
    """Whether the recipient of a message did what it asked (SPEC §21.1); one per message."""

    account_sid: str
    message_sid: str
    outcome: str  # confirmed | unconfirmed
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True, slots=True)
class Content:
    """A Content API template (SPEC §16.2); ``types`` holds each content type's fields as
    validated by domain/content.py, ``variables`` the placeholders' default (sample) values."""

    sid: str
    account_sid: str
    friendly_name: str
    language: str
    variables: dict[str, str]
    types: dict[str, dict[str, Any]]
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True, slots=True)
class ContentApproval:
    """A template's WhatsApp approval request (SPEC §16.4); one per template."""

    content_sid: str
    account_sid: str
    name: str
    category: str
    content_type: str
    status: str  # received | pending | approved | rejected (domain/content.py)
    rejection_reason: str
    date_created: datetime
    date_updated: datetime
    allow_category_change: bool = True


@dataclass(frozen=True, slots=True)
class Media:
    sid: str
    account_sid: str
    message_sid: str
    content_type: str
    date_created: datetime
    date_updated: datetime
    source_url: str | None = None  # where an outbound MediaUrl points
    size: int = 0


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One step of a message's status timeline."""

    message_sid: str
    status: str
    at: datetime
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """An outbox entry: work (a webhook, a callback, a carrier step) due at ``due_at``."""

    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    account_sid: str | None = None
    message_sid: str | None = None
    attempts: int = 0
    # Known only to a job claimed at insert (JobClaim): the transaction that wrote it found no
    # cookies kept for its inbound message's conversation, so the incoming webhook need not
    # read them. A job claimed later (False) reads the conversation's jar when it runs.
    cookies_known_absent: bool = False


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    account_sid: str | None = None
    message_sid: str | None = None


# What a webhook attempt was for: the incoming-message webhook, its fallback, a <Redirect> or a
# <Message action> of its TwiML, a status callback, a replay of an earlier attempt, an Event
# Streams delivery to a Sink.
ATTEMPT_KINDS: Final = (
    "incoming", "fallback", "redirect", "action", "status_callback", "replay", "event",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One HTTP request switchboard made to a user's URL, and what came back."""

    sid: str
    account_sid: str
    message_sid: str | None
    kind: str  # one of ATTEMPT_KINDS
    attempt: int
    url: str
    method: str
    request_headers: dict[str, str]
    request_body: str
    date_created: datetime
    duration_ms: float
    response_status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error_code: int | None = None
    error_detail: str = ""
    idempotency_token: str = ""
    signed_url: str = ""


class SenderKind(StrEnum):
    """What a sender in a Messaging Service's pool is (its sub-resource on Twilio)."""

    PHONE_NUMBER = "phone_number"
    SHORT_CODE = "short_code"
    ALPHA_SENDER = "alpha_sender"
    DESTINATION_ALPHA_SENDER = "destination_alpha_sender"
    CHANNEL_SENDER = "channel_sender"


@dataclass(frozen=True, slots=True)
class AccountSender:
    """A sender an account holds besides its phone numbers: a short code (``SC...``, the 2010
    API's ShortCodes) or a channel sender (``XE...``: a WhatsApp number, an RCS agent)."""

    sid: str
    account_sid: str
    kind: SenderKind  # SHORT_CODE or CHANNEL_SENDER
    address: str  # wire form: '12345', 'whatsapp:+14155550100', 'rcs:brand_agent'
    country_code: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime
    sms_url: str = ""
    sms_method: str = "POST"
    sms_fallback_url: str = ""
    sms_fallback_method: str = "POST"


@dataclass(frozen=True, slots=True)
class ServiceSender:
    """A pool entry that is not a phone number: a short code, an alphanumeric sender ID (for
    every country, or for one with a destination alpha sender) or a channel sender."""

    sid: str
    service_sid: str
    account_sid: str
    kind: SenderKind
    sender: str  # wire form
    country_code: str  # '' for an alphanumeric ID serving every country
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True, slots=True)
class SenderChoice:
    """Why a Messaging Service gave a message its sender (domain/senders.py)."""

    message_sid: str
    rule: str
    sender: str
    detail: str
    converted: bool  # an MMS sent as SMS with links to its media (MMS Converter)
    date_created: datetime
