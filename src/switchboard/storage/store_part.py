"""What every part of the SQL store stands on: its connector and the read of one record.

:class:`~switchboard.storage.sql_store.SqlStore` is assembled from parts, one module for each
group of the Store port's methods (``event_store``, ``sender_store``, ``content_store``,
``rules_store``), so that each module holds one group. Each part inherits :class:`StorePart`,
which declares the connector the store sets in its constructor and the helper the parts share;
none of them imports the store, which imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from switchboard.storage.connector import Connector, Row

T = TypeVar("T")


class StorePart:
    """The base of each part of :class:`~switchboard.storage.sql_store.SqlStore`."""

    _db: Connector  # set by SqlStore.__init__

    async def _get(self, query: str, convert: Callable[[Row], T], **params: Any) -> T | None:
        """The one row ``query`` answers, converted, or None when it answers none."""
        row = await self._db.fetch_one(query, params)
        return None if row is None else convert(row)
