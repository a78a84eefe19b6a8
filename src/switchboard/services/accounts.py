"""Accounts, subaccounts, API keys and authentication.

A main account may act on its subaccounts' resources; an API key acts only on its own account
and, like Twilio's Standard keys, may not manage accounts or keys.

Account status (SPEC §20). Credentials of a closed account are wrong credentials (20003); those of
a suspended account, or of a subaccount whose parent is suspended, are refused with 10001, since
a suspended account may do nothing until its parent reactivates it. Only the parent changes a
subaccount's status; the main account is never suspended or closed through the API, so its
owner cannot lock everyone out of the server.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import logging
import secrets
import time

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account, ApiKey
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest, StoreConflict
from switchboard.services.runtime import Runtime

log = logging.getLogger("switchboard.accounts")

ACCOUNT_STATUSES = frozenset({"active", "suspended", "closed"})
# How little an account may do, by status: a subaccount is never better off than its parent.
_SEVERITY = {"active": 0, "suspended": 1, "closed": 2}
INACTIVE = (
    "Account is not active: a suspended account cannot use the API until its parent account"
    " sets its Status to active"
)


def _refuse_inactive(account: Account, standing: str) -> None:
    """10001 for an account whose standing is not ``active``."""
    if standing == "suspended":
        raise TwilioError(10001, INACTIVE)
    if standing != "active":
        raise TwilioError(10001, f"Account is not active: {account.sid} is {standing}")


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(username, password) from an HTTP ``Authorization: Basic ...`` header value; None when
    the header is absent, of another scheme or malformed."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, or non-ASCII header bytes
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an account, possibly through one of its API keys."""

    account: Account
    key: ApiKey | None = None


# Credentials checked within ``config.auth_cache_seconds`` are trusted again without a store
# read. Every change made through this process (token, status, key deletion) drops the cache at
# once.
class AccountService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._principals: dict[tuple[str, str], tuple[float, Principal]] = {}
        self._accounts: dict[str, tuple[float, Account]] = {}

    def forget_cached(self) -> None:
        self._principals.clear()
        self._accounts.clear()

    async def stored_account(self, sid: str) -> Account | None:
        """An account by SID, read from the store now (no cache): also a check that the
        database answers."""
        return await self._rt.store.get_account(sid)

    async def account(self, sid: str) -> Account | None:
        """An account by SID, from a short-lived cache (the webhook hot path needs its token)."""
        cached = self._accounts.get(sid)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        account = await self._rt.store.get_account(sid)
        if account is not None:
            self._accounts[sid] = (now + self._rt.config.auth_cache_seconds, account)
        return account

    async def bootstrap_main_account(
        self, account_sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        """The main account: fixed by the given credentials, else the stored one, else new.

        Returns the account and whether it was created now.
        """
        store = self._rt.store
        if account_sid is not None:
            if not is_sid(account_sid, SidPrefix.ACCOUNT):
                raise ValueError(f"SWITCHBOARD_ACCOUNT_SID is not an account SID: {account_sid}")
            existing = await store.get_account(account_sid)
            token = auth_token or (existing.auth_token if existing else self._rt.new_token())
            if existing is None:
                account = self._new_account(account_sid, account_sid, "Main account", token)
                try:
                    await store.insert_account(account)
                    return account, True
                except StoreConflict:  # another node starting at the same moment created it
                    existing = await store.get_account(account_sid)
                    if existing is None:
                        raise
            return await self._restore_main(existing, token), False
        existing = await store.find_main_account()
        if existing is not None:
            return await self._restore_main(existing, auth_token or existing.auth_token), False
        sid = self._rt.new_sid(SidPrefix.ACCOUNT)
        account = self._new_account(sid, sid, "Main account", auth_token or self._rt.new_token())
        await store.insert_account(account)
        return account, True

    async def _restore_main(self, main: Account, token: str) -> Account:
        """The stored main account with the configured token, and active.

        Older versions let the API suspend or close the main account, which locked its owner out
        for good (a restart did not help): such a database is repaired here, with a warning.
        """
        updated = main
        if main.auth_token != token:
            updated = dataclasses.replace(updated, auth_token=token)
        if main.status != "active":
            log.warning(
                "the main account %s was %s; reactivating it (the main account cannot be"
                " suspended or closed)",
                main.sid,
                main.status,
            )
            updated = dataclasses.replace(updated, status="active")
        if updated is main:
            return main
        updated = dataclasses.replace(updated, date_updated=self._rt.clock.now())
        await self._rt.store.update_account(updated)
        self.forget_cached()
        return updated

    def _new_account(self, sid: str, owner: str, name: str, token: str) -> Account:
        now = self._rt.clock.now()
        return Account(
            sid=sid,
            friendly_name=name,
            auth_token=token,
            owner_account_sid=owner,
            status="active",
            date_created=now,
            date_updated=now,
        )

    async def authenticate(self, username: str, password: str) -> Principal | None:
        """Who these credentials belong to: None if they are wrong or the account is closed
        (the caller answers 20003); 10001 if the account or its parent is suspended.

        Only active principals are cached; a status change drops the cache (update_account).
        """
        key = (username, password)
        cached = self._principals.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._check_credentials(username, password)
        if principal is None:
            return None
        standing = await self.standing(principal.account)
        if standing == "closed":
            return None
        _refuse_inactive(principal.account, standing)
        if len(self._principals) > 10_000:
            self._principals.clear()
        self._principals[key] = (now + self._rt.config.auth_cache_seconds, principal)
        return principal

    async def _check_credentials(self, username: str, password: str) -> Principal | None:
        store = self._rt.store
        if is_sid(username, SidPrefix.ACCOUNT):
            account = await store.get_account(username)
            if account is None:
                return None
            if not hmac.compare_digest(account.auth_token.encode(), password.encode()):
                return None
            return Principal(account)
        if is_sid(username, SidPrefix.API_KEY):
            key = await store.get_api_key(username)
            if key is None or not hmac.compare_digest(key.secret.encode(), password.encode()):
                return None
            account = await store.get_account(key.account_sid)
            if account is None:
                return None
            return Principal(account, key)
        return None

    async def standing(self, account: Account) -> str:
        """The status that governs ``account``: its own, or its parent's if that is worse.

        A suspended parent suspends its subaccounts (SPEC §20); a subaccount whose parent is
        gone counts as closed.
        """
        if not account.is_subaccount:
            return account.status
        parent = await self.account(account.owner_account_sid)
        if parent is None:
            return "closed"
        return max(account.status, parent.status, key=lambda s: _SEVERITY.get(s, 0))

    async def require_active(self, account: Account) -> None:
        """10001 unless ``account`` may send and receive now.

        An inactive account's own credentials never get this far (:meth:`authenticate`); this
        is the main account acting for a subaccount that is suspended or closed, which may no
        more create a message through its parent than by itself (SPEC §20). Without it the
        message would be accepted and fail later with 30002."""
        _refuse_inactive(account, await self.standing(account))

    async def is_active(self, account_sid: str) -> bool:
        """Whether the account may send now (read through the short-lived account cache)."""
        account = await self.account(account_sid)
        return account is not None and await self.standing(account) == "active"

    async def resolve(self, principal: Principal, account_sid: str) -> Account:
        """The account named in a request path, if the principal may act on it (else 20404)."""
        if account_sid == principal.account.sid:
            return principal.account
        if principal.key is None and is_sid(account_sid, SidPrefix.ACCOUNT):
            account = await self._rt.store.get_account(account_sid)
            if account is not None and account.owner_account_sid == principal.account.sid:
                return account
        raise NotFound()

    @staticmethod
    def require_account_admin(principal: Principal) -> None:
        if principal.key is not None:
            raise TwilioError(20003, "API keys cannot manage accounts or keys", http_status=401)

    async def create_subaccount(self, principal: Principal, friendly_name: str | None) -> Account:
        self.require_account_admin(principal)
        if principal.account.is_subaccount:
            raise TwilioError(20403, "Subaccounts cannot create subaccounts")
        now = self._rt.clock.now()
        sid = self._rt.new_sid(SidPrefix.ACCOUNT)
        name = friendly_name or f"SubAccount Created at {now:%Y-%m-%d %I:%M %p}"
        account = self._new_account(sid, principal.account.sid, name, self._rt.new_token())
        await self._rt.store.insert_account(account)
        return account

    async def list_accounts(
        self,
        principal: Principal,
        friendly_name: str | None,
        status: str | None,
        page: PageRequest,
    ) -> Page[Account]:
        self.require_account_admin(principal)
        return await self._rt.store.list_accounts(
            principal.account.sid, friendly_name, status, page
        )

    async def update_account(
        self,
        principal: Principal,
        account: Account,
        friendly_name: str | None,
        status: str | None,
    ) -> Account:
        """``account`` (already resolved for ``principal``) with a new name and/or status."""
        if status is not None:
            await self._check_status_change(principal, account, status)
        updated = dataclasses.replace(
            account,
            friendly_name=account.friendly_name if friendly_name is None else friendly_name,
            status=account.status if status is None else status,
            date_updated=self._rt.clock.now(),
        )
        await self._rt.store.update_account(updated)
        self.forget_cached()  # the next request sees the new status, cached credentials or not
        return updated

    async def _check_status_change(
        self, principal: Principal, account: Account, status: str
    ) -> None:
        if status not in ACCOUNT_STATUSES:
            raise TwilioError(20001, f"Invalid Status: {status}", http_status=400)
        if not account.is_subaccount:
            if status != "active":
                raise TwilioError(20403, "The main account cannot be suspended or closed")
            return
        if account.owner_account_sid != principal.account.sid:
            raise TwilioError(20403, "Only the parent account can change a subaccount's Status")
        if await self.standing(principal.account) != "active":
            raise TwilioError(21476)
        if account.status == "closed" and status != "closed":
            raise TwilioError(21479)

    # API keys -------------------------------------------------------------------------------

    async def create_key(self, account: Account, friendly_name: str | None) -> ApiKey:
        now = self._rt.clock.now()
        key = ApiKey(
            sid=self._rt.new_sid(SidPrefix.API_KEY),
            account_sid=account.sid,
            friendly_name=friendly_name or "",
            secret=secrets.token_urlsafe(24)[:32],
            date_created=now,
            date_updated=now,
        )
        await self._rt.store.insert_api_key(key)
        return key

    async def get_key(self, account: Account, sid: str) -> ApiKey:
        key = await self._rt.store.get_api_key(sid)
        if key is None or key.account_sid != account.sid:
            raise NotFound()
        return key

    async def update_key(self, account: Account, sid: str, friendly_name: str | None) -> ApiKey:
        key = await self.get_key(account, sid)
        if friendly_name is not None:
            key = dataclasses.replace(
                key, friendly_name=friendly_name, date_updated=self._rt.clock.now()
            )
            await self._rt.store.update_api_key(key)
        return key

    async def delete_key(self, account: Account, sid: str) -> None:
        if not await self._rt.store.delete_api_key(account.sid, sid):
            raise NotFound()
        self.forget_cached()

    async def list_keys(self, account: Account, page: PageRequest) -> Page[ApiKey]:
        return await self._rt.store.list_api_keys(account.sid, page)
