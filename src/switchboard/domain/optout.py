"""Opt-out keywords (Twilio's default STOP filtering on long codes and toll-free numbers).

Only a message that is exactly one keyword counts ("STOP", "stop ", not "please stop"). STOP and
its synonyms opt the handset out of the number (or of the whole Messaging Service the number
belongs to); START/YES/UNSTOP opt it back in; HELP/INFO ask for help. Each gets Twilio's default
reply, and the message still reaches the app's webhook.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Keyword(StrEnum):
    STOP = "STOP"
    START = "START"
    HELP = "HELP"


WORDS: Final = MappingProxyType(
    {
        **dict.fromkeys(
            ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"),
            Keyword.STOP,
        ),
        **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.START),
        **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
    }
)

DEFAULT_REPLIES: Final = MappingProxyType(
    {
        Keyword.STOP: "You have successfully been unsubscribed. You will not receive any more "
        "messages from this number. Reply START to resubscribe.",
        Keyword.START: "You have successfully been re-subscribed to messages from this number. "
        "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
        Keyword.HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    }
)


def classify(body: str) -> Keyword | None:
    """The keyword a message is, if it is exactly one (case and surrounding space ignored)."""
    return WORDS.get(body.strip().upper())


def sender_key(phone_number: str, messaging_service_sid: str | None) -> str:
    """What an opt-out applies to: the whole service when the number is in one."""
    return messaging_service_sid or phone_number
