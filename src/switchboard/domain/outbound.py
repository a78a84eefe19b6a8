"""The one constructor of outbound messages: a REST send, a TwiML reply, a STOP/HELP answer.

Every path that creates an outbound message validates its own inputs, asks the store what it
must know (switchboard/sending.py: is the sender the account's, did the handset opt out), and
then hands a :class:`Draft` to :func:`build`, which decides everything else in one place: the
SIDs, the initial status, the segment count, the media, the error of a message refused on the
spot and the status callback that announces that refusal.

The REST API (services/messages.py) and a TwiML ``<Message>`` reply (webhooks/incoming.py)
differ where Twilio's two paths differ, and only there:

* **Who hears of a problem.** The API raises 4xx errors to the caller and creates nothing. A
  reply has no caller: an invalid ``to`` (14101) or ``from`` (14102) attribute, or a ``from``
  that is not the account's number (14108), is a warning on the webhook attempt and no message;
  a reply that can be addressed but not sent -- to an address that can only send (21612), to a
  handset that texted STOP (21610), in a conversation loop protection holds (14107, when it is
  on: domain/loops.py) -- is stored ``failed`` with that error (``Draft.refusal``),
  announced to its status callback (or by its ``action`` request), and 21612 also marks the
  attempt failed.
* **The sender.** The API checks every non-alphanumeric ``From`` (21606), knows Twilio's magic
  test numbers (``To`` and ``From``) and lets a Messaging Service choose the sender. A reply
  goes from the number that was texted unless the verb names another ``from``, which must then
  be the account's; no magic numbers.
* **The initial status.** An API send through a Messaging Service starts ``accepted``
  (``scheduled`` with ``SendAt``); a reply starts ``queued`` even when the inbound message came
  in through a service, whose SID it records (``Draft.through_service``).
* **The opt-out scope.** API: the request's service, else the service of the ``From`` number's
  pool, else the number. Reply: the inbound message's service, else the reply's sender.
* **Options.** Only the API has Smart Encoding, ``ValidityPeriod``, ``SendAt`` and validated
  absolute URLs (21609, 21620, 21623; a service's ``status_callback`` as the default). A reply's
  ``action``/``statusCallback`` and media URLs are resolved against the document that named
  them, its callback method is the verb's, and it records the message it answers (``in_reply_to``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from switchboard.domain.errors import describe
from switchboard.domain.jobs import status_callback_job
from switchboard.domain.lifecycle import initial_status
from switchboard.domain.media import guess_content_type
from switchboard.domain.models import Direction, Media, Message, NewJob
from switchboard.domain.phone import Address, Channel
from switchboard.domain.segments import count_segments
from switchboard.domain.sids import SidPrefix


@dataclass(frozen=True, slots=True)
class Draft:
    """An outbound message whose inputs its path has validated."""

    account_sid: str
    direction: Direction
    to: Address
    sender: Address | None  # None: the Messaging Service chooses one later
    body: str
    media_urls: Sequence[str] = ()
    messaging_service_sid: str | None = None
    # Sent through the Messaging Service, which still has to take it (``accepted``); a reply
    # records the service of the message it answers but is sent from a known number.
    through_service: bool = False
    smart_encoding: bool = False
    status_callback: str | None = None
    status_callback_method: str = "POST"
    validity_period: int | None = None
    send_at: datetime | None = None
    # The error a reply is refused with on the spot (21610, 21612, 14107): created ``failed``.
    refusal: int | None = None
    in_reply_to: str | None = None
    send_as_mms: bool = False  # SendAsMms: one MMS even without media (SMS channel only)
    content_retention: str = "retain"
    address_retention: str = "retain"
    # What the message records besides its fields: the template a ContentSid send came from
    # (services/content.py).
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outbound:
    """A new outbound message, its media, and the status callback due at its creation.

    Only a message refused on the spot has that callback: no callback announces an initial
    status (SPEC §5.2), but ``failed`` is a change the app must hear of. The carrier's first
    step is the timeline's to plan (``Timeline.first_job``)."""

    message: Message
    media: list[Media]
    callback: NewJob | None


def build(draft: Draft, *, now: datetime, new_sid: Callable[[str], str]) -> Outbound:
    """The message ``draft`` describes, created at ``now``; ``new_sid`` makes its SIDs (the
    message's first, then one per media item)."""
    media_urls = list(draft.media_urls)
    mms = bool(media_urls) or (draft.send_as_mms and draft.to.channel is Channel.SMS)
    sid = new_sid(SidPrefix.MEDIA_MESSAGE if mms else SidPrefix.MESSAGE)
    refusal = draft.refusal
    message = Message(
        sid=sid,
        account_sid=draft.account_sid,
        messaging_service_sid=draft.messaging_service_sid,
        direction=draft.direction,
        from_=None if draft.sender is None else draft.sender.value,
        to=draft.to.value,
        body=draft.body,
        status=initial_status(
            messaging_service=draft.through_service,
            scheduled=draft.send_at is not None,
            refused=refusal is not None,
        ),
        error_code=refusal,
        error_message=describe(refusal).message if refusal is not None else None,
        # Counted now, the only time the Smart Encoding choice is known (domain/segments.py).
        # An MMS is one part, with or without media.
        num_segments=1
        if mms
        else count_segments(
            draft.body,
            num_media=len(media_urls),
            channel=draft.to.channel,
            smart_encoding=draft.smart_encoding,
        ),
        num_media=len(media_urls),
        date_created=now,
        date_updated=now,
        status_callback=draft.status_callback,
        status_callback_method=draft.status_callback_method,
        validity_period=draft.validity_period,
        send_at=draft.send_at,
        in_reply_to=draft.in_reply_to,
        content_retention=draft.content_retention,
        address_retention=draft.address_retention,
        extra=dict(draft.extra),
    )
    media = [
        Media(
            sid=new_sid(SidPrefix.MEDIA),
            account_sid=draft.account_sid,
            message_sid=sid,
            content_type=guess_content_type(url),
            source_url=url,
            date_created=now,
            date_updated=now,
        )
        for url in media_urls
    ]
    callback = status_callback_job(message, now) if refusal is not None else None
    return Outbound(message, media, callback)
