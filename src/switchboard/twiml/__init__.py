"""TwiML for Messaging, as a pure function of the webhook reply (SPEC §1.7, §4).

``interpret_reply(content_type, body)`` is the entry point for a webhook's HTTP response;
``parse_twiml(document)`` handles a TwiML document alone. Both return a :class:`TwimlResponse`
(typed verbs plus warnings) or raise :class:`TwimlError` carrying Twilio's error code. No I/O:
the XML parser never expands entities or opens a file.
"""

from __future__ import annotations

from switchboard.twiml.parse import TwimlError, check_body, parse_twiml
from switchboard.twiml.reply import (
    TEXT_MEDIA_TYPE,
    TWIML_MEDIA_TYPES,
    interpret_reply,
    parse_content_type,
)
from switchboard.twiml.verbs import (
    DEFAULT_METHOD,
    KNOWN_VERSIONS,
    MAX_DOCUMENT_BYTES,
    MAX_MEDIA,
    MAX_MESSAGES,
    METHODS,
    Message,
    Redirect,
    TwimlResponse,
    TwimlWarning,
    Verb,
)

__all__ = [
    "DEFAULT_METHOD",
    "KNOWN_VERSIONS",
    "MAX_DOCUMENT_BYTES",
    "MAX_MEDIA",
    "MAX_MESSAGES",
    "METHODS",
    "TEXT_MEDIA_TYPE",
    "TWIML_MEDIA_TYPES",
    "Message",
    "Redirect",
    "TwimlError",
    "TwimlResponse",
    "TwimlWarning",
    "Verb",
    "check_body",
    "interpret_reply",
    "parse_content_type",
    "parse_twiml",
]
