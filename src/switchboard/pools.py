"""A Messaging Service's sender pool as the store holds it, and the sender it gives a message.

The rule is :mod:`switchboard.domain.senders`; this module gathers what it needs (the pool, the
recipient's sticky mapping, the handset) and records the decision with the mapping it creates,
in one transaction, so the dashboard and ``switchboard messages show`` can say why.
"""

from __future__ import annotations

from switchboard.domain import senders
from switchboard.domain.models import Message, MessagingService, SenderChoice
from switchboard.domain.phone import Address, parse_address
from switchboard.ports import Store


async def candidates(store: Store, service_sid: str) -> list[senders.Candidate]:
    """Every sender of the service's pool that the rule can use."""
    found = []
    for kind, address, country in await store.service_pool(service_sid):
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
) -> senders.Request | None:
    """What the rule needs to know of ``message``: None when its recipient is no address."""
    to = parse_address(message.to)
    if to is None:  # stored by the API, which parsed it: cannot happen, but never guess
        return None
    sticky = None
    if service.sticky_sender and to.channel in senders.STICKY_CHANNELS:
        sticky = await store.get_sticky_sender(service.sid, to.channel.value, to.identity)
    return senders.Request(
        to=to,
        handset=handset if handset is not None else senders.handset_of(to),
        mms=message.num_media > 0 or message.sid.startswith("MM"),
        sticky=sticky,
        fallback_from=message.extra.get(senders.FALLBACK_FROM),
    )


async def choose(
    store: Store,
    service: MessagingService,
    message: Message,
    handset: senders.Handset | None,
) -> senders.Choice:
    """The sender ``service`` gives ``message`` (not stored: see :func:`record`)."""
    request = await _request(store, service, message, handset)
    if request is None:
        return senders.Choice(None, senders.Rule.NONE, f"{message.to!r} is not an address")
    return senders.choose(await candidates(store, service.sid), request, settings_of(service))


async def fall_back(
    store: Store,
    service: MessagingService,
    message: Message,
    handset: senders.Handset | None,
    error: int,
) -> senders.Choice:
    """The SMS/MMS sender of ``message`` after its RCS attempt failed with ``error``."""
    request = await _request(store, service, message, handset)
    if request is None or message.from_ is None:
        return senders.Choice(None, senders.Rule.NONE, f"{message.to!r} is not an address")
    pool = await candidates(store, service.sid)
    return senders.fall_back(pool, request, settings_of(service), message.from_, error)


async def record(
    store: Store, service: MessagingService, message: Message, choice: senders.Choice
) -> None:
    """Store why ``message`` got its sender, and the recipient's sticky mapping if new."""
    to = parse_address(message.to)
    sticky = None
    if choice.remember and choice.sender is not None and isinstance(to, Address):
        sticky = (service.sid, to.channel.value, to.identity)
    decision = SenderChoice(
        message_sid=message.sid,
        rule=choice.rule.value,
        sender=choice.sender or "",
        detail=choice.detail,
        converted=choice.convert_mms,
        date_created=message.date_updated,
    )
    await store.record_sender_choice(decision, sticky)
