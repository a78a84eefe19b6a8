"""TwiML for Messaging: document -> verbs (SPEC §4, error codes from §1.10 and §4.6).

Theory. Parsing happens in two stages with two kinds of failure. The *XML* stage is untrusted
input handling: the size is checked before the parser sees a byte (11750), then defusedxml
parses with every entity declaration forbidden, so a billion-laughs bomb or an external entity
(``<!ENTITY x SYSTEM "file:///...">``) fails at its declaration, before any expansion and
without opening a file. A DOCTYPE alone is allowed (``forbid_dtd=False``) because it is
harmless without entities and expat never fetches an external DTD subset. Anything that is not
well-formed is 12100; leading whitespace before ``<?xml`` is already not well-formed to expat,
which matches Twilio's documented 12100 for that case at no cost. The *TwiML* stage interprets
the tree like Twilio: fatal problems raise :class:`TwimlError` (the caller then tries the
fallback URL); schema problems that Twilio reports as warnings are collected as
:class:`TwimlWarning` and the offending node is skipped.

Decisions where SPEC is silent or says "inferred" (each is tested):

* ``version`` on ``<Response>`` must be ``2008-08-01`` or ``2010-04-01`` if present, else 12101.
* Body text is the concatenation, in document order, of the text directly inside ``<Message>``
  and the text of every ``<Body>``, trimmed of XML whitespace (space, tab, CR, LF) at both ends.
  Whitespace-only runs directly inside ``<Message>`` are indentation, not content, so a
  pretty-printed ``<Body>A</Body> <Body>B</Body>`` is "AB" like the SDK's unindented output.
* A body over 1600 UTF-16 code units (SPEC §13.11) or a message with neither body nor media is
  14103. More than 10 ``<Media>``: the first 10 are kept with a 12200 warning (a schema
  violation, not a reason to drop the whole reply); an empty ``<Media>`` is skipped with 12200.
* ``method`` is GET/POST in any case, normalised to upper case, else 14104. Empty ``to`` is
  14101, empty ``from`` 14102; deeper address checks need account data and belong to services.
* ``statusCallback`` must be a URL (relative, or absolute http(s) with a host without
  underscores, SPEC §4.2) else 14105. ``action`` and the ``<Redirect>`` target are documents to
  fetch, i.e. webhook URLs, so the same check fails them with 11100 "Invalid URL format".
* Voice verbs (``<Say>``, ``<Dial>`` ...) are 14110 warnings; other unknown or miscased elements
  and unknown attributes are 12200 warnings; all are skipped, never fatal.
* Execution ends at ``<Redirect>`` and at a ``<Message action=...>`` (control passes to another
  document, §4.2/§4.4): later verbs are dropped with one 12200 warning and are not validated.
  ``<Message>`` verbs beyond the 10th are dropped, unvalidated, with one 14109 warning; a later
  ``<Redirect>`` still runs (the session-wide reply count is the caller's business).
"""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from switchboard.domain.encoding import MAX_BODY_CHARS, utf16_length
from switchboard.domain.errors import TwilioError
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

# XML's own whitespace (the S production); str.strip() would also eat NBSP and friends, which
# a sender may mean literally.
XML_WHITESPACE = " \t\r\n"

# Verbs of Voice TwiML: valid TwiML, just not for a messaging reply (14110 rather than 12200).
VOICE_VERBS = frozenset(
    {
        "Connect", "Conference", "Dial", "Echo", "Enqueue", "Gather", "Hangup", "Leave",
        "Pause", "Pay", "Play", "Prompt", "Queue", "Record", "Refer", "Reject", "Say", "Sms",
        "Start", "Stop",
    }
)  # fmt: skip

_RESPONSE_ATTRIBUTES = frozenset({"version"})
_MESSAGE_ATTRIBUTES = frozenset({"to", "from", "action", "method", "statusCallback"})
_REDIRECT_ATTRIBUTES = frozenset({"method"})


class TwimlError(TwilioError):
    """A reply document that cannot be carried out (fatal: nothing is sent, fallback applies)."""


def parse_twiml(document: bytes | str) -> TwimlResponse:
    """Interpret a TwiML-for-Messaging document; raise :class:`TwimlError` if it is unusable.

    ``bytes`` honour the XML declaration's encoding (UTF-8 by default); a ``str`` is already
    decoded, so its declared encoding is ignored.
    """
    # Measured in bytes on the wire; surrogatepass so a malformed str is still sized, then
    # rejected by the parser below instead of crashing here.
    raw = document if isinstance(document, bytes) else document.encode("utf-8", "surrogatepass")
    size = len(raw)
    if size > MAX_DOCUMENT_BYTES:
        raise TwimlError(11750, f"TwiML is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}")
    root = _parse_xml(document)
    if root.tag != "Response":
        raise TwimlError(12102, f"Root element is <{root.tag}>, expected <Response>")
    return _Interpreter().run(root)


def check_body(body: str) -> None:
    """Refuse an over-long reply body (14103); shared with the text/plain reply path."""
    length = utf16_length(body)
    if length > MAX_BODY_CHARS:
        raise TwimlError(14103, f"Body is {length} characters; the limit is {MAX_BODY_CHARS}")


def _parse_xml(document: bytes | str) -> Element:
    try:
        # Entities stay forbidden (defusedxml's default): that alone defeats entity bombs and
        # XXE. The library is untyped, hence the explicit annotation.
        root: Element = _defused_fromstring(document, forbid_dtd=False)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        # Besides malformed XML and forbidden constructs: an unknown declared encoding
        # (LookupError) or a str holding lone surrogates (UnicodeEncodeError, a ValueError).
        raise TwimlError(12100, f"Document parse failure: {exc}") from None
    return root


def _text(value: str | None) -> str:
    return value if value is not None else ""


def _has_content(value: str | None) -> bool:
    return bool(_text(value).strip(XML_WHITESPACE))


def _own_text(element: Element) -> str:
    """Text directly inside ``element``; the text of any (already warned-about) child is not."""
    return _text(element.text) + "".join(_text(child.tail) for child in element)


def _valid_url(value: str) -> bool:
    """Relative, or absolute http(s) with a real host name (no underscores, SPEC §4.2)."""
    # Whitespace and control characters are never part of a URL (RFC 3986); Twilio would have
    # to guess how to escape them.
    if not value or any(char.isspace() or ord(char) < 0x20 or char == "\x7f" for char in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        return False
    if not parts.scheme:
        return True
    host = parts.hostname
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return False
    return "_" not in host


def _checked_url(value: str, code: int, name: str) -> str:
    url = value.strip(XML_WHITESPACE)
    if not _valid_url(url):
        raise TwimlError(code, f"Invalid {name!r} URL {value!r}")
    return url


class _Interpreter:
    """Walks one ``<Response>``; holds the warnings so helpers need not thread a list."""

    def __init__(self) -> None:
        self.warnings: list[TwimlWarning] = []

    def warn(self, code: int, detail: str) -> None:
        self.warnings.append(TwimlWarning(code, detail))

    def run(self, root: Element) -> TwimlResponse:
        attributes = self.attributes(root, _RESPONSE_ATTRIBUTES)
        version = attributes.get("version")
        if version is not None and version not in KNOWN_VERSIONS:
            raise TwimlError(12101, f"Invalid TwiML version {version!r}")
        if _has_content(root.text):
            self.warn(12200, "Text directly inside <Response> was ignored")
        verbs: list[Verb] = []
        dropped_messages = 0
        children = list(root)
        for index, child in enumerate(children):
            if _has_content(child.tail):
                self.warn(12200, "Text directly inside <Response> was ignored")
            if child.tag == "Message":
                # Only messages precede the loop's exit, so len(verbs) counts messages.
                if len(verbs) >= MAX_MESSAGES:
                    dropped_messages += 1
                    continue
                message = self.message(child)
                verbs.append(message)
                if message.action is not None:
                    self.unreachable(children[index + 1 :], "<Message action>")
                    break
            elif child.tag == "Redirect":
                verbs.append(self.redirect(child))
                self.unreachable(children[index + 1 :], "<Redirect>")
                break
            elif child.tag in VOICE_VERBS:
                self.warn(14110, f"<{child.tag}> is not a messaging verb and was skipped")
            else:
                self.warn(12200, f"Unknown verb <{child.tag}> was skipped")
        if dropped_messages:
            self.warn(
                14109,
                f"{dropped_messages} <Message> verb(s) beyond the limit of {MAX_MESSAGES} "
                "were not sent",
            )
        return TwimlResponse(tuple(verbs), tuple(self.warnings))

    def unreachable(self, rest: list[Element], after: str) -> None:
        if rest:
            self.warn(12200, f"{len(rest)} verb(s) after {after} are unreachable and were ignored")

    def attributes(self, element: Element, known: frozenset[str]) -> dict[str, str]:
        """The known attributes (names are case-sensitive); unknown ones are 12200 warnings."""
        for name in sorted(set(element.attrib) - known):
            self.warn(12200, f"Unknown attribute {name!r} on <{element.tag}> was ignored")
        return {name: value for name, value in element.attrib.items() if name in known}

    def noun_text(self, noun: Element) -> str:
        """Text of ``<Body>``/``<Media>``, which take neither attributes nor children."""
        self.attributes(noun, frozenset())
        for child in noun:
            self.warn(12200, f"<{child.tag}> is not allowed inside <{noun.tag}> and was ignored")
        return _own_text(noun)

    def method(self, value: str | None) -> str | None:
        if value is None:
            return None
        normalised = value.strip(XML_WHITESPACE).upper()
        if normalised not in METHODS:
            raise TwimlError(14104, f"Invalid method {value!r}: use GET or POST")
        return normalised

    def message(self, element: Element) -> Message:
        attributes = self.attributes(element, _MESSAGE_ATTRIBUTES)
        # Only non-blank direct text counts: blank runs are the indentation between nouns.
        segments = [element.text] if element.text and _has_content(element.text) else []
        media: list[str] = []
        for child in element:
            if child.tag == "Body":
                segments.append(self.noun_text(child))
            elif child.tag == "Media":
                url = self.noun_text(child).strip(XML_WHITESPACE)
                if url:
                    media.append(url)
                else:
                    self.warn(12200, "Empty <Media> was skipped")
            else:
                self.warn(12200, f"<{child.tag}> is not allowed inside <Message> and was ignored")
            if child.tail and _has_content(child.tail):
                segments.append(child.tail)
        if len(media) > MAX_MEDIA:
            self.warn(
                12200, f"{len(media)} <Media> in a <Message>; only the first {MAX_MEDIA} are sent"
            )
            media = media[:MAX_MEDIA]
        body = "".join(segments).strip(XML_WHITESPACE)
        if not body and not media:
            raise TwimlError(14103, "<Message> has neither a body nor media")
        check_body(body)
        return Message(
            body=body,
            media=tuple(media),
            to=self.address(attributes.get("to"), 14101, "to"),
            from_=self.address(attributes.get("from"), 14102, "from"),
            action=self.url(attributes.get("action"), 11100, "action"),
            method=self.method(attributes.get("method")),
            status_callback=self.url(attributes.get("statusCallback"), 14105, "statusCallback"),
        )

    def address(self, value: str | None, code: int, name: str) -> str | None:
        if value is None:
            return None
        address = value.strip(XML_WHITESPACE)
        if not address:
            raise TwimlError(code, f"Invalid {name!r} attribute: it is empty")
        return address

    def url(self, value: str | None, code: int, name: str) -> str | None:
        return None if value is None else _checked_url(value, code, name)

    def redirect(self, element: Element) -> Redirect:
        attributes = self.attributes(element, _REDIRECT_ATTRIBUTES)
        for child in element:
            self.warn(12200, f"<{child.tag}> is not allowed inside <Redirect> and was ignored")
        url = _checked_url(_own_text(element), 11100, "Redirect")
        return Redirect(url=url, method=self.method(attributes.get("method")) or DEFAULT_METHOD)
