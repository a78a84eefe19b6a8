"""The pure rules of Content templates and the WhatsApp window (domain/content.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.domain import content as rules
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Content
from switchboard.domain.phone import Channel

T0 = datetime(2026, 1, 1, tzinfo=UTC)
QUICK = {
    "body": "Hi {{1}}",
    "actions": [{"type": "QUICK_REPLY", "title": "Yes", "id": "y"}, {"title": "Later"}],
}


def _content(types: dict, variables: dict | None = None) -> Content:
    return Content("HX" + "a" * 32, "AC" + "a" * 32, "", "en", variables or {}, types, T0, T0)


def test_nulls_are_absent_and_not_stored() -> None:
    types = {"twilio/text": {"body": "x"}, "twilio/media": None, "twilio/quick-reply": None}
    assert rules.clean_types(types) == {"twilio/text": {"body": "x"}}
    with pytest.raises(TwilioError, match="at least one"):
        rules.clean_types({"twilio/text": None})


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.WHATSAPP, "twilio/quick-reply"),
        (Channel.SMS, "twilio/text"),
        (Channel.RCS, "twilio/quick-reply"),
    ],
)
def test_the_richest_type_the_channel_shows(channel: Channel, expected: str) -> None:
    types = {"twilio/text": {"body": "t"}, "twilio/quick-reply": QUICK}
    assert rules.type_for(types, channel) == expected


def test_sms_falls_back_to_a_body_and_refuses_what_has_none() -> None:
    assert rules.type_for({"twilio/quick-reply": QUICK}, Channel.SMS) == "twilio/quick-reply"
    location = {"twilio/location": {"latitude": 1, "longitude": 2}}
    assert rules.type_for(location, Channel.SMS) is None
    with pytest.raises(TwilioError) as caught:
        rules.render(_content(location), {}, Channel.SMS)
    assert caught.value.code == rules.NO_TRANSLATION


def test_render_fills_every_string_and_reports_values() -> None:
    media = {"body": "Receipt {{1}}", "media": ["https://e.com/{{2}}.png"]}
    shown = rules.render(_content({"twilio/media": media}, {"1": "d"}), {"2": "r9"}, Channel.SMS)
    assert (shown.body, shown.media) == ("Receipt d", ["https://e.com/r9.png"])
    assert shown.variables == {"1": "d", "2": "r9"}


@pytest.mark.parametrize(
    ("body", "given"),
    [
        ("Hi {{1}", {"1": "x"}),  # not closed
        ("Hi {{}}", {}),  # empty
        ("Hi {{1}}", {}),  # no value, no default
        ("Hi {{1}}", {"1": "a\tb"}),
        ("Hi {{1}}", {"1": "a     b"}),  # five spaces
    ],
)
def test_bad_variables_are_21656(body: str, given: dict) -> None:
    with pytest.raises(TwilioError) as caught:
        rules.render(_content({"twilio/text": {"body": body}}), given, Channel.WHATSAPP)
    assert caught.value.code == 21656


@pytest.mark.parametrize("raw", ["x", "[]", '{"1": null}', '{"1": {"a": 1}}', '{"1": true}'])
def test_content_variables_must_be_a_json_object_of_values(raw: str) -> None:
    with pytest.raises(TwilioError) as caught:
        rules.parse_content_variables(raw)
    assert caught.value.code == 21656


def test_content_variables_limit() -> None:
    many = "{" + ",".join(f'"{n}": "v"' for n in range(101)) + "}"
    with pytest.raises(TwilioError, match="100"):
        rules.parse_content_variables(many)
    assert rules.parse_content_variables('{"1": 5}') == {"1": "5"}


def test_taps() -> None:
    taps = rules.tappable("twilio/quick-reply", QUICK)
    assert [(t.payload, t.text, t.button_type) for t in taps] == [
        ("y", "Yes", "REPLY"),
        ("Later", "Later", "REPLY"),  # no id: the title is posted back
    ]
    picker = {"body": "b", "button": "B", "items": [{"id": "i1", "item": "One"}]}
    assert rules.find_tap("twilio/list-picker", picker, "i1").text == "One"
    cta = {"body": "b", "actions": [{"type": "URL", "title": "Open", "url": "u", "id": "o"}]}
    assert rules.find_tap("twilio/call-to-action", cta, "o").button_type == "ACTION"
    with pytest.raises(TwilioError, match="'y'"):
        rules.find_tap("twilio/quick-reply", QUICK, "nope")


def test_window() -> None:
    def refusal(last: datetime | None, approved: bool, kind: str | None = None) -> int | None:
        return rules.window_refusal(last_inbound=last, now=T0, content_type=kind, approved=approved)

    assert refusal(T0 - timedelta(hours=24), approved=False) is None  # the 24th hour is in
    assert refusal(T0 - timedelta(hours=24, seconds=1), approved=False) == 63016
    assert refusal(None, approved=False) == 63016
    assert refusal(None, approved=True, kind="twilio/text") is None
    assert refusal(None, approved=True, kind="twilio/location") == 63016
    assert refusal(T0, approved=True, kind="twilio/list-picker") is None


def test_approval_rules() -> None:
    ok = _content({"twilio/text": {"body": "Hi {{1}}, welcome"}}, {"1": "Ada"})
    assert rules.approval_problem(ok, "twilio/text") is None
    name, category, kind = rules.check_approval_request(ok, "welcome_1", "utility")
    assert (name, category, kind) == ("welcome_1", "UTILITY", "twilio/text")
