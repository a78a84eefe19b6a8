"""Twilio's magic test numbers."""

from __future__ import annotations

from switchboard.carrier.magic import VALID_FROM, from_error, to_error


def test_magic_numbers() -> None:
    assert VALID_FROM == "+15005550006"
    assert from_error(VALID_FROM) is None
    assert [from_error(f"+1500555000{n}") for n in (1, 7, 8)] == [21212, 21606, 21611]
    assert [to_error(f"+1500555000{n}") for n in (1, 2, 3, 4, 9)] == [
        21211, 21612, 21408, 21610, 21614
    ]  # fmt: skip
    assert to_error("+15005550006") is None
