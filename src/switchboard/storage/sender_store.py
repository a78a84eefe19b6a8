"""Messaging Services in the SQL store: the services, their sender pools, the senders besides
phone numbers (short codes, alphanumeric IDs, channel senders), and the sender chosen for a
message.

A part of :class:`~switchboard.storage.sql_store.SqlStore` of its own (see
:mod:`switchboard.storage.store_part`): a service and its pool are a resource with their own
life. The outbox writes here only why a message got its sender (:func:`save_sender_choice`,
run by :meth:`~switchboard.storage.sql_store.SqlStore.finish_job` in the transaction that
commits the message). Removing a sender from a pool forgets, in the same transaction, the
recipients stuck to it.
"""

from __future__ import annotations

from switchboard.domain.models import (
    AccountSender,
    MessagingService,
    SenderChoice,
    SenderKind,
    ServicePhoneNumber,
    ServiceSender,
)
from switchboard.ports import Page, PageRequest, PoolEntry, StickyKey
from switchboard.storage import records, sender_records
from switchboard.storage.connector import Statements
from switchboard.storage.paging import keyset_page
from switchboard.storage.store_part import StorePart


async def save_sender_choice(
    tx: Statements, choice: SenderChoice, sticky: StickyKey | None
) -> None:
    """Why a message got its sender and, when given, the recipient's sticky mapping to it."""
    params = sender_records.sender_choice_params(choice)
    await tx.execute("save_sender_choice", params)
    if sticky is not None:
        service_sid, channel, recipient = sticky
        mapping = {
            "service_sid": service_sid,
            "channel": channel,
            "recipient": recipient,
            "sender": choice.sender,
            "date_updated": params["date_created"],
        }
        await tx.execute("save_sticky_sender", mapping)


class SenderStoreMethods(StorePart):
    """The Messaging Services part of :class:`~switchboard.storage.sql_store.SqlStore`."""

    # Messaging Services and their phone numbers

    async def insert_service(self, service: MessagingService) -> None:
        await self._db.execute("insert_service", records.service_params(service))

    async def get_service(self, account_sid: str, sid: str) -> MessagingService | None:
        return await self._get("get_service", records.service, account_sid=account_sid, sid=sid)

    async def update_service(self, service: MessagingService) -> None:
        await self._db.execute("update_service", records.service_params(service))

    async def delete_service(self, account_sid: str, sid: str) -> bool:
        params = {"account_sid": account_sid, "sid": sid}
        return await self._db.execute("delete_service", params) > 0

    async def list_services(self, account_sid: str, page: PageRequest) -> Page[MessagingService]:
        keys = {"account_sid": account_sid}
        return await self._db.snapshot(
            keyset_page("service_seq", "list_services", keys, {}, page, records.service)
        )

    async def add_service_number(self, entry: ServicePhoneNumber) -> None:
        await self._db.execute("insert_service_number", records.service_number_params(entry))

    async def get_service_number(self, service_sid: str, sid: str) -> ServicePhoneNumber | None:
        return await self._get(
            "get_service_number", records.service_number, service_sid=service_sid, sid=sid
        )

    async def remove_service_number(self, service_sid: str, sid: str) -> bool:
        params = {"service_sid": service_sid, "sid": sid}

        async def work(tx: Statements) -> bool:
            entry = await tx.fetch_one("get_service_number", params)
            if entry is None:
                return False
            await tx.execute("delete_service_number", params)
            forget = {"service_sid": service_sid, "sender": entry["phone_number"]}
            await tx.execute("forget_sticky_sender", forget)
            return True

        return await self._db.transaction(work)

    async def list_service_numbers(
        self, service_sid: str, page: PageRequest
    ) -> Page[ServicePhoneNumber]:
        keys = {"service_sid": service_sid}
        return await self._db.snapshot(
            keyset_page(
                "service_number_seq", "list_service_numbers", keys, {}, page, records.service_number
            )
        )

    async def service_for_number(self, phone_number_sid: str) -> str | None:
        return await self._get(
            "service_for_number", lambda row: str(row["service_sid"]), sid=phone_number_sid
        )

    # Senders besides phone numbers

    async def insert_account_sender(self, sender: AccountSender) -> None:
        await self._db.execute(
            "insert_account_sender", sender_records.account_sender_params(sender)
        )

    async def get_account_sender(self, account_sid: str, sid: str) -> AccountSender | None:
        return await self._get(
            "get_account_sender", sender_records.account_sender, account_sid=account_sid, sid=sid
        )

    async def find_account_sender(
        self, address: str
    ) -> tuple[AccountSender, MessagingService | None] | None:
        row = await self._db.fetch_one("find_account_sender", {"address": address})
        return (
            None
            if row is None
            else (sender_records.account_sender(row), records.joined_service(row))
        )

    async def update_account_sender(self, sender: AccountSender) -> None:
        await self._db.execute(
            "update_account_sender", sender_records.account_sender_params(sender)
        )

    async def list_account_senders(
        self,
        account_sid: str,
        kind: SenderKind,
        address_like: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[AccountSender]:
        keys = {"account_sid": account_sid, "kind": kind.value}
        filters = {"address_like": address_like, "friendly_name": friendly_name}
        return await self._db.snapshot(
            keyset_page(
                "account_sender_seq",
                "list_account_senders",
                keys,
                filters,
                page,
                sender_records.account_sender,
            )
        )

    async def add_service_sender(self, entry: ServiceSender) -> None:
        await self._db.execute("insert_service_sender", sender_records.service_sender_params(entry))

    async def get_service_sender(
        self, service_sid: str, kind: SenderKind, sid: str
    ) -> ServiceSender | None:
        return await self._get(
            "get_service_sender",
            sender_records.service_sender,
            service_sid=service_sid,
            kind=kind.value,
            sid=sid,
        )

    async def find_service_sender(self, sid: str) -> ServiceSender | None:
        return await self._get("find_service_sender", sender_records.service_sender, sid=sid)

    async def remove_service_sender(self, service_sid: str, kind: SenderKind, sid: str) -> bool:
        params = {"service_sid": service_sid, "kind": kind.value, "sid": sid}

        async def work(tx: Statements) -> bool:
            removed = await tx.fetch_one("delete_service_sender", params)
            if removed is None:
                return False
            forget = {"service_sid": service_sid, "sender": removed["sender"]}
            await tx.execute("forget_sticky_sender", forget)
            return True

        return await self._db.transaction(work)

    async def list_service_senders(
        self, service_sid: str, kind: SenderKind, country_code: str | None, page: PageRequest
    ) -> Page[ServiceSender]:
        keys = {"service_sid": service_sid, "kind": kind.value}
        filters = {"country_code": country_code}
        return await self._db.snapshot(
            keyset_page(
                "service_sender_seq",
                "list_service_senders",
                keys,
                filters,
                page,
                sender_records.service_sender,
            )
        )

    async def service_pool(self, service_sid: str) -> list[PoolEntry]:
        rows = await self._db.fetch_all(
            "service_pool", {"service_sid": service_sid, "channel": None, "recipient": None}
        )
        return [(SenderKind(r["kind"]), r["sender"], r["country_code"]) for r in rows]

    async def sender_pool(
        self, service_sid: str, channel: str, recipient: str
    ) -> tuple[list[PoolEntry], str | None]:
        params = {"service_sid": service_sid, "channel": channel, "recipient": recipient}
        pool: list[PoolEntry] = []
        sticky = None
        for r in await self._db.fetch_all("service_pool", params):
            if r["kind"] == "sticky":
                sticky = str(r["sender"])
            else:
                pool.append((SenderKind(r["kind"]), r["sender"], r["country_code"]))
        return pool, sticky

    async def get_sender_choice(self, message_sid: str) -> SenderChoice | None:
        return await self._get(
            "get_sender_choice", sender_records.sender_choice, message_sid=message_sid
        )
