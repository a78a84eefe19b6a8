"""Twilio's list pages: PageSize/Page/PageToken in, the page envelope out.

2010-04-01 lists carry ``*_page_uri`` paths relative to the host (the SDK prefixes its base
URL); Messaging v1 lists carry a ``meta`` object with absolute ``*_url`` values. Tokens are
``PA`` + the sid of the last item of the previous page (keyset paging: stable under inserts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from switchboard.api.params import Params
from switchboard.domain.errors import TwilioError
from switchboard.ports import InvalidPageToken, Page, PageRequest

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PageQuery:
    size: int
    number: int
    token: str | None


def page_query(params: Params) -> PageQuery:
    size = _int(params, "PageSize", DEFAULT_PAGE_SIZE)
    if size < 1:
        raise TwilioError(21000, f"PageSize must be at least 1, not {size}")
    if size > MAX_PAGE_SIZE:
        raise TwilioError(20007, f"Page size too large: {size} (at most {MAX_PAGE_SIZE})")
    number = _int(params, "Page", 0)
    if number < 0:
        raise TwilioError(21000, f"Page must not be negative, not {number}")
    token = params.text("PageToken") or None
    if token is not None and (not token.startswith("PA") or len(token) < 4):
        raise TwilioError(21481, f"Invalid PageToken {token!r}")
    return PageQuery(size, number, token)


def _int(params: Params, name: str, default: int) -> int:
    raw = params.text(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise TwilioError(21000, f"{name} must be an integer, not {raw!r}") from None


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
