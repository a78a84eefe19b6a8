"""Twilio's list pages: PageSize/Page/PageToken in, the page envelope out.

2010-04-01 lists carry ``*_page_uri`` paths relative to the host (the SDK prefixes its base
URL); Messaging v1 lists carry a ``meta`` object with absolute ``*_url`` values. Tokens are
``PA`` + the sid of the last item of the previous page (keyset paging: stable under inserts).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from switchboard.api.params import Params
from switchboard.domain.errors import TwilioError
from switchboard.ports import InvalidPageToken, Page, PageRequest

T = TypeVar("T")

# The bounds of every list read (SPEC §6.4), in one place. Integers are ASCII digits only: no
# sign, no whitespace, no other script's digits (Python's int() would take '+5', ' 5', '1_0' and
# '١٢'). Page has an upper bound too: the envelope renders Page × PageSize as ``start``, and that
# must stay an exact JSON integer for every reader (JavaScript's safe range is 2**53).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000_000  # with MAX_PAGE_SIZE: start ≤ 10**12
# A token is ``PA`` + the sid of the last item of the previous page.
_TOKEN_RE = re.compile(r"PA[A-Z]{2}[0-9a-fA-F]{32}")
_DIGITS_RE = re.compile(r"[0-9]+")
_SATURATED = 10**18  # any larger value reads as this (every bound here is far below it)


@dataclass(frozen=True, slots=True)
class PageQuery:
    size: int
    number: int
    token: str | None


def page_query(params: Params) -> PageQuery:
    size = whole_number(params, "PageSize", DEFAULT_PAGE_SIZE)
    if size < 1:
        raise TwilioError(21000, f"PageSize must be from 1 to {MAX_PAGE_SIZE}, not {size}")
    if size > MAX_PAGE_SIZE:
        shown = _shown(params.text("PageSize") or "")
        raise TwilioError(20007, f"Page size too large: {shown} (at most {MAX_PAGE_SIZE})")
    number = whole_number(params, "Page", 0)
    if number > MAX_PAGE:
        shown = _shown(params.text("Page") or "")
        raise TwilioError(21000, f"Page must be from 0 to {MAX_PAGE}, not {shown}")
    token = params.text("PageToken") or None
    if token is not None and _TOKEN_RE.fullmatch(token) is None:
        raise TwilioError(21481, f"Invalid PageToken {_shown(token)}")
    return PageQuery(size, number, token)


def whole_number(params: Params, name: str, default: int) -> int:
    """A non-negative integer parameter (``default`` when absent or empty); 21000 otherwise.

    Values too long to matter saturate rather than being converted, so callers compare with
    their own bounds and a 5,000-digit value costs nothing.
    """
    raw = params.text(name)
    if raw is None or raw == "":
        return default
    if _DIGITS_RE.fullmatch(raw) is None:
        raise TwilioError(
            21000, f"{name} must be a whole number written with the digits 0-9, not {_shown(raw)}"
        )
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(_SATURATED)):
        return _SATURATED
    return min(int(digits), _SATURATED)


def _shown(raw: str) -> str:
    """A client's value quoted for an error message, cut short when it is long."""
    return repr(raw if len(raw) <= 40 else f"{raw[:40]}…")


async def fetch_page(
    query: PageQuery,
    fetch: Callable[[PageRequest], Awaitable[Page[T]]],
    sid_of: Callable[[T], str],
) -> Page[T]:
    """One page: by token when given; otherwise walk from the start to ``Page`` (offset)."""
    try:
        if query.token is not None:
            return await fetch(PageRequest(query.size, query.token[2:]))
        page = await fetch(PageRequest(query.size))
        for _ in range(query.number):
            if not page.has_more or not page.items:
                return Page([], False)
            page = await fetch(PageRequest(query.size, sid_of(page.items[-1])))
        return page
    except InvalidPageToken:
        raise TwilioError(21481, f"Invalid PageToken {query.token!r}") from None


def _uri(path: str, filters: Sequence[tuple[str, str]], extra: list[tuple[str, Any]]) -> str:
    return f"{path}?{urlencode([*filters, *extra])}"


def v2010_envelope(
    key: str,
    records: list[dict[str, Any]],
    page: Page[T],
    query: PageQuery,
    path: str,
    filters: Sequence[tuple[str, str]],
    sid_of: Callable[[T], str],
) -> dict[str, Any]:
    size = query.size
    current: list[tuple[str, Any]] = [("PageSize", size), ("Page", query.number)]
    if query.token:
        current.append(("PageToken", query.token))
    next_uri = None
    if page.has_more and page.items:
        token = f"PA{sid_of(page.items[-1])}"
        next_uri = _uri(
            path, filters, [("PageSize", size), ("Page", query.number + 1), ("PageToken", token)]
        )
    start = query.number * size
    return {
        "end": start + max(len(records) - 1, 0),
        "first_page_uri": _uri(path, filters, [("PageSize", size), ("Page", 0)]),
        "next_page_uri": next_uri,
        "page": query.number,
        "page_size": size,
        "previous_page_uri": None,
        "start": start,
        "uri": _uri(path, filters, current),
        key: records,
    }


def v1_envelope(
    key: str,
    records: list[dict[str, Any]],
    page: Page[T],
    query: PageQuery,
    url: str,
    sid_of: Callable[[T], str],
) -> dict[str, Any]:
    size = query.size
    current: list[tuple[str, Any]] = [("PageSize", size), ("Page", query.number)]
    if query.token:
        current.append(("PageToken", query.token))
    next_url = None
    if page.has_more and page.items:
        token = f"PA{sid_of(page.items[-1])}"
        next_url = _uri(
            url, [], [("PageSize", size), ("Page", query.number + 1), ("PageToken", token)]
        )
    return {
        key: records,
        "meta": {
            "page": query.number,
            "page_size": size,
            "first_page_url": _uri(url, [], [("PageSize", size), ("Page", 0)]),
            "previous_page_url": None,
            "url": _uri(url, [], current),
            "next_page_url": next_url,
            "key": key,
        },
    }
