"""Property: whatever the official SDK renders, parse_twiml reads back the same meaning (SPEC §4).

Split from test_parse.py (the fixed vectors) so each module stays one job.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from twilio.twiml.messaging_response import Message as SdkMessage
from twilio.twiml.messaging_response import MessagingResponse

from switchboard.twiml import Message, Redirect, TwimlError, parse_twiml

XML_WS = " \t\r\n"
# XML 1.0 cannot carry most control characters (Cc) or surrogates (Cs); \r would be normalised
# to \n by any conforming parser, so it is left out rather than modelled.
TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
    | st.sampled_from(" \t\n"),
    max_size=20,
)
PADDING = st.sampled_from(["", " ", "\n    ", "\t"])
PATH = st.text(st.characters(categories=("Ll", "Nd")), max_size=8)
URL = st.one_of(
    st.builds("https://example.com/{}".format, PATH),
    st.builds("/{}".format, PATH),
    st.builds("http://localhost:8080/hooks/{}?x=1".format, PATH),
)
MEDIA_URL = st.builds("{}https://cdn.example.com/{}.jpg{}".format, PADDING, PATH, PADDING)
PHONE = st.integers(2_000_000_000, 9_999_999_999).map("+1{}".format)
METHOD = st.sampled_from(["GET", "POST", "get", "post", "Post"])
# Built once: composing strategies inside a draw dominates the run time.
OPTIONAL = {
    "to": st.none() | PHONE,
    "from_": st.none() | PHONE,
    "method": st.none() | METHOD,
    "status_callback": st.none() | URL,
    # Rare, since it ends the document: most examples should exercise several messages.
    "action": st.sampled_from([None] * 9 + ["/after"]),
}
OPTIONAL_TEXT = st.none() | TEXT


@dataclass(frozen=True)
class GeneratedMessage:
    text: str | None
    nouns: tuple[tuple[str, str], ...]  # ("Body" | "Media", value) in document order
    attributes: dict[str, str]

    def render(self) -> SdkMessage:
        message = SdkMessage(self.text, **self.attributes)
        for kind, value in self.nouns:
            message.body(value) if kind == "Body" else message.media(value)
        return message

    def expected(self) -> tuple[Message | None, int]:
        """The parsed verb (None when invalid, i.e. 14103) and how many 12200 warnings."""
        # The SDK drops a falsy text; our parser drops blank direct text (indentation).
        segments = [self.text] if self.text and self.text.strip(XML_WS) else []
        segments += [value for kind, value in self.nouns if kind == "Body"]
        body = "".join(segments).strip(XML_WS)
        media = [value.strip(XML_WS) for kind, value in self.nouns if kind == "Media"]
        if not body and not media:
            return None, 0
        method = self.attributes.get("method")
        verb = Message(
            body=body,
            media=tuple(media[:10]),
            to=self.attributes.get("to"),
            from_=self.attributes.get("from_"),
            action=self.attributes.get("action"),
            method=method.upper() if method else None,
            status_callback=self.attributes.get("status_callback"),
        )
        return verb, int(len(media) > 10)


@st.composite
def generated_messages(draw: st.DrawFn) -> GeneratedMessage:
    bodies = draw(st.lists(TEXT, max_size=3))
    media = draw(st.lists(MEDIA_URL, max_size=12))
    nouns = draw(st.permutations([("Body", b) for b in bodies] + [("Media", m) for m in media]))
    attributes = {
        name: value for name, strategy in OPTIONAL.items() if (value := draw(strategy)) is not None
    }
    return GeneratedMessage(draw(OPTIONAL_TEXT), tuple(nouns), attributes)


@settings(max_examples=200, deadline=None)
@given(
    messages=st.lists(generated_messages(), max_size=12),
    redirect=st.none() | st.tuples(URL, st.none() | METHOD),
    declaration=st.booleans(),
    as_bytes=st.booleans(),
)
def test_sdk_documents_round_trip(
    messages: list[GeneratedMessage],
    redirect: tuple[str, str | None] | None,
    declaration: bool,
    as_bytes: bool,
) -> None:
    response = MessagingResponse()
    for generated in messages:
        response.append(generated.render())
    if redirect is not None:
        response.redirect(redirect[0], method=redirect[1])
    document = response.to_xml(xml_declaration=declaration)

    # The model of SPEC §4: at most 10 messages (the rest dropped, 14109), control leaves the
    # document at the first <Message action> or <Redirect> (the rest unreachable, 12200).
    verbs: list[Message | Redirect] = []
    warning_codes: list[int] = []
    dropped = 0
    invalid = False
    ended = False
    for index, generated in enumerate(messages):
        if len(verbs) == 10:
            dropped += 1
            continue
        verb, media_warnings = generated.expected()
        if verb is None:
            invalid = True
            break
        verbs.append(verb)
        warning_codes += [12200] * media_warnings
        if verb.action is not None:
            ended = True
            if index + 1 < len(messages) or redirect is not None:
                warning_codes.append(12200)
            break
    if not ended and not invalid and redirect is not None:
        verbs.append(Redirect(redirect[0], (redirect[1] or "POST").upper()))
    if dropped:
        warning_codes.append(14109)

    event("14103" if invalid else "ended by action" if ended else f"{len(verbs)} verbs")
    if dropped:
        event("14109")
    if invalid:
        with pytest.raises(TwimlError) as info:
            parse_twiml(document.encode() if as_bytes else document)
        assert info.value.code == 14103
        return
    result = parse_twiml(document.encode() if as_bytes else document)
    assert result.verbs == tuple(verbs)
    assert [warning.code for warning in result.warnings] == warning_codes
