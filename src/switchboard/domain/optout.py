"""Opt-out keywords (Twilio's default STOP filtering on long codes and toll-free numbers) and
Advanced Opt-Out, on by default for the numbers of a Messaging Service (SPEC §1.4).

Only a message that is exactly one keyword counts ("STOP", "stop ", not "please stop"). STOP and
its synonyms opt the handset out of the number (or of the whole Messaging Service the number
belongs to); START/YES/UNSTOP opt it back in; HELP/INFO ask for help. Each gets Twilio's default
reply, and the message still reaches the app's webhook.

With Advanced Opt-Out (a number in a Messaging Service, unless the service turned it off) the
webhook also carries ``OptOutType`` (STOP, START or HELP), and the service may add keywords of
its own to each kind and replace each reply: ``OptOutSettings``. Twilio configures these in its
Console only; switchboard takes them at ``/_sim/services/{MG}/opt-out`` (docs/carrier.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final


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


MAX_KEYWORD_LENGTH: Final = 40
MAX_REPLY_LENGTH: Final = 1600


def classify(body: str) -> Keyword | None:
    """The keyword a message is, if it is exactly one (case and surrounding space ignored)."""
    return WORDS.get(body.strip().upper())


class InvalidOptOutSettings(ValueError):
    """A settings document that cannot be applied (the message says why)."""


@dataclass(frozen=True, slots=True)
class OptOutSettings:
    """A Messaging Service's Advanced Opt-Out: on or off, its own keywords and replies.

    Custom keywords add to Twilio's (they never replace STOP and its synonyms, which carriers
    require); a custom reply replaces Twilio's default one for that kind.
    """

    enabled: bool = True
    keywords: Mapping[Keyword, tuple[str, ...]] = field(default_factory=dict)
    replies: Mapping[Keyword, str] = field(default_factory=dict)

    def classify(self, body: str) -> Keyword | None:
        word = body.strip().upper()
        found = WORDS.get(word)
        if found is not None or not self.enabled:
            return found
        for keyword, words in self.keywords.items():
            if word in words:
                return keyword
        return None

    def reply(self, keyword: Keyword) -> str:
        if self.enabled and keyword in self.replies:
            return self.replies[keyword]
        return DEFAULT_REPLIES[keyword]

    def to_json(self) -> dict[str, Any]:
        """``{"enabled": true, "stop": {"keywords": [...], "reply": "..."|null}, ...}``."""
        document: dict[str, Any] = {"enabled": self.enabled}
        for keyword in Keyword:
            document[keyword.value.lower()] = {
                "keywords": list(self.keywords.get(keyword, ())),
                "reply": self.replies.get(keyword),
            }
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> OptOutSettings:
        """Read (and check) a settings document; missing parts keep their defaults."""
        if not isinstance(document, Mapping):
            raise InvalidOptOutSettings("the settings must be a JSON object")
        unknown = set(document) - {"enabled", *(k.value.lower() for k in Keyword)}
        if unknown:
            raise InvalidOptOutSettings(f"unknown settings: {', '.join(sorted(unknown))}")
        enabled = document.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InvalidOptOutSettings("'enabled' must be true or false")
        keywords: dict[Keyword, tuple[str, ...]] = {}
        replies: dict[Keyword, str] = {}
        seen: dict[str, Keyword] = dict(WORDS)
        for keyword in Keyword:
            part = document.get(keyword.value.lower()) or {}
            if not isinstance(part, Mapping) or set(part) - {"keywords", "reply"}:
                raise InvalidOptOutSettings(
                    f"'{keyword.value.lower()}' must be an object with 'keywords' and 'reply'"
                )
            words = tuple(_keyword(raw, keyword, seen) for raw in part.get("keywords") or ())
            if words:
                keywords[keyword] = words
            reply = part.get("reply")
            if reply is not None:
                if not isinstance(reply, str) or not reply.strip():
                    raise InvalidOptOutSettings(f"the {keyword.value} reply must be a text")
                if len(reply) > MAX_REPLY_LENGTH:
                    raise InvalidOptOutSettings(
                        f"the {keyword.value} reply is longer than {MAX_REPLY_LENGTH} characters"
                    )
                replies[keyword] = reply
        return cls(enabled=enabled, keywords=keywords, replies=replies)


def _keyword(raw: object, kind: Keyword, seen: dict[str, Keyword]) -> str:
    """One custom keyword: a single word, not already a keyword (of any kind)."""
    if not isinstance(raw, str):
        raise InvalidOptOutSettings(f"{kind.value} keywords must be texts")
    word = raw.strip().upper()
    if not word or any(c.isspace() for c in word) or len(word) > MAX_KEYWORD_LENGTH:
        raise InvalidOptOutSettings(
            f"{raw!r} is not a keyword: one word of at most {MAX_KEYWORD_LENGTH} characters"
        )
    if word in seen:
        raise InvalidOptOutSettings(f"{word} is already a {seen[word].value} keyword")
    seen[word] = kind
    return word


# A number outside any Messaging Service: Twilio's default filtering, no OptOutType.
STANDARD_OPT_OUT: Final = OptOutSettings(enabled=False)


def sender_key(phone_number: str, messaging_service_sid: str | None) -> str:
    """What an opt-out applies to: the whole service when the number is in one."""
    return messaging_service_sid or phone_number
