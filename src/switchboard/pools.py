"""A Messaging Service's sender pool as the store holds it, and the sender it gives a message.

The rule is :mod:`switchboard.domain.senders`; this module gathers what it needs (the pool and
the recipient's sticky mapping in one read, the handset) and builds the record of the decision
with the mapping it creates, which the timeline commits with the message it changes, so the
dashboard and ``switchboard messages show`` can say why.
"""

from __future__ import annotations

from switchboard.domain import senders
from switchboard.domain.models import Message, MessagingService, SenderChoice
from switchboard.domain.phone import Address, parse_address
from switchboard.ports import PoolEntry, StickyKey, Store


async def candidates(store: Store, service_sid: str) -> list[senders.Candidate]:
    """Every sender of the service's pool that the rule can use."""
    return _candidates(await store.service_pool(service_sid))


def _candidates(entries: list[PoolEntry]) -> list[senders.Candidate]:
    found = []
    for kind, address, country in entries:
        candidate = senders.candidate(address, kind, country)
        if candidate is not None:
            found.append(candidate)
    return found


def settings_of(service: MessagingService) -> senders.Settings:
    return senders.Settings(
        sticky_sender=service.sticky_sender,
        area_code_geomatch=service.area_code_geomatch,
        mms_converter=service.mms_converter,
    )


async def _request(
    store: Store, service: MessagingService, message: Message, handset: senders.Handset | None
) -> tuple[list[senders.Candidate], senders.Request] | None:
    """The pool and what the rule needs to know of ``message``, read at once (the pool and the
    sticky mapping are one statement); None when its recipient is no address."""
    to = parse_address(message.to)
    if to is None:  # stored by the API, which parsed it: cannot happen, but never guess
        return None
    entries, sticky = await store.sender_pool(service.sid, to.channel.value, to.identity)
    if not service.sticky_sender or to.channel not in senders.STICKY_CHANNELS:
        sticky = None  # kept while Sticky Sender is off, but not used (SPEC §7.2)
    request = senders.Request(
        to=to,
        handset=handset if handset is not None else senders.handset_of(to),
        mms=message.num_media > 0 or message.sid.startswith("MM"),
        sticky=sticky,
        fallback_from=message.extra.get(senders.FALLBACK_FROM),
    )
    return _candidates(entries), request


async def choose(
    store: Store,
    service: MessagingService,
    message: Message,
    handset: senders.Handset | None,
) -> senders.Choice:
    """The sender ``service`` gives ``message`` (not stored: see :func:`record`)."""
    found = await _request(store, service, message, handset)
    if found is None:
        return senders.Choice(None, senders.Rule.NONE, f"{message.to!r} is not an address")
    pool, request = found
    return senders.choose(pool, request, settings_of(service))


async def fall_back(
    store: Store,
    service: MessagingService,
    message: Message,
    handset: senders.Handset | None,
    error: int,
) -> senders.Choice:
    """The SMS/MMS sender of ``message`` after its RCS attempt failed with ``error``."""
    found = await _request(store, service, message, handset)
    if found is None or message.from_ is None:
        return senders.Choice(None, senders.Rule.NONE, f"{message.to!r} is not an address")
    pool, request = found
    return senders.fall_back(pool, request, settings_of(service), message.from_, error)


def decision(
    service: MessagingService, message: Message, choice: senders.Choice
) -> tuple[SenderChoice, StickyKey | None]:
    """Why ``message`` got its sender, and the recipient's sticky mapping if the choice makes
    one: stored with the message it changes (``JobOutcome.sender_choices``), so the decision
    costs no transaction of its own."""
    to = parse_address(message.to)
    sticky = None
    if choice.remember and choice.sender is not None and isinstance(to, Address):
        sticky = (service.sid, to.channel.value, to.identity)
    recorded = SenderChoice(
        message_sid=message.sid,
        rule=choice.rule.value,
        sender=choice.sender or "",
        detail=choice.detail,
        converted=choice.convert_mms,
        date_created=message.date_updated,
    )
    return recorded, sticky
