"""The dashboard's search parameters: one query string for the page's URL and its JSON API.

The page keeps its view in its own query string (``/?view=attempts&failed=1``), so a view can
be shared and reloads as it was, and hands the same parameters to ``/_dashboard/api/messages``
or ``/attempts``. Each is validated here into the store's search; a bad value is a 400 in
Twilio's error format, never a 500. Unknown parameters are ignored (the page's own ``view``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypedDict, TypeVar

from switchboard.domain.errors import TwilioError
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction
from switchboard.domain.phone import Channel
from switchboard.ports import AttemptQuery, MessageQuery, PageRequest

PAGE_SIZE = 50
MAX_TEXT = 200  # characters of a search or filter value
DIRECTIONS = frozenset({"outbound", *(d.value for d in Direction)})
STATUSES = frozenset(s.value for s in MessageStatus)
CHANNELS = frozenset(c.value for c in Channel)
KINDS = frozenset(
    {"incoming", "fallback", "redirect", "status_callback", "action", "replay", "event"}
)
TRUE, FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"", "0", "false", "no", "off"})

T = TypeVar("T")
Query = Mapping[str, str]


def _invalid(name: str, detail: str) -> TwilioError:
    return TwilioError(21000, f"Invalid {name}: {detail}")


def _text(query: Query, name: str) -> str | None:
    value = query.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise _invalid(name, f"at most {MAX_TEXT} characters")
    return value or None


def _parsed(query: Query, name: str, parse: Callable[[str], T], detail: str) -> T | None:
    value = _text(query, name)
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        raise _invalid(name, f"{value!r} is not {detail}") from None


def _one_of(query: Query, name: str, allowed: frozenset[str]) -> str | None:
    value = _text(query, name)
    if value is not None and value.lower() not in allowed:
        raise _invalid(name, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return value.lower() if value is not None else None


def _moment(text: str) -> datetime:
    """ISO 8601; a time without an offset is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _flag(text: str) -> bool:
    lowered = text.lower()
    if lowered in TRUE or lowered in FALSE:
        return lowered in TRUE
    raise ValueError(text)


def _error_code(query: Query) -> int | None:
    code = _parsed(query, "error_code", int, "a number")
    if code is not None and not 0 < code < 10**6:
        raise _invalid("error_code", "a Twilio error code is a positive number")
    return code


def page_request(query: Query) -> PageRequest:
    size = _parsed(query, "limit", int, "a number")
    return PageRequest(PAGE_SIZE if size is None else size, _text(query, "cursor"))


class _Window(TypedDict):
    created_from: datetime | None
    created_before: datetime | None


def _window(query: Query) -> _Window:
    since = _parsed(query, "since", _moment, "an ISO 8601 time")
    until = _parsed(query, "until", _moment, "an ISO 8601 time")
    return {"created_from": since, "created_before": until}


def message_search(query: Query) -> MessageQuery:
    """The search the query string asks for; the simulator sets the accounts (the scope)."""
    return MessageQuery(
        account_sids=(),
        text=_text(query, "q"),
        number=_text(query, "number"),
        service_sid=_text(query, "service"),
        status=_one_of(query, "status", STATUSES),
        direction=_one_of(query, "direction", DIRECTIONS),
        channel=_one_of(query, "channel", CHANNELS),
        error_code=_error_code(query),
        **_window(query),
    )


def attempt_search(query: Query) -> AttemptQuery:
    return AttemptQuery(
        account_sids=(),
        text=_text(query, "q"),
        number=_text(query, "number"),
        service_sid=_text(query, "service"),
        message_sid=_text(query, "message"),
        kind=_one_of(query, "kind", KINDS),
        failed=bool(_parsed(query, "failed", _flag, "true or false")),
        error_code=_error_code(query),
        **_window(query),
    )
