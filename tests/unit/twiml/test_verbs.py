"""The typed verbs: immutable values and the conveniences the reply pipeline relies on."""

from __future__ import annotations

import dataclasses

import pytest

from switchboard import twiml
from switchboard.twiml import Message, Redirect, TwimlResponse, TwimlWarning


def test_message_defaults_mean_absent() -> None:
    message = Message()
    assert message.body == ""
    assert message.media == ()
    assert (message.to, message.from_, message.action) == (None, None, None)
    assert (message.method, message.status_callback) == (None, None)
    assert message.callback_method == "POST"


def test_callback_method_uses_the_given_method() -> None:
    assert Message(body="x", action="/a", method="GET").callback_method == "GET"


def test_redirect_defaults_to_post() -> None:
    assert Redirect("/next") == Redirect(url="/next", method="POST")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Message(body="x"), "body"),
        (Redirect("/n"), "url"),
        (TwimlResponse(), "verbs"),
        (TwimlWarning(12200, "d"), "code"),
    ],
)
def test_values_are_frozen(value: object, field: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_values_use_slots() -> None:
    assert not hasattr(Message(), "__dict__")
    assert not hasattr(TwimlResponse(), "__dict__")


def test_empty_response() -> None:
    response = TwimlResponse()
    assert response.verbs == ()
    assert response.warnings == ()
    assert response.messages == ()
    assert response.redirect is None
    assert response.next_document is None


def test_messages_and_redirect_views() -> None:
    first, second = Message(body="a"), Message(media=("https://e.com/m.png",))
    response = TwimlResponse(verbs=(first, second, Redirect("/next", "GET")))
    assert response.messages == (first, second)
    assert response.redirect == Redirect("/next", "GET")
    assert response.next_document == ("/next", "GET")


def test_next_document_after_message_action() -> None:
    response = TwimlResponse(verbs=(Message(body="a", action="/after"),))
    assert response.redirect is None
    assert response.next_document == ("/after", "POST")


def test_message_without_action_ends_the_flow() -> None:
    assert TwimlResponse(verbs=(Message(body="a", status_callback="/s"),)).next_document is None


def test_package_exports_exactly_its_public_names() -> None:
    assert sorted(twiml.__all__) == sorted(set(twiml.__all__))
    for name in twiml.__all__:
        assert hasattr(twiml, name), name


def test_limits_match_the_spec() -> None:
    assert twiml.MAX_DOCUMENT_BYTES == 65536
    assert twiml.MAX_MESSAGES == 10
    assert twiml.MAX_MEDIA == 10
    assert sorted(twiml.METHODS) == ["GET", "POST"]
