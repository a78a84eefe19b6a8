"""interpret_reply: the Content-Type + body contract of a webhook response (SPEC §1.7)."""

from __future__ import annotations

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from switchboard.twiml import (
    Message,
    Redirect,
    TwimlError,
    TwimlResponse,
    interpret_reply,
    parse_content_type,
)

HELLO = b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello</Message></Response>'


def error_code(content_type: str | None, body: bytes) -> int:
    with pytest.raises(TwimlError) as info:
        interpret_reply(content_type, body)
    return info.value.code


def is_nothing_to_send(response: TwimlResponse) -> bool:
    return response.verbs == () and [w.code for w in response.warnings] == [11200]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml",
        "application/xml",
        "text/html",
        "TEXT/XML",
        "text/xml; charset=utf-8",
        'text/xml;charset="UTF-8"',
        " application/xml ; charset = utf-8 ; foo=bar",
        "text/html; charset=utf-8",
    ],
)
def test_twiml_content_types(content_type: str) -> None:
    assert interpret_reply(content_type, HELLO).verbs == (Message(body="Hello"),)


def test_sdk_document_through_the_reply_contract() -> None:
    response = MessagingResponse()
    response.message("Thanks!", status_callback="/status")
    response.redirect("/next", method="GET")
    result = interpret_reply("text/xml", str(response).encode())
    assert result.verbs == (
        Message(body="Thanks!", status_callback="/status"),
        Redirect("/next", "GET"),
    )


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain", b"Hello there", "Hello there"),
        ("text/plain; charset=utf-8", b"  \n Hello \t\r\n", "Hello"),
        ("Text/Plain", "Grüße 😀".encode(), "Grüße 😀"),
        ("text/plain; charset=iso-8859-1", "café".encode("latin-1"), "café"),
        ("text/plain; charset=utf-16", "hi".encode("utf-16"), "hi"),
        ("text/plain", b"<Response><Message>not parsed</Message></Response>", None),
    ],
)
def test_text_plain_is_one_message(content_type: str, body: bytes, expected: str | None) -> None:
    text = expected if expected is not None else body.decode()
    assert interpret_reply(content_type, body) == TwimlResponse(verbs=(Message(body=text),))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (None, b""),
        ("", b""),
        ("  ", b" \r\n"),
        (None, b"\n"),
        ("text/xml", b""),
        ("application/xml; charset=utf-8", b"\n  \n"),
        ("text/html", b""),
        ("text/plain", b""),
        ("text/plain", b"  \t\n"),
        ("text/plain; charset=utf-16", " \n".encode("utf-16")),
    ],
)
def test_empty_body_is_nothing_to_send(content_type: str | None, body: bytes) -> None:
    assert is_nothing_to_send(interpret_reply(content_type, body))


def test_empty_twiml_response_sends_nothing_without_warning() -> None:
    assert interpret_reply("text/xml", b"<Response/>") == TwimlResponse()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (None, HELLO),
        ("", b"Hello"),
        ("application/json", b'{"message": "hi"}'),
        ("application/json", b""),  # an unsupported type is refused even when empty
        ("text/xml+fake", HELLO),
        ("application/xhtml+xml", HELLO),
        ("multipart/form-data", b"x"),
        ("text/plain; charset=utf-8", b"\xff\xfe\xfa"),
        ("text/plain; charset=no-such-charset", b"hi"),
        ("text/plain; charset=base64", b"aGk="),
    ],
)
def test_unprocessable_content_is_12300(content_type: str | None, body: bytes) -> None:
    assert error_code(content_type, body) == 12300


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/xml", b"Hello"),
        ("text/html", b"<html><body>Hello<br></body></html>"),  # HTML, not XML
        ("text/xml; charset=utf-8", b"<Response>\xff</Response>"),
        ("text/xml; charset=no-such-charset", HELLO),
        ("application/xml", b" " + HELLO),  # whitespace before the declaration
    ],
)
def test_unparseable_twiml_is_12100(content_type: str, body: bytes) -> None:
    assert error_code(content_type, body) == 12100


def test_charset_parameter_wins_over_the_xml_declaration() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>café</Message></Response>'
    latin1 = body.encode("latin-1")
    assert error_code("text/xml", latin1) == 12100  # not UTF-8, as declared
    result = interpret_reply("text/xml; charset=ISO-8859-1", latin1)
    assert result.verbs == (Message(body="café"),)


def test_xml_declaration_encoding_is_honoured_without_charset() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><Message>café</Message></Response>'
    assert interpret_reply("text/xml", body.encode("latin-1")).verbs == (Message(body="café"),)


def test_twiml_errors_pass_through() -> None:
    assert error_code("text/html", b"<html><body>Hello</body></html>") == 12102
    assert error_code("text/xml", b"<Response><Message/></Response>") == 14103


def padded_twiml(size: int) -> bytes:
    body = HELLO.replace(b"<Message>", b" " * (size - len(HELLO)) + b"<Message>")
    assert len(body) == size
    return body


@pytest.mark.parametrize(
    "content_type", ["text/xml", "application/xml", "text/html", "text/plain", None, "image/png"]
)
def test_body_over_64_kib_is_11750_whatever_the_type(content_type: str | None) -> None:
    assert error_code(content_type, padded_twiml(65537)) == 11750
    assert error_code(content_type, b" " * 65537) == 11750


def test_body_of_exactly_64_kib_is_accepted() -> None:
    assert interpret_reply("text/xml", padded_twiml(65536)).verbs == (Message(body="Hello"),)
    assert is_nothing_to_send(interpret_reply("text/plain", b" " * 65536))


def test_text_plain_body_limit() -> None:
    assert interpret_reply("text/plain", b"a" * 1600).verbs == (Message(body="a" * 1600),)
    assert error_code("text/plain", b"a" * 1601) == 14103
    assert error_code("text/plain", "😀".encode() * 801) == 14103


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, (None, None)),
        ("", (None, None)),
        ("text/xml", ("text/xml", None)),
        ("Text/XML; Charset=UTF-8", ("text/xml", "utf-8")),
        ('text/plain; format=flowed; charset="ISO-8859-1"', ("text/plain", "iso-8859-1")),
        ("text/plain; charset=", ("text/plain", None)),
        ("; charset=utf-8", (None, "utf-8")),
    ],
)
def test_parse_content_type(
    content_type: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert parse_content_type(content_type) == expected


def test_a_repeated_answer_reads_the_same_and_a_bad_one_fails_every_time() -> None:
    # Small answers are memoised (most apps send the same document every time): the memo must
    # not change what an answer means, and an error is raised again, not remembered away.
    assert interpret_reply("text/xml", HELLO) == interpret_reply("text/xml", bytes(HELLO))
    assert interpret_reply("text/xml", HELLO).messages == (Message(body="Hello"),)
    assert error_code("text/xml", b"<Response><Message>") == error_code(
        "text/xml", b"<Response><Message>"
    )
    assert interpret_reply("text/plain", HELLO).messages[0].body == HELLO.decode()
    padded = HELLO.replace(b"Hello", b"x" * 1500 + b" " * 1000)  # over the memo's size
    assert interpret_reply("text/xml", padded).messages == (Message(body="x" * 1500),)
