"""What a fetch shows of a message whose sender chose not to keep its content or addresses
(Messages create ``ContentRetention=discard``, ``AddressRetention=obfuscate``; SPEC §6.2).

Twilio keeps what it needs to deliver the message and lets go of the rest: switchboard shows
the body as ``""`` (Twilio's redacted body, SPEC §6.5) and the recipient with its last four
digits as ``X`` once the delivery outcome is known (a settled status, domain/lifecycle.py).
Before that, and in the carrier's own steps and callbacks, the message is whole. Pure.
"""

from __future__ import annotations

from typing import Final

from switchboard.domain.lifecycle import is_settled
from switchboard.domain.models import Message

CONTENT_RETENTION: Final = frozenset({"retain", "discard"})
ADDRESS_RETENTION: Final = frozenset({"retain", "obfuscate"})
HIDDEN_DIGITS: Final = 4


def shown_body(message: Message) -> str:
    if message.content_retention == "discard" and is_settled(message.status):
        return ""
    return message.body


def shown_to(message: Message) -> str:
    if message.address_retention == "obfuscate" and is_settled(message.status):
        return obfuscate(message.to)
    return message.to


def obfuscate(address: str) -> str:
    """``+14155550199`` -> ``+1415555XXXX``; the channel prefix (``whatsapp:``) stays."""
    prefix, _, identity = address.rpartition(":")
    head = prefix + ":" if prefix else ""
    if len(identity) <= HIDDEN_DIGITS:
        return head + "X" * len(identity)
    return head + identity[:-HIDDEN_DIGITS] + "X" * HIDDEN_DIGITS
