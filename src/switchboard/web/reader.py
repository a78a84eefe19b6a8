"""What the dashboard reads, for the main account and its subaccounts.

Everything goes through the store (or the services) on every call: with ``--workers N`` other
processes write to the same database, and reading the store is how their work shows up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.domain.errors import NotFound
from switchboard.domain.models import (
    Account,
    Message,
    MessagingService,
    PhoneNumber,
    ServicePhoneNumber,
    WebhookAttempt,
)
from switchboard.ports import AttemptFilter, MessageFilter, PageRequest
from switchboard.services.container import Services

RECENT_MESSAGES = 200
RECENT_ATTEMPTS = 100  # attempts carry bodies: the live window stays modest
ALL = PageRequest(page_size=1000)


@dataclass(frozen=True, slots=True)
class Scope:
    """The accounts one dashboard sees: the main account first, then its subaccounts."""

    main: Account
    account_sids: tuple[str, ...]

    def __contains__(self, account_sid: object) -> bool:
        return account_sid in self.account_sids


class DashboardReader:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._store = services.runtime.store

    async def scope(self, main: Account) -> Scope:
        accounts = await self._store.list_accounts(main.sid, None, None, ALL)
        others = [a.sid for a in accounts.items if a.sid != main.sid]
        return Scope(main, (main.sid, *others))

    async def numbers(self, scope: Scope) -> list[PhoneNumber]:
        found: list[PhoneNumber] = []
        for sid in scope.account_sids:
            found += (await self._store.list_phone_numbers(sid, None, None, ALL)).items
        return found

    async def messaging_services(
        self, scope: Scope
    ) -> list[tuple[MessagingService, list[ServicePhoneNumber]]]:
        found = []
        for sid in scope.account_sids:
            for service in (await self._store.list_services(sid, ALL)).items:
                pool = await self._store.list_service_numbers(service.sid, ALL)
                found.append((service, pool.items))
        return found

    async def recent_messages(self, scope: Scope, limit: int = RECENT_MESSAGES) -> list[Message]:
        """The newest ``limit`` messages of each account, oldest first."""
        found: list[Message] = []
        for sid in scope.account_sids:
            page = await self._store.list_messages(sid, MessageFilter(), PageRequest(limit))
            found += page.items
        return sorted(found, key=lambda m: m.seq)

    async def recent_attempts(
        self, scope: Scope, limit: int = RECENT_ATTEMPTS
    ) -> list[WebhookAttempt]:
        return await self._store.list_attempts(
            AttemptFilter(account_sids=scope.account_sids, limit=limit)
        )

    async def attempts_for(self, scope: Scope, message_sid: str) -> list[WebhookAttempt]:
        return await self._store.list_attempts(
            AttemptFilter(account_sids=scope.account_sids, message_sid=message_sid, limit=1000)
        )

    async def message(self, scope: Scope, sid: str) -> Message:
        message = await self._store.find_message(sid)
        if message is None or message.account_sid not in scope:
            raise NotFound()
        return message

    async def attempt(self, scope: Scope, sid: str) -> WebhookAttempt:
        attempt = await self._store.get_attempt(sid)
        if attempt is None or attempt.account_sid not in scope:
            raise NotFound()
        return attempt

    async def account(self, sid: str) -> Account:
        account = await self._services.accounts.account(sid)
        if account is None:
            raise NotFound()
        return account
