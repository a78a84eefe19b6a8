"""parse_twiml against the official SDK's documents, hostile XML and every error path (SPEC §4)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.twiml.messaging_response import Body, Media, MessagingResponse
from twilio.twiml.messaging_response import Message as SdkMessage

from switchboard.domain.errors import TwilioError
from switchboard.twiml import Message, Redirect, TwimlError, TwimlResponse, parse_twiml

DATA = Path(__file__).resolve().parents[2] / "data" / "twiml"
DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def codes(response: TwimlResponse) -> list[int]:
    return [warning.code for warning in response.warnings]


def error_code(document: bytes | str) -> int:
    with pytest.raises(TwimlError) as info:
        parse_twiml(document)
    assert isinstance(info.value, TwilioError)
    return info.value.code


def respond(inner: str) -> str:
    return f"{DECL}<Response>{inner}</Response>"


# --- Documents the official SDK renders -------------------------------------------------------


def test_sdk_empty_response() -> None:
    document = str(MessagingResponse())
    assert document == f"{DECL}<Response />"
    assert parse_twiml(document) == TwimlResponse()


def test_sdk_plain_message() -> None:
    response = MessagingResponse()
    response.message("Hello from switchboard")
    assert parse_twiml(str(response)).verbs == (Message(body="Hello from switchboard"),)


def test_sdk_message_attributes() -> None:
    response = MessagingResponse()
    response.message(
        "Hi",
        to="+15558675310",
        from_="+15017122661",
        action="https://example.com/action",
        method="get",
        status_callback="/status",
    )
    assert parse_twiml(str(response)).verbs == (
        Message(
            body="Hi",
            to="+15558675310",
            from_="+15017122661",
            action="https://example.com/action",
            method="GET",
            status_callback="/status",
        ),
    )


def test_sdk_body_and_media_nouns() -> None:
    response = MessagingResponse()
    message = SdkMessage()
    message.body("Store Location: ")
    message.body("123 Easy St.")
    message.media("https://demo.twilio.com/owl.png")
    message.media("https://demo.twilio.com/bird.png")
    response.append(message)
    assert parse_twiml(response.to_xml(xml_declaration=False)).verbs == (
        Message(
            body="Store Location: 123 Easy St.",
            media=("https://demo.twilio.com/owl.png", "https://demo.twilio.com/bird.png"),
        ),
    )


def test_sdk_media_only_message() -> None:
    response = MessagingResponse()
    response.message().media("https://example.com/cat.gif")
    assert parse_twiml(str(response)).verbs == (Message(media=("https://example.com/cat.gif",)),)


def test_sdk_redirect() -> None:
    response = MessagingResponse()
    response.message("first")
    response.redirect("https://example.com/next", method="GET")
    result = parse_twiml(str(response))
    assert result.verbs == (Message(body="first"), Redirect("https://example.com/next", "GET"))
    assert result.warnings == ()


def test_sdk_redirect_default_method_and_relative_url() -> None:
    response = MessagingResponse()
    response.redirect("../continue")
    assert parse_twiml(str(response)).verbs == (Redirect("../continue", "POST"),)


def test_bytes_and_str_agree() -> None:
    response = MessagingResponse()
    response.message("Grüße ✓ 😀")
    document = str(response)
    assert parse_twiml(document) == parse_twiml(document.encode("utf-8"))
    assert parse_twiml(document).verbs == (Message(body="Grüße ✓ 😀"),)


# --- Sample documents -----------------------------------------------------------------------------


def test_pretty_printed_docs_example() -> None:
    result = parse_twiml((DATA / "message_with_media.xml").read_bytes())
    assert result == TwimlResponse(
        verbs=(
            Message(
                body="Store Location: 123 Easy St.", media=("https://demo.twilio.com/owl.png",)
            ),
        )
    )


def test_two_messages_and_redirect() -> None:
    result = parse_twiml((DATA / "two_messages_and_redirect.xml").read_bytes())
    assert result.verbs == (
        Message(body="Hello there!", to="+15558675310", from_="+15017122661"),
        Message(
            body="Part one, part two.",
            media=("https://example.com/a.jpg", "https://example.com/b.jpg"),
            method="GET",
            status_callback="https://example.com/status",
        ),
        Redirect("/next-step", "GET"),
    )
    assert result.warnings == ()


def test_message_action_ends_the_document() -> None:
    result = parse_twiml((DATA / "message_action.xml").read_bytes())
    assert result.verbs == (
        Message(body="Sent first", action="https://example.com/after-send", method="POST"),
    )
    assert codes(result) == [12200]
    assert "unreachable" in result.warnings[0].detail


def test_empty_response_file() -> None:
    assert parse_twiml((DATA / "empty_response.xml").read_bytes()) == TwimlResponse()


# --- Hostile XML ----------------------------------------------------------------------------------


@pytest.fixture
def file_opens() -> Iterator[list[str]]:
    """Paths opened while the test runs (audit hooks cannot be removed, so it is switched off)."""
    opened: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if active[0] and event == "open" and args:
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    yield opened
    active[0] = False


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml", "xxe_parameter_entity.xml"])
def test_entity_attacks_fail_fast_without_reading_files(name: str, file_opens: list[str]) -> None:
    document = (DATA / name).read_bytes()
    file_opens.clear()  # the read above is the test's, not the parser's
    started = time.perf_counter()
    assert error_code(document) == 12100
    assert error_code(document.decode("utf-8")) == 12100
    assert time.perf_counter() - started < 1.0
    assert not [path for path in file_opens if "hostname" in path]


def test_external_dtd_is_never_fetched(file_opens: list[str]) -> None:
    document = (DATA / "external_dtd.xml").read_bytes()
    file_opens.clear()
    assert parse_twiml(document).verbs == (Message(body="External DTDs are never fetched"),)
    assert not [path for path in file_opens if "hostname" in path]


def test_doctype_without_entities_is_allowed() -> None:
    assert parse_twiml("<!DOCTYPE Response><Response/>") == TwimlResponse()


# --- Fatal errors ---------------------------------------------------------------------------------


def padded(size: int) -> str:
    """A valid document of exactly ``size`` UTF-8 bytes."""
    shell = respond("<Message>x</Message>")
    return shell.replace("<Message>", " " * (size - len(shell)) + "<Message>", 1)


def test_size_limit_is_64_kib() -> None:
    assert len(padded(65536)) == 65536
    assert parse_twiml(padded(65536)).verbs == (Message(body="x"),)
    assert parse_twiml(padded(65536).encode()).verbs == (Message(body="x"),)
    assert error_code(padded(65537)) == 11750
    assert error_code(padded(65537).encode()) == 11750


def test_size_counts_utf8_bytes_of_a_str() -> None:
    document = respond("<Message>" + "é" * 33000 + "</Message>")
    assert len(document) < 65536 < len(document.encode())
    assert error_code(document) == 11750


@pytest.mark.parametrize(
    "document",
    [
        "",
        "Hello, not XML",
        "<Response><Message>unclosed</Response>",
        "<Response><Message>Tom & Jerry</Message></Response>",
        " " + respond(""),  # leading whitespace before the XML declaration (SPEC §1.10)
        "\n" + respond(""),
        "<Response>&#0;</Response>",
        "<Response/><Response/>",
        "<Response>\ud800</Response>",
        b"<Response>\xff</Response>",
        b'<?xml version="1.0" encoding="no-such-charset"?><Response/>',
        "<Response><Message>&undefined;</Message></Response>",
    ],
)
def test_not_well_formed_is_12100(document: bytes | str) -> None:
    assert error_code(document) == 12100


@pytest.mark.parametrize(
    "document", ["<Foo/>", "<response/>", "<RESPONSE></RESPONSE>", '<Response xmlns="urn:x"/>']
)
def test_wrong_root_is_12102(document: str) -> None:
    assert error_code(document) == 12102


@pytest.mark.parametrize("version", ["2010-04-01", "2008-08-01"])
def test_known_versions_are_accepted(version: str) -> None:
    assert parse_twiml(f'<Response version="{version}"/>') == TwimlResponse()


@pytest.mark.parametrize("version", ["", "1.0", "2011-01-01", " 2010-04-01"])
def test_unknown_version_is_12101(version: str) -> None:
    assert error_code(f'<Response version="{version}"/>') == 12101


@pytest.mark.parametrize(
    "message",
    [
        "<Message/>",
        "<Message>   \n\t </Message>",
        "<Message><Body> </Body></Message>",
        "<Message><Media> </Media></Message>",
        "<Message>" + "a" * 1601 + "</Message>",
        "<Message>" + "😀" * 801 + "</Message>",  # 1602 UTF-16 code units (SPEC §13.11)
        "<Message><Body>" + "a" * 1000 + "</Body><Body>" + "b" * 601 + "</Body></Message>",
    ],
)
def test_invalid_body_is_14103(message: str) -> None:
    assert error_code(respond(message)) == 14103


def test_body_limit_is_inclusive_and_after_trimming() -> None:
    body = "a" * 1600
    assert parse_twiml(respond(f"<Message>\n  {body}\n</Message>")).verbs == (Message(body=body),)
    emoji = "😀" * 800
    assert parse_twiml(respond(f"<Message>{emoji}</Message>")).verbs == (Message(body=emoji),)


@pytest.mark.parametrize(
    "inner",
    [
        '<Message method="PUT">x</Message>',
        '<Message method="">x</Message>',
        '<Redirect method="DELETE">/next</Redirect>',
    ],
)
def test_invalid_method_is_14104(inner: str) -> None:
    assert error_code(respond(inner)) == 14104


@pytest.mark.parametrize(
    ("given", "expected"), [("get", "GET"), ("Post", "POST"), (" GET ", "GET")]
)
def test_method_is_case_insensitive(given: str, expected: str) -> None:
    result = parse_twiml(respond(f'<Message method="{given}">x</Message>'))
    assert result.verbs == (Message(body="x", method=expected),)
    result = parse_twiml(respond(f'<Redirect method="{given}">/n</Redirect>'))
    assert result.verbs == (Redirect("/n", expected),)


@pytest.mark.parametrize(
    ("attribute", "code"), [('to=""', 14101), ('to="  "', 14101), ('from=""', 14102)]
)
def test_empty_addresses(attribute: str, code: int) -> None:
    assert error_code(respond(f"<Message {attribute}>x</Message>")) == code


def test_addresses_are_trimmed_not_validated() -> None:
    result = parse_twiml(respond('<Message to=" (415) 555-1212 " from="MyBrand">x</Message>'))
    assert result.verbs == (Message(body="x", to="(415) 555-1212", from_="MyBrand"),)


BAD_URLS = [
    "",
    "   ",
    "not a url",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "https://bad_host.example.com/cb",
    "https:///no-host",
    "https://example.com:99999/x",
    "https://example.com/\x7f",
]
GOOD_URLS = ["/relative", "relative/path?x=1", "https://example.com/cb", "HTTP://EXAMPLE.COM:8080/"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_invalid_status_callback_is_14105(url: str) -> None:
    assert error_code(respond(f'<Message statusCallback="{url}">x</Message>')) == 14105


@pytest.mark.parametrize("url", BAD_URLS)
def test_invalid_action_and_redirect_are_11100(url: str) -> None:
    assert error_code(respond(f'<Message action="{url}">x</Message>')) == 11100
    assert error_code(respond(f"<Redirect>{url}</Redirect>")) == 11100


@pytest.mark.parametrize("url", GOOD_URLS)
def test_valid_urls_are_kept_as_written(url: str) -> None:
    result = parse_twiml(respond(f'<Message statusCallback=" {url} ">x</Message>'))
    assert result.verbs == (Message(body="x", status_callback=url),)
    assert parse_twiml(respond(f"<Redirect>\n  {url}\n</Redirect>")).verbs == (Redirect(url),)


def test_verbs_after_the_end_are_not_validated() -> None:
    result = parse_twiml(respond("<Redirect>/n</Redirect><Message/>"))
    assert result.verbs == (Redirect("/n"),)
    assert codes(result) == [12200]


def test_twilio_error_carries_a_message() -> None:
    with pytest.raises(TwimlError, match="version") as info:
        parse_twiml('<Response version="9"/>')
    assert info.value.to_json()["code"] == 12101


# --- Text rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("<Message>  Hello  </Message>", "Hello"),
        ("<Message>Hello <!-- a comment --> world</Message>", "Hello  world"),
        ("<Message><![CDATA[<b>&amp;</b>]]></Message>", "<b>&amp;</b>"),
        ("<Message>Tom &amp; Jerry &lt;3 &#x1F600;</Message>", "Tom & Jerry <3 😀"),
        ("<Message>\n  <Body>A</Body>\n  <Body>B</Body>\n</Message>", "AB"),
        ("<Message><Body> A </Body><Body> B </Body></Message>", "A  B"),
        ("<Message>Hi <Body>there</Body>!</Message>", "Hi there!"),
        ("<Message>line 1\nline 2</Message>", "line 1\nline 2"),
        ("<Message>\u00a0nbsp kept\u00a0</Message>", "\u00a0nbsp kept\u00a0"),
        ("<Message>a<?pi ignored?>b</Message>", "ab"),
    ],
)
def test_body_text(message: str, body: str) -> None:
    result = parse_twiml(respond(message))
    assert result.verbs == (Message(body=body),)


def test_comments_between_verbs_are_ignored() -> None:
    result = parse_twiml(respond("<!-- first --><Message>a</Message><!-- second -->"))
    assert result == TwimlResponse(verbs=(Message(body="a"),))


# --- Warnings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "verbs", "warning_codes"),
    [
        ("<Say>Hello</Say><Message>a</Message>", (Message(body="a"),), [14110]),
        ("<Dial>+15551234567</Dial>", (), [14110]),
        ("<message>a</message>", (), [12200]),
        ("<Sms2>a</Sms2>", (), [12200]),
        ('<Message To="+1555">a</Message>', (Message(body="a"),), [12200]),
        (
            '<Message to="+1" colour="red" size="2">a</Message>',
            (Message(body="a", to="+1"),),
            [12200, 12200],
        ),
        ("stray text<Message>a</Message>", (Message(body="a"),), [12200]),
        ("<Message>a</Message>stray tail", (Message(body="a"),), [12200]),
        ("<Message>a<Message>b</Message>c</Message>", (Message(body="ac"),), [12200]),
        ("<Message>a<Foo>hidden</Foo></Message>", (Message(body="a"),), [12200]),
        ('<Message><Body lang="en">a</Body></Message>', (Message(body="a"),), [12200]),
        ("<Message><Body>a<b>x</b>c</Body></Message>", (Message(body="ac"),), [12200]),
        ("<Message>a<Media/></Message>", (Message(body="a"),), [12200]),
        ("<Redirect>/n<Message>x</Message></Redirect>", (Redirect("/n"),), [12200]),
        ('<Redirect timeout="3">/n</Redirect>', (Redirect("/n"),), [12200]),
        ("<Redirect>/a</Redirect><Redirect>/b</Redirect><Say>x</Say>", (Redirect("/a"),), [12200]),
    ],
)
def test_schema_warnings_skip_the_offender(
    inner: str, verbs: tuple[Message | Redirect, ...], warning_codes: list[int]
) -> None:
    result = parse_twiml(respond(inner))
    assert result.verbs == verbs
    assert codes(result) == warning_codes
    assert all(warning.detail for warning in result.warnings)


def test_unknown_response_attribute_warns() -> None:
    assert codes(parse_twiml('<Response lang="en"/>')) == [12200]


def test_more_than_ten_media_keeps_the_first_ten() -> None:
    urls = [f"https://example.com/{i}.png" for i in range(12)]
    media = "".join(f"<Media>{url}</Media>" for url in urls)
    result = parse_twiml(respond(f"<Message>{media}</Message>"))
    assert result.verbs == (Message(media=tuple(urls[:10])),)
    assert codes(result) == [12200]


def test_ten_media_is_fine() -> None:
    media = "".join(f"<Media>/{i}.png</Media>" for i in range(10))
    assert parse_twiml(respond(f"<Message>{media}</Message>")).warnings == ()


def test_more_than_ten_messages_keeps_the_first_ten() -> None:
    inner = "".join(f"<Message>{i}</Message>" for i in range(13))
    result = parse_twiml(respond(inner + "<Redirect>/more</Redirect>"))
    assert result.messages == tuple(Message(body=str(i)) for i in range(10))
    assert result.redirect == Redirect("/more")  # the limit drops messages, not the redirect
    assert codes(result) == [14109]
    assert "3" in result.warnings[0].detail


def test_dropped_messages_are_not_validated() -> None:
    inner = "".join(f"<Message>{i}</Message>" for i in range(10)) + "<Message/>"
    assert codes(parse_twiml(respond(inner))) == [14109]


def test_ten_messages_is_fine() -> None:
    inner = "".join(f"<Message>{i}</Message>" for i in range(10))
    assert parse_twiml(respond(inner)).warnings == ()


def test_nested_media_elements() -> None:
    message = SdkMessage("caption")
    message.nest(Media("https://example.com/x.png"))
    message.nest(Body(" more"))
    response = MessagingResponse()
    response.append(message)
    assert parse_twiml(str(response)).verbs == (
        Message(body="caption more", media=("https://example.com/x.png",)),
    )
