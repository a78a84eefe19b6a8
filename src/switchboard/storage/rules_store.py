"""The rules the simulator applies to traffic, in the SQL store: opt-outs, loop protection's
reply history, and the carrier's scenarios.

A part of :class:`~switchboard.storage.sql_store.SqlStore` of its own (see
:mod:`switchboard.storage.store_part`): these rows judge messages (may a send go, what the
carrier does with it) but are not messages, and none of them is written with one. The reply
history is read in one snapshot, so the replies that went and the first one held after them
are of the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from switchboard.domain.loops import PastReply
from switchboard.domain.optout import OptOutSettings
from switchboard.storage import records
from switchboard.storage.connector import Statements
from switchboard.storage.rows import dump_json, from_micros, load_json, to_micros
from switchboard.storage.store_part import StorePart


class RuleStoreMethods(StorePart):
    """The traffic rules part of :class:`~switchboard.storage.sql_store.SqlStore`."""

    # Opt-outs (STOP filtering) and a service's Advanced Opt-Out settings

    async def set_opt_out(
        self, account_sid: str, sender: str, recipient: str, opted_out: bool, at: datetime
    ) -> bool:
        params: dict[str, Any] = {
            "account_sid": account_sid,
            "sender": sender,
            "recipient": recipient,
        }
        if opted_out:
            params["date_created"] = to_micros(at)
            return await self._db.execute("insert_opt_out", params) > 0
        return await self._db.execute("delete_opt_out", params) > 0

    async def is_opted_out(self, account_sid: str, sender: str, recipient: str) -> bool:
        params = {"account_sid": account_sid, "sender": sender, "recipient": recipient}
        return await self._db.fetch_one("get_opt_out", params) is not None

    async def save_opt_out_settings(
        self, account_sid: str, service_sid: str, settings: OptOutSettings, at: datetime
    ) -> None:
        params = records.opt_out_settings_params(account_sid, service_sid, settings, at)
        await self._db.execute("save_opt_out_settings", params)

    async def get_opt_out_settings(self, service_sid: str) -> OptOutSettings | None:
        return await self._get(
            "get_opt_out_settings", records.opt_out_settings, service_sid=service_sid
        )

    # Loop protection

    async def reply_history(self, from_: str, to: str, limit: int) -> list[PastReply]:
        pair = {"from_addr": from_, "to_addr": to}

        async def read(tx: Statements) -> list[PastReply]:
            went = await tx.fetch_all("loop_replies_went", {**pair, "limit": limit})
            since = went[0]["date_created"] if went else 0
            held = await tx.fetch_one("loop_first_held", {**pair, "since": since})
            history = [PastReply(from_micros(row["date_created"])) for row in went]
            if held is not None and held["at"] is not None:
                history.append(PastReply(from_micros(held["at"]), held=True))
            return history

        return await self._db.snapshot(read)

    # The carrier's scenarios

    async def list_scenarios(self) -> list[dict[str, Any]]:
        return [load_json(row["body"]) for row in await self._db.fetch_all("list_scenarios", {})]

    async def replace_scenarios(self, scenarios: Sequence[Mapping[str, Any]]) -> None:
        bodies = [{"body": dump_json(dict(scenario))} for scenario in scenarios]

        async def work(tx: Statements) -> None:
            await tx.execute("delete_scenarios", {})
            await tx.execute_many("insert_scenario", bodies)

        await self._db.transaction(work)
