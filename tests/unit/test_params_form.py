"""Form bodies are read as urllib reads them, pair for pair (``api/params.parse_form``)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.api.params import parse_form

# Pieces that make the cases apart: separators, '+', good and broken percent escapes (an
# invalid UTF-8 sequence), empty names and values, long values past the memo's limit.
_PIECES = st.sampled_from(
    ["a", "b", "=", "&", "+", "%2B", "%C3%A9", "%E9", "%ZZ", "%", "é", "\x00", "x" * 70]
)


def _parse_qsl(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except ValueError as exc:  # UnicodeDecodeError is one
        return type(exc)


def _parse_form(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_form(text)
    except ValueError as exc:
        return type(exc)


@given(st.lists(_PIECES, max_size=40).map("".join) | st.text())
def test_parse_form_is_parse_qsl(text: str) -> None:
    assert _parse_form(text) == _parse_qsl(text)


def test_a_memoised_value_decodes_the_same_twice() -> None:
    for _ in range(2):
        assert parse_form("To=%2B15005550006&To=") == [("To", "+15005550006"), ("To", "")]


def test_an_invalid_escape_is_refused_every_time() -> None:
    for _ in range(2):  # an error is not memoised as an answer
        with pytest.raises(UnicodeDecodeError):
            parse_form("Body=%E9")
