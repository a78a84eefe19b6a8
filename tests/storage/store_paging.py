"""Reading a store's keyset-paged listing to its end, for the Store contract tests (imported by
name: pyproject's pytest ``pythonpath`` lists this directory)."""

from __future__ import annotations

from typing import Any

from switchboard.ports import PageRequest


async def walk(fetch: Any, page_size: int) -> list[Any]:
    """Every page of a listing, following the sid of each page's last item."""
    pages: list[Any] = []
    after: str | None = None
    while True:
        page = await fetch(PageRequest(page_size=page_size, after=after))
        pages.append(page)
        if not page.has_more:
            return pages
        after = page.items[-1].sid
