"""A simulated handset sends a message to one of our numbers (``/_sim/inbound``).

The inbound Message (direction ``inbound``, status ``received``), its media and the
incoming-webhook job are written in one transaction; the webhook follows asynchronously.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from switchboard.domain.callbacks import INBOUND_EXTRAS, inbound_params
from switchboard.domain.encoding import check_body_length
from switchboard.domain.errors import TwilioError
from switchboard.domain.jobs import IncomingDelivery, delivery_token, new_job
from switchboard.domain.lifecycle import initial_status, received_status
from switchboard.domain.media import guess_content_type, media_path
from switchboard.domain.models import (
    Account,
    Direction,
    Media,
    Message,
    MessagingService,
    NewJob,
)
from switchboard.domain.optout import DEFAULT_REPLIES, Keyword, classify, sender_key
from switchboard.domain.phone import Channel, parse_address
from switchboard.domain.routing import route_inbound
from switchboard.domain.segments import count_segments
from switchboard.domain.sids import SidPrefix
from switchboard.services.runtime import Runtime
from switchboard.timeline import Timeline

MAX_MEDIA = 10


@dataclass(frozen=True, slots=True)
class InboundMedia:
    content_type: str | None = None
    url: str | None = None  # media the handset points at
    content: bytes | None = None  # media the handset uploads


@dataclass(frozen=True, slots=True)
class InboundMessage:
    from_: str
    to: str
    body: str = ""
    media: Sequence[InboundMedia] = ()
    extras: Mapping[str, str] = field(default_factory=dict)


def _invalid_sender(raw: str, channel: Channel) -> str:
    if channel is Channel.SMS:
        formats = (
            "an E.164 number (+14155550100), a 5-6 digit short code or an alphanumeric sender "
            "ID (1-11 letters, digits or spaces, at least one letter)"
        )
    else:
        formats = f"the '{channel.value}:' prefix of 'To' and an address of that channel"
    return f"The 'From' {raw!r} is not a valid {channel.value} address: use {formats}."


class InboundService:
    def __init__(self, runtime: Runtime, timeline: Timeline) -> None:
        self._rt = runtime
        self._timeline = timeline

    async def receive(self, caller: Account, via_key: bool, inbound: InboundMessage) -> Message:
        """Store ``inbound`` for the number it is addressed to, which ``caller`` must own (or,
        for a main account's own credentials, one of its subaccounts must own)."""
        to = parse_address(inbound.to or "")
        if to is None:
            raise TwilioError(21211, f"The 'To' number {inbound.to!r} is not a valid address.")
        sender = parse_address(inbound.from_ or "")
        if sender is None or sender.channel is not to.channel:
            # A handset sends from an address of the channel it texts on (SPEC §1.5): E.164, a
            # short code or an alphanumeric sender ID on SMS; ``whatsapp:<E.164>`` on WhatsApp.
            raise TwilioError(21212, _invalid_sender(inbound.from_, to.channel))
        found = await self._rt.store.find_number_and_service(to.identity)
        if found is None or not await self._may_use(caller, via_key, found[0].account_sid):
            raise TwilioError(
                21211, f"{to.identity} is not a phone number of this account", http_status=404
            )
        number, service = found
        check_body_length(inbound.body)
        if len(inbound.media) > MAX_MEDIA:
            raise TwilioError(21623, f"At most {MAX_MEDIA} media items, not {len(inbound.media)}")
        now = self._rt.clock.now()
        sid = self._rt.new_sid(SidPrefix.MEDIA_MESSAGE if inbound.media else SidPrefix.MESSAGE)
        # The parts the handset's carrier sent: media do not make an inbound SMS one part.
        segments = count_segments(
            inbound.body, num_media=0, channel=to.channel, smart_encoding=False
        )
        extras = {k: v for k, v in inbound.extras.items() if k in INBOUND_EXTRAS}
        if sender.channel is Channel.WHATSAPP and sender.is_phone_number:
            extras.setdefault("WaId", sender.identity.lstrip("+"))
        message = Message(
            sid=sid,
            account_sid=number.account_sid,
            messaging_service_sid=service.sid if service else None,
            direction=Direction.INBOUND,
            from_=sender.value,
            to=to.value,
            body=inbound.body,
            status=received_status(),
            num_segments=segments,
            num_media=len(inbound.media),
            date_created=now,
            date_updated=now,
            date_sent=now,
            extra=extras,
        )
        media, content = self._media(number.account_sid, sid, inbound.media)
        jobs: list[NewJob] = []
        route = route_inbound(number, service)
        if route is not None:
            base = self._rt.config.base_url
            links = [
                (f"{base}{media_path(m.account_sid, m.message_sid, m.sid)}", m.content_type)
                for m in media
            ]
            delivery = IncomingDelivery(
                route, inbound_params(message, links), delivery_token(sid, "incoming")
            )
            jobs.append(new_job(delivery, now, number.account_sid, sid))
        keyword = classify(inbound.body) if to.channel is Channel.SMS else None
        auto_reply = None
        if keyword is not None:
            # Before the inbound message (and its webhook job) exists, so that the app's own
            # TwiML reply to a STOP is already blocked.
            auto_reply = await self._apply_keyword(keyword, message, service)
        store, outbox = self._rt.store, self._rt.outbox
        with outbox.handoff(jobs) as claim:
            stored = await store.insert_message(message, media, jobs, content, claim)
        if auto_reply is not None:
            first = await self._timeline.first_job(auto_reply, now)
            reply_jobs = [first] if first is not None else []
            with outbox.handoff(reply_jobs) as claim:
                await store.insert_message(auto_reply, (), reply_jobs, claim=claim)
        return stored

    async def _apply_keyword(
        self, keyword: Keyword, inbound: Message, service: MessagingService | None
    ) -> Message | None:
        """Opt the handset out or in, and Twilio's default reply (None when none is due)."""
        store, now = self._rt.store, self._rt.clock.now()
        handset = inbound.from_ or ""
        key = sender_key(inbound.to, service.sid if service else None)
        if keyword is Keyword.STOP:
            await store.set_opt_out(inbound.account_sid, key, handset, True, now)
        elif keyword is Keyword.START:
            await store.set_opt_out(inbound.account_sid, key, handset, False, now)
        elif await store.is_opted_out(inbound.account_sid, key, handset):
            return None  # HELP from an opted-out handset gets no reply
        body = DEFAULT_REPLIES[keyword]
        return Message(
            sid=self._rt.new_sid(SidPrefix.MESSAGE),
            account_sid=inbound.account_sid,
            messaging_service_sid=inbound.messaging_service_sid,
            direction=Direction.OUTBOUND_REPLY,
            from_=inbound.to,
            to=handset,
            body=body,
            status=initial_status(messaging_service=False, scheduled=False),
            num_segments=count_segments(
                body, num_media=0, channel=Channel.SMS, smart_encoding=False
            ),
            num_media=0,
            date_created=now,
            date_updated=now,
            in_reply_to=inbound.sid,
        )

    async def _may_use(self, caller: Account, via_key: bool, owner_sid: str) -> bool:
        if owner_sid == caller.sid:
            return True
        if via_key:
            return False
        owner = await self._rt.store.get_account(owner_sid)
        return owner is not None and owner.owner_account_sid == caller.sid

    def _media(
        self, account_sid: str, message_sid: str, items: Sequence[InboundMedia]
    ) -> tuple[list[Media], dict[str, bytes]]:
        now = self._rt.clock.now()
        media: list[Media] = []
        content: dict[str, bytes] = {}
        for item in items:
            sid = self._rt.new_sid(SidPrefix.MEDIA)
            kind = item.content_type or (guess_content_type(item.url) if item.url else None)
            media.append(
                Media(
                    sid=sid,
                    account_sid=account_sid,
                    message_sid=message_sid,
                    content_type=kind or "application/octet-stream",
                    source_url=item.url,
                    size=len(item.content or b""),
                    date_created=now,
                    date_updated=now,
                )
            )
            if item.content is not None:
                content[sid] = item.content
        return media, content
