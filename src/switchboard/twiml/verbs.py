"""Typed TwiML-for-Messaging verbs: what a reply document *means*, free of XML (SPEC §4).

A messaging TwiML document is a program of at most two kinds of instruction, run top to
bottom: ``<Message>`` (send a reply) and ``<Redirect>`` (fetch another document and continue
there). :func:`switchboard.twiml.parse.parse_twiml` turns the XML into these values so that
everything downstream (creating ``outbound-reply`` messages, following ``action`` and
``<Redirect>`` chains, counting the 10-replies and 50-documents session limits) works on plain,
immutable data and never touches XML again.

Values here are already validated and normalised by the parser: bodies trimmed, methods
upper-case, at most 10 media URLs per message. URLs are kept exactly as written (after
trimming): resolving relative URLs needs the URL of the document they came from, which only
the caller knows (SPEC §4.2, inferred).

Problems that do not stop execution (Twilio's "warning" level alerts such as 12200 or 14109)
travel alongside the verbs as :class:`TwimlWarning` values, so the caller can record them on
the webhook attempt exactly as Twilio's debugger would show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

# A webhook reply larger than this is refused with 11750 (SPEC §1.7: "larger than 64 kB").
MAX_DOCUMENT_BYTES: Final = 65536
# At most 10 reply messages per incoming message (14109) and 10 <Media> per <Message> (SPEC §4.3).
MAX_MESSAGES: Final = 10
MAX_MEDIA: Final = 10
# TwiML's own version values (the two REST API versions); anything else on <Response> is 12101.
KNOWN_VERSIONS: Final = frozenset({"2008-08-01", "2010-04-01"})
# Methods allowed on <Message method> and <Redirect method>; the default for both is POST.
METHODS: Final = frozenset({"GET", "POST"})
DEFAULT_METHOD: Final = "POST"


@dataclass(frozen=True, slots=True)
class Message:
    """One reply to send. ``body`` is ``""`` for a media-only message; ``None`` attributes
    mean "absent", so the caller applies Twilio's defaults (reply to the sender, from the
    number that received the inbound message, no callback)."""

    body: str = ""
    media: tuple[str, ...] = ()
    to: str | None = None
    from_: str | None = None
    action: str | None = None
    method: str | None = None
    status_callback: str | None = None

    @property
    def callback_method(self) -> str:
        """The HTTP method for ``action``/``statusCallback`` requests (SPEC §4.2: default POST)."""
        return self.method if self.method is not None else DEFAULT_METHOD


@dataclass(frozen=True, slots=True)
class Redirect:
    """Fetch ``url`` (possibly relative) with ``method`` and carry on with its TwiML."""

    url: str
    method: str = DEFAULT_METHOD


Verb: TypeAlias = Message | Redirect


@dataclass(frozen=True, slots=True)
class TwimlWarning:
    """A non-fatal problem, in Twilio's alert vocabulary (``code`` from the error catalogue)."""

    code: int
    detail: str


@dataclass(frozen=True, slots=True)
class TwimlResponse:
    """The reachable verbs of one document, in execution order, plus its warnings.

    At most one :class:`Redirect` appears and only as the last verb; a :class:`Message` with an
    ``action`` can likewise only be last, because both hand control to another document.
    """

    verbs: tuple[Verb, ...] = ()
    warnings: tuple[TwimlWarning, ...] = ()

    @property
    def messages(self) -> tuple[Message, ...]:
        """The replies to send, in order."""
        return tuple(verb for verb in self.verbs if isinstance(verb, Message))

    @property
    def redirect(self) -> Redirect | None:
        """The trailing ``<Redirect>``, if the document ends with one."""
        last = self.verbs[-1] if self.verbs else None
        return last if isinstance(last, Redirect) else None

    @property
    def next_document(self) -> tuple[str, str] | None:
        """``(url, method)`` of the document that continues the flow, if any.

        That is the ``<Redirect>`` target, or the ``action`` of a final ``<Message>``: Twilio
        requests the action URL with the reply's status and runs the TwiML it returns (§4.2).
        """
        last = self.verbs[-1] if self.verbs else None
        if isinstance(last, Redirect):
            return last.url, last.method
        if isinstance(last, Message) and last.action is not None:
            return last.action, last.callback_method
        return None
