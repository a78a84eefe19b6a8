"""Outbound messages through the REST API: validation, creation, updates, deletion.

Creation validates in Twilio's order (To, sender, content, sizes, options), writes the message,
its media and the carrier's first step in one transaction, and answers with the initial status
(``queued``, ``accepted`` with a Messaging Service, ``scheduled`` with SendAt).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from switchboard import pools
from switchboard.carrier import magic
from switchboard.domain import senders
from switchboard.domain.encoding import check_body_length
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.jobs import status_callback_job
from switchboard.domain.lifecycle import (
    CANCELABLE_STATUSES,
    SETTLED_STATUSES,
    Event,
    MessageStatus,
    apply_event,
)
from switchboard.domain.models import (
    Account,
    AccountSender,
    Direction,
    Media,
    Message,
    MessageFeedback,
    MessagingService,
    PhoneNumber,
    StatusEvent,
)
from switchboard.domain.outbound import Draft, build
from switchboard.domain.phone import (
    Address,
    AddressKind,
    Channel,
    parse_address,
    parse_from,
    parse_to,
)
from switchboard.domain.retention import ADDRESS_RETENTION, CONTENT_RETENTION
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import MessageFilter, Page, PageRequest
from switchboard.sending import account_number, held_sender, opted_out
from switchboard.services.accounts import AccountService
from switchboard.services.content import ContentService
from switchboard.services.runtime import Runtime
from switchboard.timeline import Timeline

MAX_MEDIA = 10
RISK_CHECK = frozenset({"enable", "disable"})
TRAFFIC_TYPE = frozenset({"free"})
FEEDBACK_OUTCOMES = frozenset({"confirmed", "unconfirmed"})
SCHEDULE_MIN = timedelta(minutes=5)
SCHEDULE_MAX = timedelta(days=35)


@dataclass(frozen=True, slots=True)
class CreateMessage:
    """The CreateMessage parameters switchboard acts on or checks (docs/api.md lists them)."""

    to: str | None
    from_: str | None = None
    fallback_from: str | None = None  # the SMS/MMS sender when RCS is not used
    messaging_service_sid: str | None = None
    body: str | None = None
    media_urls: Sequence[str] = ()
    status_callback: str | None = None
    validity_period: str | None = None
    send_at: str | None = None
    schedule_type: str | None = None
    smart_encoded: bool = False
    content_sid: str | None = None
    content_variables: str | None = None
    send_as_mms: bool = False
    provide_feedback: bool = False  # accepted; feedback is taken either way (docs/api.md)
    content_retention: str | None = None
    address_retention: str | None = None
    attempt: str | None = None
    risk_check: str | None = None
    traffic_type: str | None = None


def is_callback_url(url: str) -> bool:
    """An absolute http(s) URL whose host has no underscore (Twilio rejects those)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and "_" not in host


def parse_send_at(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(35114, f"SendAt {raw!r} is not a valid ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise TwilioError(35114, "SendAt must include a time zone (e.g. 2026-01-01T12:00:00Z)")
    return moment


def _one_of(name: str, raw: str | None, allowed: frozenset[str], default: str) -> str:
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        choices = ", ".join(sorted(allowed))
        raise TwilioError(21000, f"{name} must be one of {choices}, not {raw!r}")
    return raw


def _check_options(request: CreateMessage) -> tuple[str, str]:
    """Check the options that change nothing a fetch shows but that Twilio validates
    (Attempt, RiskCheck, TrafficType); answer the retention choices, which do."""
    if request.attempt not in (None, ""):
        attempt = request.attempt.strip()
        if not attempt.isdigit() or int(attempt) < 1:
            raise TwilioError(21000, f"Attempt must be a positive integer, not {request.attempt!r}")
    _one_of("RiskCheck", request.risk_check, RISK_CHECK, "enable")
    _one_of("TrafficType", request.traffic_type, TRAFFIC_TYPE, "free")
    return (
        _one_of("ContentRetention", request.content_retention, CONTENT_RETENTION, "retain"),
        _one_of("AddressRetention", request.address_retention, ADDRESS_RETENTION, "retain"),
    )


class MessageService:
    def __init__(
        self,
        runtime: Runtime,
        timeline: Timeline,
        accounts: AccountService,
        contents: ContentService,
    ) -> None:
        self._rt = runtime
        self._timeline = timeline
        self._accounts = accounts
        self._contents = contents

    async def create(self, account: Account, request: CreateMessage) -> Message:
        await self._accounts.require_active(account)
        to = parse_to(request.to)
        if to.is_phone_number and (code := magic.to_error(to.identity)) is not None:
            raise TwilioError(code)
        if not request.from_ and not request.messaging_service_sid:
            raise TwilioError(21603)
        service = await self._service(account, request.messaging_service_sid)
        fallback, read = await self._fallback_from(account, request, service)
        sender, pool_service = await self._sender(account, request.from_, service, to, read)
        await self._check_opt_out(account, to, service, sender, pool_service)
        body = request.body or ""
        media_urls = list(request.media_urls)
        template = await self._contents.for_message(
            account, request.content_sid, request.content_variables, request.body, to
        )
        if template is not None:  # Body and MediaUrl are "superseded by the ContentSid"
            body, media_urls = template.body, template.media_urls
        elif not body and not media_urls:
            raise TwilioError(21619 if service else 21602)
        check_body_length(body)
        self._check_media(media_urls)
        status_callback = (request.status_callback or "").strip() or None
        if status_callback is not None and not is_callback_url(status_callback):
            raise TwilioError(21609, f"The StatusCallback URL {status_callback} is not valid.")
        validity = self._validity(request.validity_period)
        if validity is None and service is not None:
            validity = service.validity_period
        send_at = self._schedule(request, service)
        content_retention, address_retention = _check_options(request)

        now = self._rt.clock.now()
        draft = Draft(
            account_sid=account.sid,
            direction=Direction.OUTBOUND_API,
            to=to,
            sender=sender,
            body=body,
            media_urls=media_urls,
            messaging_service_sid=service.sid if service else None,
            through_service=service is not None,
            smart_encoding=request.smart_encoded or bool(service and service.smart_encoding),
            status_callback=status_callback or (service.status_callback if service else None),
            validity_period=validity,
            send_at=send_at,
            send_as_mms=request.send_as_mms,
            content_retention=content_retention,
            address_retention=address_retention,
            extra={**(template.extra if template is not None else {}), **fallback},
            refusal=template.refusal if template is not None else None,
        )
        built = build(draft, now=now, new_sid=self._rt.new_sid)
        message = built.message
        first = await self._timeline.first_job(message, now)
        jobs = [job for job in (built.callback, first) if job is not None]
        with self._rt.outbox.handoff(jobs) as claim:
            return await self._rt.store.insert_message(message, built.media, jobs, claim=claim)

    async def _service(self, account: Account, sid: str | None) -> MessagingService | None:
        if not sid:
            return None
        service = None
        if is_sid(sid, SidPrefix.MESSAGING_SERVICE):
            service = await self._rt.store.get_service(account.sid, sid)
        if service is None:
            raise TwilioError(
                21701, f"The Messaging Service Sid {sid} is invalid.", http_status=400
            )
        return service

    async def _fallback_from(
        self, account: Account, request: CreateMessage, service: MessagingService | None
    ) -> tuple[dict[str, str], list[senders.Candidate] | None]:
        """What the message records of ``FallbackFrom`` (SPEC §18.1), checked in this order:
        a service (21666), no ``From`` beside it (21664), a valid SMS/MMS sender of the
        account (21665: a number, short code or alphanumeric ID; it need not be in the pool),
        and an RCS sender in the service's pool (21667); and the pool, when it was read."""
        raw = (request.fallback_from or "").strip()
        if not raw:
            return {}, None
        if service is None:
            raise TwilioError(21666)
        if request.from_:
            raise TwilioError(21664)
        sender = parse_address(raw)
        if sender is None or sender.channel is not Channel.SMS:
            raise TwilioError(21665, f"FallbackFrom {raw!r} is not an SMS or MMS sender")
        if sender.kind is AddressKind.PHONE_NUMBER and raw != sender.identity:
            raise TwilioError(21665, f"FallbackFrom {raw!r} is not in E.164 format")
        if sender.kind is not AddressKind.ALPHANUMERIC and not (
            await account_number(self._rt.store, account.sid, sender.identity)
            or await held_sender(self._rt.store, account.sid, sender.value)
        ):
            raise TwilioError(21665, f"FallbackFrom {raw} is not a sender of this account")
        pool = await self._candidates(service)
        if not any(c.address.channel is Channel.RCS for c in pool):
            raise TwilioError(21667)
        return {senders.FALLBACK_FROM: sender.value}, pool

    async def _sender(
        self,
        account: Account,
        raw_from: str | None,
        service: MessagingService | None,
        to: Address,
        read: list[senders.Candidate] | None = None,
    ) -> tuple[Address | None, str | None]:
        """The sender, and the Messaging Service its number belongs to (for opt-outs).
        ``read``: the service's pool if this request has read it already."""
        if not raw_from:
            if service is not None and not await self._pool(service, read):
                raise TwilioError(21703)
            return None, None
        sender = parse_from(raw_from)
        if sender.kind is AddressKind.ALPHANUMERIC:
            return sender, None  # alphanumeric sender IDs need no ownership
        if (code := magic.from_error(sender.identity)) is not None:
            raise TwilioError(code)
        if sender.identity == magic.VALID_FROM and service is None:
            return sender, None  # Twilio's always-valid test sender
        found: tuple[PhoneNumber | AccountSender, MessagingService | None] | None
        found = await account_number(self._rt.store, account.sid, sender.identity)
        if found is None:  # a short code or channel sender (WhatsApp, RCS) of the account?
            found = await held_sender(self._rt.store, account.sid, sender.value)
        if found is None:
            raise TwilioError(
                21606,
                f"The 'From' phone number provided ({raw_from}) is not a valid message-capable "
                "Twilio phone number for this destination/account.",
            )
        pool = found[1]
        if service is not None and not {sender.identity, sender.value} & set(
            await self._pool(service, read)
        ):
            raise TwilioError(21606, f"{raw_from} is not in the Messaging Service's sender pool")
        return sender, pool.sid if pool else None

    async def _check_opt_out(
        self,
        account: Account,
        to: Address,
        service: MessagingService | None,
        sender: Address | None,
        pool_service: str | None,
    ) -> None:
        """21610 when the handset texted STOP to this sender (or to its service)."""
        # Without a sender the request named a service (21603 otherwise), which is the key.
        number = sender.identity if sender else ""
        scope = service.sid if service else pool_service
        if await opted_out(self._rt.store, account.sid, to, number, scope):
            raise TwilioError(21610, f"Attempt to send to unsubscribed recipient {to.identity}")

    async def _pool(
        self, service: MessagingService, read: list[senders.Candidate] | None = None
    ) -> list[str]:
        """The wire addresses of every sender in the service's pool (``read``, if given)."""
        pool = read if read is not None else await self._candidates(service)
        return [c.value for c in pool]

    async def _candidates(self, service: MessagingService) -> list[senders.Candidate]:
        return await pools.candidates(self._rt.store, service.sid)

    @staticmethod
    def _check_media(urls: list[str]) -> None:
        if len(urls) > MAX_MEDIA:
            raise TwilioError(21623, f"Too many media URLs: {len(urls)} (at most {MAX_MEDIA})")
        for url in urls:
            if not is_callback_url(url):
                raise TwilioError(21620, f"Invalid media URL: {url}")

    @staticmethod
    def _validity(raw: str | None) -> int | None:
        if raw is None or raw == "":
            return None
        if not raw.strip().isdigit() or not 1 <= int(raw) <= 36000:
            raise TwilioError(21624, f"Invalid validity period value: {raw}")
        return int(raw)

    def _schedule(
        self, request: CreateMessage, service: MessagingService | None
    ) -> datetime | None:
        if not request.send_at and not request.schedule_type:
            return None
        if request.schedule_type != "fixed":
            raise TwilioError(35111, "ScheduleType must be 'fixed' to schedule a message")
        if not request.send_at:
            raise TwilioError(35114, "SendAt is required when ScheduleType is set")
        if service is None:
            raise TwilioError(35118)
        send_at = parse_send_at(request.send_at)
        ahead = send_at - self._rt.clock.now()
        if not SCHEDULE_MIN < ahead <= SCHEDULE_MAX:
            raise TwilioError(35115, "SendAt must be between 5 minutes and 35 days in the future")
        return send_at

    # Fetch, list, update, delete ------------------------------------------------------------

    async def get(self, account: Account, sid: str) -> Message:
        message = await self._rt.store.get_message(account.sid, sid)
        if message is None:
            raise NotFound()
        return message

    async def list(
        self, account: Account, filters: MessageFilter, page: PageRequest
    ) -> Page[Message]:
        return await self._rt.store.list_messages(account.sid, filters, page)

    async def update(
        self, account: Account, sid: str, body: str | None, status: str | None
    ) -> Message:
        message = await self.get(account, sid)
        now = self._rt.clock.now()
        if status is not None and status != "":
            if status != "canceled":
                raise TwilioError(
                    20001, f"Invalid Status {status!r}: only 'canceled' is allowed", http_status=400
                )
            if message.status not in CANCELABLE_STATUSES:
                raise TwilioError(30409)
            message = dataclasses.replace(
                message, status=apply_event(message.status, Event.CANCEL), date_updated=now
            )
            jobs = [j for j in [status_callback_job(message, now)] if j is not None]
            events = [StatusEvent(message.sid, message.status.value, now)]
            with self._rt.outbox.handoff(jobs) as claim:
                await self._rt.store.update_message(message, jobs, events, claim)
        if body is not None:
            if body != "":
                raise TwilioError(
                    20001,
                    "Body can only be updated to an empty string (redaction)",
                    http_status=400,
                )
            message = dataclasses.replace(message, body="", date_updated=now)
            await self._rt.store.update_message(message)
        return message

    async def delete(self, account: Account, sid: str) -> None:
        message = await self.get(account, sid)
        if message.direction is not Direction.INBOUND and (
            message.status not in SETTLED_STATUSES | {MessageStatus.CANCELED}
        ):
            raise TwilioError(20009)
        await self._rt.store.delete_message(account.sid, sid)

    async def feedback(self, account: Account, sid: str, outcome: str | None) -> MessageFeedback:
        """Record whether the message's recipient did what it asked (SPEC §21.1); a second
        outcome replaces the first. No Outcome means ``confirmed``: the call itself says so."""
        outcome = _one_of("Outcome", outcome, FEEDBACK_OUTCOMES, "confirmed")
        message = await self.get(account, sid)
        now = self._rt.clock.now()
        feedback = MessageFeedback(message.account_sid, message.sid, outcome, now, now)
        return await self._rt.store.save_feedback(feedback)

    async def list_media(
        self, account: Account, message_sid: str, page: PageRequest
    ) -> Page[Media]:
        await self.get(account, message_sid)
        return await self._rt.store.list_media(account.sid, message_sid, page)

    async def get_media(self, account: Account, message_sid: str, sid: str) -> Media:
        media = await self._rt.store.get_media(account.sid, message_sid, sid)
        if media is None:
            raise NotFound()
        return media

    async def delete_media(self, account: Account, message_sid: str, sid: str) -> None:
        if not await self._rt.store.delete_media(account.sid, message_sid, sid):
            raise NotFound()

    async def media_content(
        self, account: Account, message_sid: str, sid: str
    ) -> tuple[Media, bytes | None]:
        media = await self.get_media(account, message_sid, sid)
        return media, await self._rt.store.get_media_content(sid)
