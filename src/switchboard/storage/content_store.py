"""Content templates in the SQL store, their WhatsApp approval, and the WhatsApp window.

A part of :class:`~switchboard.storage.sql_store.SqlStore` of its own (see
:mod:`switchboard.storage.store_part`): templates are a resource with their own life, which the
message path only reads, to render a send and to judge it against the WhatsApp window. That
judgement needs both a template's approval and the recipient's last inbound message
(:meth:`ContentStoreMethods.last_inbound`), so the two are read here together. An approval is
one row per template, replaced by a resubmission and deleted with the template (a cascade).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from switchboard.domain.models import Content, ContentApproval
from switchboard.ports import Page, PageRequest
from switchboard.storage import records
from switchboard.storage.paging import keyset_page
from switchboard.storage.rows import from_micros
from switchboard.storage.store_part import StorePart


class ContentStoreMethods(StorePart):
    """The Content API part of :class:`~switchboard.storage.sql_store.SqlStore`."""

    # Content templates

    async def insert_content(self, content: Content) -> None:
        await self._db.execute("insert_content", records.content_params(content))

    async def get_content(self, account_sid: str, sid: str) -> Content | None:
        return await self._get("get_content", records.content, account_sid=account_sid, sid=sid)

    async def update_content(self, content: Content) -> bool:
        return await self._db.execute("update_content", records.content_params(content)) > 0

    async def delete_content(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_content", params) > 0

    async def list_contents(self, account_sid: str, page: PageRequest) -> Page[Content]:
        keys = {"account_sid": account_sid}
        return await self._db.snapshot(
            keyset_page("content_seq", "list_contents", keys, {}, page, records.content)
        )

    # Their WhatsApp approval, and the WhatsApp window

    async def save_content_approval(self, approval: ContentApproval) -> bool:
        params = records.content_approval_params(approval)
        return await self._db.execute("save_content_approval", params) > 0

    async def get_content_approval(
        self, account_sid: str, content_sid: str
    ) -> ContentApproval | None:
        return await self._get(
            "get_content_approval",
            records.content_approval,
            account_sid=account_sid,
            content_sid=content_sid,
        )

    async def list_content_approvals(self, content_sids: Sequence[str]) -> list[ContentApproval]:
        if not content_sids:
            return []
        rows = await self._db.fetch_all(
            "list_content_approvals", {"content_sids": list(content_sids)}
        )
        return [records.content_approval(row) for row in rows]

    async def last_inbound(self, account_sid: str, from_: str, to: str) -> datetime | None:
        params = {"account_sid": account_sid, "from_addr": from_, "to_addr": to}
        row = await self._db.fetch_one("last_inbound", params)
        return None if row is None or row["at"] is None else from_micros(row["at"])
