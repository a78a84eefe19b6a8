"""Advanced Opt-Out settings (domain/optout.py) and what retention hides (domain/retention.py)."""

from __future__ import annotations

import pytest

from switchboard.domain.optout import (
    DEFAULT_REPLIES,
    STANDARD_OPT_OUT,
    InvalidOptOutSettings,
    Keyword,
    OptOutSettings,
)
from switchboard.domain.retention import obfuscate


def test_defaults_classify_and_reply_like_twilio() -> None:
    settings = OptOutSettings()
    assert settings.classify(" unsubscribe ") is Keyword.STOP
    assert settings.classify("stop now") is None
    assert settings.reply(Keyword.HELP) == DEFAULT_REPLIES[Keyword.HELP]


def test_custom_keywords_add_to_the_defaults_and_replies_replace_them() -> None:
    settings = OptOutSettings.from_json(
        {"stop": {"keywords": ["arret"], "reply": "Bye."}, "start": {"keywords": ["Resume"]}}
    )
    assert settings.classify("ARRET") is Keyword.STOP
    assert settings.classify("resume") is Keyword.START
    assert settings.classify("STOP") is Keyword.STOP
    assert settings.reply(Keyword.STOP) == "Bye."
    assert settings.reply(Keyword.START) == DEFAULT_REPLIES[Keyword.START]
    assert OptOutSettings.from_json(settings.to_json()) == settings


def test_turned_off_only_twilios_defaults_count() -> None:
    settings = OptOutSettings.from_json({"enabled": False, "stop": {"keywords": ["arret"]}})
    assert settings.classify("arret") is None
    assert settings.classify("stop") is Keyword.STOP
    assert not STANDARD_OPT_OUT.enabled


@pytest.mark.parametrize(
    "document",
    [
        {"stop": {"keywords": ["two words"]}},
        {"help": {"keywords": ["a" * 41]}},
        {"start": {"keywords": ["cancel"]}},
        {"stop": {"keywords": ["x"]}, "help": {"keywords": ["X"]}},
        {"stop": {"reply": 5}},
        {"stop": {"reply": "a" * 1601}},
        {"stop": {"words": []}},
        {"enabled": 1},
        {"pause": {}},
    ],
)
def test_invalid_documents(document: dict[str, object]) -> None:
    with pytest.raises(InvalidOptOutSettings):
        OptOutSettings.from_json(document)


def test_obfuscate_hides_the_last_four_digits() -> None:
    assert obfuscate("+14155550199") == "+1415555XXXX"
    assert obfuscate("whatsapp:+14155550199") == "whatsapp:+1415555XXXX"
    assert obfuscate("123") == "XXX"
