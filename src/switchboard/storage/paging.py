"""Keyset paging in the SQL store: a page token is the sid of the previous page's last item,
and a list reads the rows after (or before) that item's ``seq``, one more than the page holds
to know whether another page follows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from switchboard.ports import InvalidPageToken, Page, PageRequest
from switchboard.storage.connector import Row, Statements

T = TypeVar("T")


async def cursor_seq(tx: Statements, seq_query: str, page: PageRequest, **keys: Any) -> int | None:
    """The keyset position of the page token (the sid of the previous page's last item)."""
    if page.after is None:
        return None
    row = await tx.fetch_one(seq_query, {"sid": page.after, **keys})
    if row is None:
        raise InvalidPageToken(page.after)
    return int(row["seq"])


async def read_page(
    tx: Statements,
    list_query: str,
    params: dict[str, Any],
    page: PageRequest,
    convert: Callable[[Row], T],
) -> Page[T]:
    found = await tx.fetch_all(list_query, {**params, "limit": page.page_size + 1})
    return Page([convert(r) for r in found[: page.page_size]], len(found) > page.page_size)


def keyset_page(
    seq_query: str,
    list_query: str,
    keys: dict[str, Any],
    filters: dict[str, Any],
    page: PageRequest,
    convert: Callable[[Row], T],
    *,
    cursor: str = "after_seq",
) -> Callable[[Statements], Awaitable[Page[T]]]:
    """The read of one page after its token: ``keys`` scope the token, ``filters`` the list."""

    async def work(tx: Statements) -> Page[T]:
        seq = await cursor_seq(tx, seq_query, page, **keys)
        if seq is None and cursor == "after_seq":
            seq = 0  # ascending pages start at the beginning
        return await read_page(tx, list_query, {**keys, **filters, cursor: seq}, page, convert)

    return work
