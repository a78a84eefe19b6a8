"""The reply contract: a webhook's HTTP response (Content-Type + body) -> what to do (SPEC §1.7).

Theory. Twilio decides how to read a 2xx webhook response from its media type alone:
``text/xml``, ``application/xml`` and ``text/html`` are TwiML; ``text/plain`` is the literal
text of one reply message; anything else is 12300. The size limit (11750, over 64 kB) comes
first and applies to every type, because it protects the reader rather than the format. The
HTTP status, redirects and transport failures are the caller's concern; this function only
sees a body that was successfully retrieved.

Decisions (SPEC is silent or marks them inferred; each is tested):

* Media types and parameter names are case-insensitive; parameters other than ``charset`` are
  ignored.
* An empty (or XML-whitespace-only) body under a missing or supported Content-Type means
  "nothing to send", reported as a warning 11200: SPEC §1.7 cites Twilio logging 11200 for an
  empty 200 and asks for a warning-level alert. It is not an error, so no fallback is tried.
  An unsupported Content-Type is 12300 even with an empty body.
* A non-empty body without a Content-Type is 12300 ("cannot be processed (or missing)", §1.10).
* For TwiML, a ``charset`` parameter wins over the XML declaration (RFC 7303 §8.3); without one
  the bytes go to the parser, which honours a BOM or the declaration and defaults to UTF-8.
  An unknown or wrong charset is 12100 (the document cannot be parsed).
* ``text/plain`` is decoded with its ``charset`` (default UTF-8; unknown or wrong is 12300) and
  trimmed like a ``<Message>`` body; over 1600 UTF-16 code units is 14103 as for TwiML.
"""

from __future__ import annotations

from functools import lru_cache

from switchboard.twiml.parse import XML_WHITESPACE, TwimlError, check_body, parse_twiml
from switchboard.twiml.verbs import MAX_DOCUMENT_BYTES, Message, TwimlResponse, TwimlWarning

TWIML_MEDIA_TYPES = frozenset({"text/xml", "application/xml", "text/html"})
TEXT_MEDIA_TYPE = "text/plain"
DEFAULT_CHARSET = "utf-8"

_XML_WHITESPACE_BYTES = XML_WHITESPACE.encode("ascii")


MEMO_BYTES = 2048  # answers up to this size are memoised (see interpret_reply)


def interpret_reply(content_type: str | None, body: bytes) -> TwimlResponse:
    """Turn a webhook response into verbs, or raise :class:`TwimlError` (fatal, try fallback).

    Most apps answer every message with the same document (an empty ``<Response/>``, a fixed
    auto-reply), and the result is immutable and depends on the two arguments alone: a small
    answer seen before is not parsed again. Errors are not memoised."""
    if len(body) <= MEMO_BYTES:
        return _interpret_memoised(content_type, body)
    return _interpret(content_type, body)


def _interpret(content_type: str | None, body: bytes) -> TwimlResponse:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise TwimlError(11750, f"Response body is {len(body)} bytes; limit {MAX_DOCUMENT_BYTES}")
    media_type, charset = parse_content_type(content_type)
    supported = media_type in TWIML_MEDIA_TYPES or media_type == TEXT_MEDIA_TYPE
    if (media_type is None or supported) and not body.strip(_XML_WHITESPACE_BYTES):
        return _nothing_to_send()
    if media_type is None:
        raise TwimlError(12300, "The response has a body but no Content-Type")
    if media_type in TWIML_MEDIA_TYPES:
        return parse_twiml(body if charset is None else _decode(body, charset, 12100))
    if media_type == TEXT_MEDIA_TYPE:
        text = _decode(body, charset or DEFAULT_CHARSET, 12300).strip(XML_WHITESPACE)
        if not text:
            # Whitespace in a multi-byte charset (e.g. UTF-16) escapes the byte check above.
            return _nothing_to_send()
        check_body(text)
        return TwimlResponse(verbs=(Message(body=text),))
    raise TwimlError(12300, f"Content-Type {media_type!r} cannot be processed")


_interpret_memoised = lru_cache(maxsize=1024)(_interpret)


def parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``(media type, charset)``, both lower-case; ``None`` for what is absent or blank."""
    if content_type is None or not content_type.strip():
        return None, None
    media_type, *parameters = content_type.split(";")
    charset: str | None = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower() or None
    return media_type.strip().lower() or None, charset


def _nothing_to_send() -> TwimlResponse:
    warning = TwimlWarning(11200, "Empty response body: no reply was sent")
    return TwimlResponse(verbs=(), warnings=(warning,))


def _decode(body: bytes, charset: str, code: int) -> str:
    try:
        return body.decode(charset)
    except LookupError:
        # Also raised for codecs that are not text encodings ("base64", "rot13").
        raise TwimlError(code, f"Unknown charset {charset!r}") from None
    except UnicodeDecodeError as exc:
        raise TwimlError(code, f"Body is not valid {charset}: {exc.reason}") from None
