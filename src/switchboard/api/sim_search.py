"""The assertion API's parameters (``GET /_sim/messages``, ``GET /_sim/webhooks``), read and
checked: a parameter that cannot be understood is a 400 naming it, never an empty answer a
test would take for "nothing yet". Names are Twilio's spelling (``To``, not ``to``); an
unknown name is refused (20001) so a typo cannot silently widen a search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, TypeVar

from switchboard.api.paging import whole_number
from switchboard.api.params import Params
from switchboard.domain.errors import TwilioError
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import ATTEMPT_KINDS, Direction
from switchboard.services.search import (
    MAX_ATTEMPTS,
    MAX_MESSAGES,
    MAX_WAIT_SECONDS,
    AttemptSearch,
    MessageSearch,
)

MAX_PATTERN: Final = 1000  # characters of a Body regular expression

_COMMON: Final = ("Since", "Limit", "Wait")
MESSAGE_PARAMETERS: Final = ("To", "From", "Status", "Direction", "Body", *_COMMON)
ATTEMPT_PARAMETERS: Final = (
    "MessageSid", "Kind", "Url", "Status", "ErrorCode", "Failed", *_COMMON,
)  # fmt: skip

# RFC 3339's date-time: a full date, a time with seconds, and an offset (Z or ±hh:mm).
_RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_SECONDS_RE = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")
_SID_RE = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")

E = TypeVar("E", bound=StrEnum)


def message_search(params: Params) -> MessageSearch:
    _known(params, MESSAGE_PARAMETERS)
    return MessageSearch(
        to=_text(params, "To"),
        from_=_text(params, "From"),
        status=_choice(params, "Status", MessageStatus),
        direction=_choice(params, "Direction", Direction),
        body=_pattern(params, "Body"),
        since=_since(params),
        limit=_limit(params, 50, MAX_MESSAGES),
        wait=_wait(params),
    )


def attempt_search(params: Params) -> AttemptSearch:
    _known(params, ATTEMPT_PARAMETERS)
    kind = _text(params, "Kind")
    if kind is not None and kind not in ATTEMPT_KINDS:
        raise TwilioError(21000, f"Kind must be one of {', '.join(ATTEMPT_KINDS)}, not {kind!r}")
    message_sid = _text(params, "MessageSid")
    if message_sid is not None and _SID_RE.fullmatch(message_sid) is None:
        raise TwilioError(21000, f"MessageSid must be a message SID (SM...), not {message_sid!r}")
    status = _number(params, "Status")
    if status is not None and not 100 <= status <= 599:
        raise TwilioError(21000, f"Status must be an HTTP status from 100 to 599, not {status}")
    return AttemptSearch(
        message_sid=message_sid,
        kind=kind,
        url=_text(params, "Url"),
        status=status,
        error_code=_number(params, "ErrorCode"),
        failed=params.boolean("Failed"),
        since=_since(params),
        limit=_limit(params, 200, MAX_ATTEMPTS),
        wait=_wait(params),
    )


def _known(params: Params, names: Iterable[str]) -> None:
    allowed = tuple(names)
    for name in params:
        if name not in allowed:
            raise TwilioError(
                20001, f"Unknown parameter {name[:40]!r}: this search takes {', '.join(allowed)}"
            )


def _text(params: Params, name: str) -> str | None:
    """The value, None when absent or empty (an empty value filters nothing)."""
    return params.text(name) or None


def _choice(params: Params, name: str, values: type[E]) -> E | None:
    raw = _text(params, name)
    if raw is None:
        return None
    try:
        return values(raw)
    except ValueError:
        allowed = ", ".join(v.value for v in values)
        raise TwilioError(21000, f"{name} must be one of {allowed}, not {raw[:40]!r}") from None


def _pattern(params: Params, name: str) -> re.Pattern[str] | None:
    raw = _text(params, name)
    if raw is None:
        return None
    if len(raw) > MAX_PATTERN:
        raise TwilioError(
            21000, f"{name} is a regular expression of at most {MAX_PATTERN} characters"
        )
    try:
        return re.compile(raw)
    except re.error as error:
        raise TwilioError(21000, f"{name} is not a valid regular expression: {error}") from None


def _since(params: Params) -> datetime | None:
    raw = _text(params, "Since")
    if raw is None:
        return None
    try:
        if _RFC3339_RE.fullmatch(raw) is None:
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(
            21000, f"Since must be an RFC 3339 time such as 2024-05-01T12:00:00Z, not {raw[:40]!r}"
        ) from None
    return moment.astimezone(UTC)


def _limit(params: Params, default: int, maximum: int) -> int:
    limit = whole_number(params, "Limit", default)
    if not 1 <= limit <= maximum:
        raise TwilioError(21000, f"Limit must be from 1 to {maximum}, not {limit}")
    return limit


def _number(params: Params, name: str) -> int | None:
    return None if _text(params, name) is None else whole_number(params, name, 0)


def _wait(params: Params) -> float:
    raw = _text(params, "Wait")
    if raw is None:
        return 0.0
    if _SECONDS_RE.fullmatch(raw) is None:
        raise TwilioError(
            21000, f"Wait must be a number of seconds (such as 5 or 0.5), not {raw[:40]!r}"
        )
    wait = float(raw)
    if wait > MAX_WAIT_SECONDS:
        raise TwilioError(21000, f"Wait is at most {MAX_WAIT_SECONDS} seconds, not {raw}")
    return wait
