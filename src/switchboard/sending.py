"""The store's answers every new outbound message needs, whichever path creates it.

A REST send (services/messages.py) and a TwiML reply (webhooks/incoming.py) ask the same two
questions before they build the message with domain/outbound.py: is this sender a number of the
account, and did the handset opt out of it. A reply asks a third when loop protection is on:
is the conversation held (14107). What each path does with a "no" differs the way Twilio's paths
differ; domain/outbound.py lists those differences. This module sits below both (the webhooks
may not import the services), and does no more than read the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from switchboard.domain.loops import LOOP_ERROR, MAX_RUN, PastReply, loop_refusal
from switchboard.domain.models import AccountSender, Message, MessagingService, PhoneNumber
from switchboard.domain.optout import sender_key
from switchboard.domain.phone import Address, Channel
from switchboard.ports import Store


async def account_number(
    store: Store, account_sid: str, identity: str
) -> tuple[PhoneNumber, MessagingService | None] | None:
    """The account's number ``identity`` and the Messaging Service whose pool holds it; None
    when the number is not the account's (or no one's)."""
    found = await store.find_number_and_service(identity)
    if found is None or found[0].account_sid != account_sid:
        return None
    return found


async def held_sender(
    store: Store, account_sid: str, address: str
) -> tuple[AccountSender, MessagingService | None] | None:
    """The account's short code or channel sender with this wire ``address`` and the service
    whose pool holds it; None when it is not the account's."""
    found = await store.find_account_sender(address)
    if found is None or found[0].account_sid != account_sid:
        return None
    return found


async def opted_out(
    store: Store, account_sid: str, to: Address, sender: str, service_sid: str | None
) -> bool:
    """Whether the handset ``to`` texted STOP to ``sender``, or to the whole service
    ``service_sid`` when the message goes in the name of one. Only SMS has opt-out keywords."""
    if to.channel is not Channel.SMS:
        return False
    return await store.is_opted_out(account_sid, sender_key(sender, service_sid), to.identity)


async def loop_held(
    store: Store, sender: Address, to: Address, now: datetime, earlier: Iterable[Message] = ()
) -> int | None:
    """14107 if loop protection holds a reply from ``sender`` to ``to`` created at ``now``
    (domain/loops.py), else None. ``earlier``: the replies of the same exchange, built but not
    stored yet (an exchange commits its replies together)."""
    history = await store.reply_history(sender.value, to.value, MAX_RUN)
    pending = [
        PastReply(reply.date_created, held=reply.error_code == LOOP_ERROR)
        for reply in earlier
        if reply.from_ == sender.value and reply.to == to.value
    ]
    return loop_refusal([*history, *pending], now)
