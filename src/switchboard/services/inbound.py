"""A simulated handset sends a message to one of our numbers (``/_sim/inbound``).

The inbound Message (direction ``inbound``, status ``received``), its media and the
incoming-webhook job are written in one transaction; the webhook follows asynchronously.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from switchboard.domain.callbacks import HANDSET_EXTRAS, OPT_OUT_TYPE, inbound_params
from switchboard.domain.encoding import check_body_length
from switchboard.domain.errors import TwilioError
from switchboard.domain.jobs import IncomingDelivery, delivery_token, new_job
from switchboard.domain.lifecycle import received_status
from switchboard.domain.media import guess_content_type, media_path
from switchboard.domain.models import (
    Account,
    AccountSender,
    Direction,
    Media,
    Message,
    MessagingService,
    NewJob,
    PhoneNumber,
)
from switchboard.domain.optout import STANDARD_OPT_OUT, Keyword, OptOutSettings, sender_key
from switchboard.domain.outbound import Draft, build
from switchboard.domain.phone import Address, Channel, parse_address
from switchboard.domain.routing import route_inbound
from switchboard.domain.segments import count_segments
from switchboard.domain.sids import SidPrefix
from switchboard.services.accounts import AccountService
from switchboard.services.content import REPLIED_SID, reply_context
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
    def __init__(self, runtime: Runtime, timeline: Timeline, accounts: AccountService) -> None:
        self._rt = runtime
        self._timeline = timeline
        self._accounts = accounts

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
        found = await self._recipient(to)
        owner = None if found is None else await self._owner(caller, via_key, found[0])
        if found is None or owner is None:
            raise TwilioError(
                21211, f"{to.identity} is not a phone number of this account", http_status=404
            )
        await self._accounts.require_active(owner)
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
        extras = {k: v for k, v in inbound.extras.items() if k in HANDSET_EXTRAS}
        if sender.channel is Channel.WHATSAPP and sender.is_phone_number:
            extras.setdefault("WaId", sender.identity.lstrip("+"))
        body = inbound.body
        if REPLIED_SID in extras:  # a reply to one of our messages, or a tap on its button
            extras, body = await reply_context(
                self._rt.store, number.account_sid, sender, to, extras, body
            )
        keyword, opt_out = None, STANDARD_OPT_OUT
        if to.channel is Channel.SMS:
            opt_out = await self._opt_out_settings(service)
            keyword = opt_out.classify(inbound.body)
        if keyword is not None and opt_out.enabled:
            extras[OPT_OUT_TYPE] = keyword.value  # Advanced Opt-Out tells the app (SPEC §1.4)
        message = Message(
            sid=sid,
            account_sid=number.account_sid,
            messaging_service_sid=service.sid if service else None,
            direction=Direction.INBOUND,
            from_=sender.value,
            to=to.value,
            body=body,
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
        auto_reply = None
        if keyword is not None:
            # Before the inbound message (and its webhook job) exists, so that the app's own
            # TwiML reply to a STOP is already blocked.
            reply = opt_out.reply(keyword)
            auto_reply = await self._apply_keyword(keyword, reply, message, service, sender, to)
        store, outbox = self._rt.store, self._rt.outbox
        with outbox.handoff(jobs) as claim:
            stored = await store.insert_message(message, media, jobs, content, claim)
        if auto_reply is not None:
            first = await self._timeline.first_job(auto_reply, now)
            reply_jobs = [first] if first is not None else []
            with outbox.handoff(reply_jobs) as claim:
                await store.insert_message(auto_reply, (), reply_jobs, claim=claim)
        return stored

    async def _recipient(
        self, to: Address
    ) -> tuple[PhoneNumber | AccountSender, MessagingService | None] | None:
        """The number texted, or else the short code or channel sender (WhatsApp, RCS) with
        that address, and the Messaging Service whose pool holds it."""
        found = await self._rt.store.find_number_and_service(to.identity)
        if found is not None:
            return found
        return await self._rt.store.find_account_sender(to.value)

    async def _opt_out_settings(self, service: MessagingService | None) -> OptOutSettings:
        """Advanced Opt-Out for a number in ``service``: on unless the service turned it off;
        Twilio's default filtering alone for a number outside any service."""
        if service is None:
            return STANDARD_OPT_OUT
        stored = await self._rt.store.get_opt_out_settings(service.sid)
        return stored if stored is not None else OptOutSettings()

    async def _apply_keyword(
        self,
        keyword: Keyword,
        text: str,
        inbound: Message,
        service: MessagingService | None,
        handset: Address,
        number: Address,
    ) -> Message | None:
        """Opt the handset out or in, and the reply ``text`` (None when no reply is due)."""
        store, now = self._rt.store, self._rt.clock.now()
        key = sender_key(number.value, service.sid if service else None)
        if keyword is Keyword.STOP:
            await store.set_opt_out(inbound.account_sid, key, handset.value, True, now)
        elif keyword is Keyword.START:
            await store.set_opt_out(inbound.account_sid, key, handset.value, False, now)
        elif await store.is_opted_out(inbound.account_sid, key, handset.value):
            return None  # HELP from an opted-out handset gets no reply
        reply = Draft(
            account_sid=inbound.account_sid,
            direction=Direction.OUTBOUND_REPLY,
            to=handset,
            sender=number,
            body=text,
            messaging_service_sid=inbound.messaging_service_sid,
            in_reply_to=inbound.sid,
        )
        return build(reply, now=now, new_sid=self._rt.new_sid).message

    async def _owner(
        self, caller: Account, via_key: bool, number: PhoneNumber | AccountSender
    ) -> Account | None:
        """The account that owns ``number`` if ``caller`` may inject into it: its own number,
        or (with the main account's own credentials, not a key) a subaccount's; else None."""
        if number.account_sid == caller.sid:
            return caller
        if via_key:
            return None
        owner = await self._rt.store.get_account(number.account_sid)
        if owner is None or owner.owner_account_sid != caller.sid:
            return None
        return owner

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
