"""SMS encoding and segmentation (SPEC §8), driven by tests/data/segments.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.domain.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_BODY_CHARS,
    Encoding,
    SegmentInfo,
    _segment_general,
    check_body_length,
    is_gsm7,
    segment,
    segment_budget,
    segment_units,
    smart_encode,
    utf16_length,
)
from switchboard.domain.errors import TwilioError

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "data" / "segments.json").read_text(encoding="utf-8")
)


def _runs(runs: list[list[Any]]) -> str:
    return "".join(text * count for text, count in runs)


def _ids(section: str) -> list[str]:
    return [vector["id"] for vector in VECTORS[section]]


@pytest.mark.parametrize("vector", VECTORS["segment"], ids=_ids("segment"))
def test_segment_vectors(vector: dict[str, Any]) -> None:
    info = segment(_runs(vector["body"]), smart_encoding=vector.get("smart_encoding", False))

    assert info.encoding == Encoding(vector["encoding"])
    assert info.num_segments == vector["num_segments"]
    assert info.units == vector["units"]
    assert info.characters == vector["characters"]
    assert len(info.segments) == info.num_segments
    if "segments" in vector:
        assert info.segments == tuple(_runs(runs) for runs in vector["segments"])


@pytest.mark.parametrize("vector", VECTORS["body_length"], ids=_ids("body_length"))
def test_body_length_vectors(vector: dict[str, Any]) -> None:
    body = _runs(vector["body"])
    if vector["ok"]:
        check_body_length(body)
    else:
        with pytest.raises(TwilioError) as caught:
            check_body_length(body)
        assert caught.value.code == 21617
        assert caught.value.http_status == 400


@pytest.mark.parametrize("vector", VECTORS["smart_encode"], ids=_ids("smart_encode"))
def test_smart_encode_vectors(vector: dict[str, str]) -> None:
    assert smart_encode(vector["input"]) == vector["output"]


def test_lone_extension_character_moves_whole_escape_pair() -> None:
    info = segment("a" * 152 + "€" + "a" * 10)

    assert info.segments == ("a" * 152, "€" + "a" * 10)
    assert [segment_units(Encoding.GSM7, part) for part in info.segments] == [152, 12]


def test_emoji_at_ucs2_boundary_is_not_split() -> None:
    info = segment("á" * 66 + "😀" + "á" * 10)

    assert info.segments == ("á" * 66, "😀" + "á" * 10)
    assert utf16_length(info.segments[0]) == 66


def test_gsm7_membership() -> None:
    assert is_gsm7("@$£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\r\n")
    assert is_gsm7("".join(GSM7_EXTENSION))
    assert is_gsm7("")
    assert not is_gsm7("`")
    assert not is_gsm7("ç")  # only capital Ç is in the table
    assert not is_gsm7("\t")
    assert not is_gsm7("😀")


def test_emoji_count_double_toward_the_limit() -> None:
    assert utf16_length("😀") == 2
    assert MAX_BODY_CHARS == 1600
    check_body_length("😀" * 800)
    with pytest.raises(TwilioError) as caught:
        check_body_length("😀" * 800 + "a")
    assert caught.value.code == 21617


def test_1601_characters_raise_21617() -> None:
    with pytest.raises(TwilioError) as caught:
        check_body_length("a" * 1601)
    assert caught.value.code == 21617
    assert caught.value.to_json()["status"] == 400


def test_empty_body_is_one_empty_gsm7_segment() -> None:
    assert segment("") == SegmentInfo(
        encoding=Encoding.GSM7, num_segments=1, units=0, characters=0, segments=("",)
    )


def test_smart_encoding_flag_segments_the_rewritten_text() -> None:
    info = segment("It’s “great” — ½ off…", smart_encoding=True)

    assert info.encoding is Encoding.GSM7
    assert info.segments == ('It\'s "great" - 1/2 off...',)
    assert segment("It’s “great” — ½ off…").encoding is Encoding.UCS2


def test_smart_encode_output_is_gsm7_for_every_mapped_character() -> None:
    mapped = "“”‘’«»‹›–—…½¼¾\u00a0\u2009\u3000\u200bＡ！｛～`‼•÷"

    assert is_gsm7(smart_encode(mapped))


def test_oversized_grapheme_is_split_between_code_points() -> None:
    body = "a" + "\u0301" * 100  # one "character" of 101 units cannot fit any segment

    info = segment(body)

    assert "".join(info.segments) == body
    assert [utf16_length(part) for part in info.segments] == [67, 34]


def _check_invariants(body: str, smart: bool) -> None:
    info = segment(body, smart_encoding=smart)
    text = smart_encode(body) if smart else body
    budget = segment_budget(info.encoding, info.num_segments)

    assert "".join(info.segments) == text
    assert info.num_segments == len(info.segments) >= 1
    assert info.characters == utf16_length(text)
    assert info.units == sum(segment_units(info.encoding, part) for part in info.segments)
    assert all(segment_units(info.encoding, part) <= budget for part in info.segments)
    assert (info.encoding is Encoding.GSM7) == is_gsm7(text)
    if info.num_segments > 1:
        assert all(part for part in info.segments)


_BODY_ALPHABET = st.sampled_from(
    ["a", "é", "á", "€", "{", "`", "“", "—", "😀", "\u200d", "\u0301", "🇫", "🇷", "🏽", "\r", "\n"]
)


@given(body=st.text(), smart=st.booleans())
def test_segments_reassemble_and_fit_for_any_text(body: str, smart: bool) -> None:
    _check_invariants(body, smart)


@given(
    body=st.lists(_BODY_ALPHABET, max_size=400).map("".join),
    smart=st.booleans(),
)
def test_segments_reassemble_and_fit_near_boundaries(body: str, smart: bool) -> None:
    # Long bodies drawn from escape, surrogate and combining characters stress the boundaries
    # that plain st.text() rarely reaches.
    _check_invariants(body, smart)


@given(
    body=st.text(alphabet=sorted(GSM7_BASIC), max_size=800)
    | st.sampled_from(["", "x" * 160, "x" * 161, "x" * 306, "x" * 307])
)
def test_plain_gsm7_shortcut_agrees_with_the_general_packing(body: str) -> None:
    # segment() splits a body of basic GSM-7 characters by length alone; the greedy packing
    # of every other body must give the same answer for it.
    assert segment(body) == _segment_general(body)


@given(body=st.text())
def test_utf16_length_counts_code_units(body: str) -> None:
    assert utf16_length(body) == sum(2 if ord(char) > 0xFFFF else 1 for char in body)
