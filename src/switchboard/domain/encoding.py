"""SMS character encoding and segmentation, as Twilio counts them (SPEC §8).

An SMS carries 140 octets of user data. GSM-7 packs 7-bit septets into it (160 per message);
anything outside the GSM 03.38 alphabet forces the whole message into UCS-2 (70 UTF-16 code
units). Characters from the GSM extension table cost two septets because they are sent as
ESC + code. A concatenated message spends 6 octets of every part on the User Data Header, which
leaves 153 septets or 67 UCS-2 units per segment.

Twilio's segment calculator packs greedily and never splits an escape pair, a surrogate pair
or a grapheme across segments: a character that does not fit moves wholly to the next segment,
so the count can exceed ``ceil(units / 153)``. We do the same. Graphemes are approximated
(combining marks, ZWJ sequences, variation selectors, skin tones, tags, flag pairs, CR LF)
rather than implementing full UAX #29; a cluster larger than a whole segment is split between
code points, which in Python never separates a surrogate pair.

An empty body (a media-only message) is reported as one GSM-7 segment holding ``""``, which is
what Twilio returns as ``num_segments`` for such messages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from switchboard.domain.errors import TwilioError

MAX_BODY_CHARS: Final = 1600

GSM7_SINGLE_SEGMENT: Final = 160
GSM7_PER_SEGMENT: Final = 153
UCS2_SINGLE_SEGMENT: Final = 70
UCS2_PER_SEGMENT: Final = 67

# 3GPP TS 23.038 default alphabet in code order (0x1B, the escape itself, is left out).
GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as ESC + code, hence two septets each.
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
GSM7_ALL: Final = GSM7_BASIC | GSM7_EXTENSION

_ZWJ: Final = "\u200d"


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a body goes over the air.

    ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2) excluding headers;
    ``characters`` counts UTF-16 code units of the segmented text, the unit of Twilio's 1600
    limit; ``segments`` concatenate back to that text.
    """

    encoding: Encoding
    num_segments: int
    units: int
    characters: int
    segments: tuple[str, ...]


def _smart_map() -> dict[int, str]:
    # A subset (about 180 entries) of Twilio's published Smart Encoding list, limited to
    # look-alikes whose replacement is plain GSM-7. Emoji, CJK and accented letters stay as
    # they are: Twilio does not transliterate them either.
    groups: dict[str, str] = {
        '"': "\u00ab\u00bb\u201c\u201d\u201e\u201f\u02ba\u02ee\u275d\u275e\u301d\u301e",
        "'": "\u2018\u2019\u201b\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u00b4`\u275b\u275c",
        ",": "\u201a\u3001\ufe50\ufe51\uff64",
        "-": "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2022\ufe63",
        ".": "\u3002\ufe52\uff61",
        "...": "\u2026",
        "/": "\u00f7\u2044\u2215\u29f8",
        "\\": "\u29f5\u29f9\ufe68",
        "|": "\u2223",
        "*": "\u204e\u2217",
        "!": "\u01c3\ufe57",
        "!!": "\u203c",
        "?": "\ufe56",
        ":": "\u02d0\u02f8\ua789",
        ";": "\u204f\ufe54",
        "<": "\u2039\ufe64",
        ">": "\u203a\ufe65",
        "(": "\ufe59\u2768\u276a",
        ")": "\ufe5a\u2769\u276b",
        "{": "\ufe5b\u2774",
        "}": "\ufe5c\u2775",
        "~": "\u02dc\u223c",
        "^": "\u02c6",
        "+": "\u02d6\ufe62",
        "=": "\ufe66\ua78a",
        "#": "\ufe5f",
        "%": "\ufe6a",
        "&": "\ufe60",
        "@": "\ufe6b",
        "$": "\ufe69",
        "1/4": "\u00bc",
        "1/2": "\u00bd",
        "3/4": "\u00be",
        " ": "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
        "\u202f\u205f\u3000\u2028\u2029",
        # Invisible characters would otherwise force UCS-2 for nothing.
        "": "\u200b\u2060\ufeff",
    }
    table = {ord(char): target for target, chars in groups.items() for char in chars}
    # Fullwidth forms of ASCII punctuation, digits, capitals and brackets map by a fixed
    # offset; fullwidth lower case is not in Twilio's list.
    for code in (*range(0xFF01, 0xFF40), *range(0xFF5B, 0xFF5F)):
        table[code] = chr(code - 0xFEE0)
    return table


_SMART_MAP: Final = _smart_map()


def smart_encode(body: str) -> str:
    """Replace Unicode look-alikes (smart quotes, dashes, ``…``, ``½``, Unicode spaces,
    fullwidth ASCII) with GSM-7 equivalents, emulating Twilio's Smart Encoding.

    The table is a subset of Twilio's ~270-entry list (SPEC §8.3); control characters and the
    tab, which Twilio also rewrites, are left alone. ``‹``/``›`` map to ``<``/``>``.
    """
    return body.translate(_SMART_MAP)


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return GSM7_ALL.issuperset(text)


def utf16_length(text: str) -> int:
    """UTF-16 code units: a character outside the BMP counts twice (a lone surrogate once)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check_body_length(body: str) -> None:
    """Raise 21617 when ``body`` exceeds 1600 characters.

    Twilio says emoji may count as more than one character; UTF-16 code units is the best
    guess at its unit (SPEC §8.2, inferred).
    """
    length = utf16_length(body)
    if length > MAX_BODY_CHARS:
        raise TwilioError(
            21617,
            f"The concatenated message body exceeds the {MAX_BODY_CHARS} character limit "
            f"({length} characters).",
        )


def segment(body: str, *, smart_encoding: bool = False) -> SegmentInfo:
    """Encoding, segment count and segment texts for ``body``.

    With ``smart_encoding`` the body is first passed through :func:`smart_encode`, and the
    result describes (and ``segments`` concatenate to) the rewritten text.
    """
    text = smart_encode(body) if smart_encoding else body
    if GSM7_BASIC.issuperset(text):
        # Most bodies: one septet and one code unit per character, so the greedy packing is a
        # plain split (the general path below gives the same; a test compares them).
        return _basic_gsm7(text)
    return _segment_general(text)


def _basic_gsm7(text: str) -> SegmentInfo:
    if len(text) <= GSM7_SINGLE_SEGMENT:
        segments: tuple[str, ...] = (text,)
    else:
        step = GSM7_PER_SEGMENT
        segments = tuple(text[start : start + step] for start in range(0, len(text), step))
    return SegmentInfo(Encoding.GSM7, len(segments), len(text), len(text), segments)


def _segment_general(text: str) -> SegmentInfo:
    if is_gsm7(text):
        encoding, single, per_segment = Encoding.GSM7, GSM7_SINGLE_SEGMENT, GSM7_PER_SEGMENT
        # GSM-7 characters are single code points and never combine, so each stands alone.
        pieces: list[str] = list(text)
        cost: Callable[[str], int] = _septets
    else:
        encoding, single, per_segment = Encoding.UCS2, UCS2_SINGLE_SEGMENT, UCS2_PER_SEGMENT
        pieces = _graphemes(text)
        cost = utf16_length
    units = sum(cost(piece) for piece in pieces)
    segments: tuple[str, ...]
    if units <= single:
        segments = (text,)
    else:
        segments = _pack(pieces, per_segment, cost)
    return SegmentInfo(
        encoding=encoding,
        num_segments=len(segments),
        units=units,
        characters=utf16_length(text),
        segments=segments,
    )


def segment_budget(encoding: Encoding, num_segments: int) -> int:
    """Units one segment may hold in a message of ``num_segments`` segments."""
    if encoding is Encoding.GSM7:
        return GSM7_SINGLE_SEGMENT if num_segments <= 1 else GSM7_PER_SEGMENT
    return UCS2_SINGLE_SEGMENT if num_segments <= 1 else UCS2_PER_SEGMENT


def segment_units(encoding: Encoding, text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) that ``text`` occupies."""
    if encoding is Encoding.GSM7:
        return sum(_septets(char) for char in text)
    return utf16_length(text)


def _septets(text: str) -> int:
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def _pack(pieces: Iterable[str], budget: int, cost: Callable[[str], int]) -> tuple[str, ...]:
    segments: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        size = cost(piece)
        if size > budget:
            # A cluster bigger than a whole segment cannot stay together; fall back to code
            # points, which still keeps surrogate pairs and escape pairs intact.
            atoms: Iterable[str] = piece
        else:
            atoms = (piece,)
        for atom in atoms:
            size = cost(atom)
            if used + size > budget:
                segments.append("".join(current))
                current, used = [], 0
            current.append(atom)
            used += size
    segments.append("".join(current))
    return tuple(segments)


def _graphemes(text: str) -> list[str]:
    clusters: list[str] = []
    for char in text:
        if clusters and _extends(clusters[-1], char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _extends(cluster: str, char: str) -> bool:
    # Simplified UAX #29: the cases that put several code points into one visible emoji or
    # accented letter, which a phone would render broken if split across two segments.
    code = ord(char)
    if cluster[-1] in "\r\n":
        return cluster == "\r" and char == "\n"
    if char == _ZWJ or unicodedata.category(char) in ("Mn", "Me", "Mc"):
        return True
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, tag sequences
        return True
    if cluster[-1] == _ZWJ and len(cluster) > 1:
        return True
    # Regional indicators pair up into flags.
    return _is_regional(char) and len(cluster) == 1 and _is_regional(cluster)


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
