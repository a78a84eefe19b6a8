"""Opt-out keywords: one word, any case; the scope is the service when there is one."""

from __future__ import annotations

import pytest

from switchboard.domain.optout import DEFAULT_REPLIES, Keyword, classify, sender_key


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.STOP),
        (" stop ", Keyword.STOP),
        ("Unsubscribe", Keyword.STOP),
        ("stopall", Keyword.STOP),
        ("CANCEL", Keyword.STOP),
        ("end", Keyword.STOP),
        ("quit", Keyword.STOP),
        ("START", Keyword.START),
        ("yes", Keyword.START),
        ("UNSTOP", Keyword.START),
        ("help", Keyword.HELP),
        ("INFO", Keyword.HELP),
        ("stop please", None),
        ("please stop", None),
        ("", None),
        ("stopp", None),
    ],
)
def test_classify(body: str, keyword: Keyword | None) -> None:
    assert classify(body) is keyword


def test_every_keyword_has_a_default_reply() -> None:
    assert set(DEFAULT_REPLIES) == set(Keyword)
    assert "START" in DEFAULT_REPLIES[Keyword.STOP]


def test_sender_key_prefers_the_service() -> None:
    assert sender_key("+15005550006", None) == "+15005550006"
    assert sender_key("+15005550006", "MG" + "0" * 32) == "MG" + "0" * 32
