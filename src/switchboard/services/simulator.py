"""The simulator: what ``/_sim`` and the dashboard show and do, behind one service.

Both surfaces are adapters over this: they parse a request, call here and render the read models
(``Exchange``, ``Overview``) in their own JSON. Everything is read from the store on every call:
with ``--workers N`` other processes write to the same database.

Scope. A caller sees its own account and, through the account's own credentials, its
subaccounts; through an API key only the key's account. The dashboard acts as the main account.
Only the main account's own credentials change simulator-wide state (the clock, a reset, the
scenarios every account shares): ``require_main_account`` is that rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from switchboard.clock import ControllableClock
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.jobs import JobKind
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import (
    Account,
    AccountSender,
    Media,
    Message,
    MessagingService,
    PhoneNumber,
    SenderChoice,
    SenderKind,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.domain.routing import InboundRoute, route_inbound
from switchboard.ports import (
    AttemptFilter,
    AttemptQuery,
    InvalidPageToken,
    MessageFilter,
    MessageQuery,
    Page,
    PageRequest,
    PoolEntry,
    StoreStats,
)
from switchboard.services.accounts import AccountService, Principal
from switchboard.services.handset import Part, handset_message
from switchboard.services.inbound import InboundService
from switchboard.services.messages import MessageService
from switchboard.services.runtime import Runtime
from switchboard.services.scenarios import Documents, ScenarioBook
from switchboard.services.search import AttemptSearch, MessageSearch, find_attempts, find_messages

RECENT_MESSAGES = 200
RECENT_ATTEMPTS = 100  # attempts carry bodies: the dashboard's live window stays modest
EXCHANGE_ATTEMPTS = 1000
ALL = PageRequest(page_size=1000)
STATS_MINUTES = 30  # the messages-per-minute chart's window
# The other charts' window: the newest messages and attempts (a store of millions costs the
# same as one of thousands; docs/performance.md, "Issue 18").
STATS_RECENT = 1_000

# An outbound message's end: it reached the handset, or it did not.
REACHED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})
NOT_REACHED = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})

MAX_SEARCH_PAGE = 200  # a page of a search; its cursor reaches the rest
MAX_BULK_REPLAY = 200  # one bulk replay sends at most this many requests to the user's app
REPLAY_CONCURRENCY = 8

T = TypeVar("T")


class Replayer(Protocol):
    async def __call__(self, attempt: WebhookAttempt) -> list[WebhookAttempt]: ...


# What a change needs from its request, read only once the caller may make the change: a
# refused caller is told so whatever it sent.
Later = Callable[[], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class Scope:
    """The accounts one caller sees: its own first, then its subaccounts."""

    account: Account
    account_sids: tuple[str, ...]

    def __contains__(self, account_sid: object) -> bool:
        return account_sid in self.account_sids


@dataclass(frozen=True, slots=True)
class Exchange:
    """A message with everything that happened to it."""

    message: Message
    timeline: list[StatusEvent]
    attempts: list[WebhookAttempt]
    replies: list[Message]
    media: list[Media]
    webhook_pending: bool  # the incoming webhook has not finished yet
    sender_choice: SenderChoice | None = None  # why its Messaging Service chose the sender


@dataclass(frozen=True, slots=True)
class NumberView:
    number: PhoneNumber
    service: MessagingService | None  # the Messaging Service whose pool holds it
    route: InboundRoute | None  # where its inbound messages' webhook goes (None: nowhere)


@dataclass(frozen=True, slots=True)
class SenderView:
    """A short code or channel sender (WhatsApp, RCS) of the scope, as a number is shown."""

    sender: AccountSender
    service: MessagingService | None  # the Messaging Service whose pool holds it
    route: InboundRoute | None  # where its inbound messages' webhook goes (None: nowhere)


@dataclass(frozen=True, slots=True)
class ServiceView:
    service: MessagingService
    pool: list[PoolEntry]  # every sender of its pool: numbers, short codes, alphas, channels


@dataclass(frozen=True, slots=True)
class Overview:
    account: Account
    numbers: list[NumberView]
    services: list[ServiceView]
    senders: list[SenderView] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stats:
    """The dashboard's charts: the store's aggregates and the delivery rate they give."""

    now: datetime
    since: datetime  # where the per-minute series starts
    store: StoreStats
    reached: int  # outbound messages delivered (or read)
    not_reached: int  # outbound messages undelivered or failed

    @property
    def delivery_rate(self) -> float | None:
        """Of the outbound messages that have finished, the share that arrived."""
        finished = self.reached + self.not_reached
        return self.reached / finished if finished else None


@dataclass(frozen=True, slots=True)
class ClockChange:
    frozen: bool | None = None
    advance: float | None = None  # seconds
    to: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClockState:
    now: datetime
    frozen: bool


def require_main_account(principal: Principal, action: str) -> None:
    """Only the main account's own credentials change simulator-wide state: subaccounts and API
    keys get 403 (20403)."""
    if principal.key is not None or principal.account.is_subaccount:
        raise TwilioError(20403, f"Only the main account's credentials can {action}")


def _scenario_owner(principal: Principal, *, changing: bool) -> str | None:
    """Whose rules a caller sees and edits: a subaccount (its credentials or its keys) its own,
    which match only its messages; the main account the shared ones (None), which match every
    account's messages, so changing those is simulator-wide."""
    if principal.account.is_subaccount:
        return principal.account.sid
    if changing:
        require_main_account(principal, "change the scenarios every account shares")
    return None


def _bounded(page: PageRequest) -> PageRequest:
    if not 1 <= page.page_size <= MAX_SEARCH_PAGE:
        raise TwilioError(20007, f"A page holds 1 to {MAX_SEARCH_PAGE} items")
    return page


async def _paged(found: Awaitable[Page[T]], page: PageRequest) -> Page[T]:
    try:
        return await found
    except InvalidPageToken:
        raise TwilioError(21481, f"Invalid cursor {page.after!r}") from None


class SimulatorService:
    def __init__(
        self,
        runtime: Runtime,
        accounts: AccountService,
        messages: MessageService,
        inbound: InboundService,
        scenarios: ScenarioBook,
        replay: Replayer,
    ) -> None:
        self._rt = runtime
        self._store = runtime.store
        self._accounts = accounts
        self._messages = messages
        self._inbound = inbound
        self._scenarios = scenarios
        self._replay = replay

    # Reading, within a scope.

    async def scope(self, principal: Principal) -> Scope:
        own = principal.account
        if principal.key is not None:
            return Scope(own, (own.sid,))
        accounts = await self._store.list_accounts(own.sid, None, None, ALL)
        return Scope(own, (own.sid, *(a.sid for a in accounts.items if a.sid != own.sid)))

    async def account(self, sid: str) -> Account:
        account = await self._accounts.account(sid)
        if account is None:
            raise NotFound()
        return account

    async def message(self, scope: Scope, sid: str) -> Message:
        message = await self._store.find_message(sid)
        if message is None or message.account_sid not in scope:
            raise NotFound()
        return message

    async def exchange(self, scope: Scope, sid: str) -> Exchange:
        message = await self.message(scope, sid)
        # Pending first: a job finishing between these reads then shows as "still pending" with
        # partial results (harmless), never as "done" without its attempts and replies.
        pending = await self._store.pending_jobs(message.sid, JobKind.INCOMING)
        return Exchange(
            message=message,
            timeline=await self._store.list_status_events(message.sid),
            attempts=await self.attempts(scope, message_sid=sid, limit=EXCHANGE_ATTEMPTS),
            replies=await self._store.list_replies(message.sid),
            media=(await self._store.list_media(message.account_sid, sid, PageRequest(100))).items,
            webhook_pending=pending > 0,
            sender_choice=await self._store.get_sender_choice(message.sid),
        )

    async def recent_messages(self, scope: Scope, limit: int = RECENT_MESSAGES) -> list[Message]:
        """The newest ``limit`` messages of each account, oldest first."""
        found: list[Message] = []
        for sid in scope.account_sids:
            page = await self._store.list_messages(sid, MessageFilter(), PageRequest(limit))
            found += page.items
        return sorted(found, key=lambda m: m.seq)

    async def attempts(
        self, scope: Scope, *, message_sid: str | None = None, limit: int = RECENT_ATTEMPTS
    ) -> list[WebhookAttempt]:
        return await self._store.list_attempts(
            AttemptFilter(account_sids=scope.account_sids, message_sid=message_sid, limit=limit)
        )

    async def browse_messages(
        self, scope: Scope, search: MessageQuery, page: PageRequest
    ) -> Page[Message]:
        """A page of the scope's messages matching ``search``, newest first; ``page.after`` is
        the SID of the previous page's last message. ``search.account_sids`` is the scope's."""
        scoped = dataclasses.replace(search, account_sids=scope.account_sids)
        return await _paged(self._store.search_messages(scoped, _bounded(page)), page)

    async def browse_attempts(
        self, scope: Scope, search: AttemptQuery, page: PageRequest
    ) -> Page[WebhookAttempt]:
        """A page of the scope's webhook attempts matching ``search``, newest first."""
        scoped = dataclasses.replace(search, account_sids=scope.account_sids)
        return await _paged(self._store.search_attempts(scoped, _bounded(page)), page)

    async def search_messages(self, scope: Scope, search: MessageSearch) -> list[Message]:
        """The assertion API: matching messages, newest first, waiting if asked to."""
        return await find_messages(self._store, scope.account_sids, search)

    async def search_attempts(self, scope: Scope, search: AttemptSearch) -> list[WebhookAttempt]:
        """The assertion API: matching attempts (the newest, oldest first), waiting if asked."""
        return await find_attempts(self._store, scope.account_sids, search)

    async def attempt(self, scope: Scope, sid: str) -> WebhookAttempt:
        attempt = await self._store.get_attempt(sid)
        if attempt is None or attempt.account_sid not in scope:
            raise NotFound()
        return attempt

    async def media_content(
        self, scope: Scope, message_sid: str, media_sid: str
    ) -> tuple[Media, bytes | None]:
        message = await self.message(scope, message_sid)
        owner = await self.account(message.account_sid)
        return await self._messages.media_content(owner, message.sid, media_sid)

    async def overview(self, scope: Scope) -> Overview:
        """The scope's numbers, short codes and channel senders, each with where its inbound
        webhook goes, and its services with their pools."""
        services: list[ServiceView] = []
        for sid in scope.account_sids:
            for service in (await self._store.list_services(sid, ALL)).items:
                pool = await self._store.service_pool(service.sid)
                services.append(ServiceView(service, pool))
        # A sender (number, short code, channel address) is in at most one pool (21712).
        pooled = {address: view.service for view in services for _, address, _ in view.pool}
        numbers = []
        held = []
        for sid in scope.account_sids:
            for number in (await self._store.list_phone_numbers(sid, None, None, ALL)).items:
                pool_of = pooled.get(number.phone_number)
                numbers.append(NumberView(number, pool_of, route_inbound(number, pool_of)))
            for kind in (SenderKind.SHORT_CODE, SenderKind.CHANNEL_SENDER):
                found = await self._store.list_account_senders(sid, kind, None, None, ALL)
                for sender in found.items:
                    pool_of = pooled.get(sender.address)
                    held.append(SenderView(sender, pool_of, route_inbound(sender, pool_of)))
        return Overview(scope.account, numbers, services, held)

    async def stats(self, scope: Scope, minutes: int = STATS_MINUTES) -> Stats:
        """Aggregates over the scope's recent messages and attempts, computed by the database."""
        now = self._rt.clock.now()
        since = (now - timedelta(minutes=minutes - 1)).replace(second=0, microsecond=0)
        found = await self._store.stats(scope.account_sids, since, STATS_RECENT)
        outbound = [(status, n) for way, status, n in found.statuses if way != "inbound"]
        return Stats(
            now=now,
            since=since,
            store=found,
            reached=sum(n for status, n in outbound if status in REACHED),
            not_reached=sum(n for status, n in outbound if status in NOT_REACHED),
        )

    # Acting.

    async def send_inbound(self, principal: Principal, parts: Iterable[Part]) -> Message:
        """A handset texts one of the caller's numbers (or, for the account's own credentials,
        one of its subaccounts' numbers)."""
        return await self._inbound.receive(
            principal.account, principal.key is not None, handset_message(parts)
        )

    async def replay(self, scope: Scope, attempt_sid: str) -> list[WebhookAttempt]:
        """Send a recorded attempt's request again; answers with the new attempt(s)."""
        attempt = await self.attempt(scope, attempt_sid)
        return await self._replay(attempt)

    async def replay_many(self, scope: Scope, sids: Sequence[str]) -> list[WebhookAttempt]:
        """Replay up to ``MAX_BULK_REPLAY`` recorded attempts, all in the scope or none: the
        new attempts, in the order of ``sids``."""
        wanted = list(dict.fromkeys(sids))
        if not wanted:
            raise TwilioError(21000, "Choose at least one webhook attempt to replay")
        if len(wanted) > MAX_BULK_REPLAY:
            raise TwilioError(
                21000, f"At most {MAX_BULK_REPLAY} webhook attempts can be replayed at once"
            )
        attempts = [await self.attempt(scope, sid) for sid in wanted]
        # A few at a time: each is a real request to the user's app, which may be slow.
        gate = asyncio.Semaphore(REPLAY_CONCURRENCY)

        async def one(attempt: WebhookAttempt) -> list[WebhookAttempt]:
            async with gate:
                return await self._replay(attempt)

        results = await asyncio.gather(*(one(a) for a in attempts))
        return [new for batch in results for new in batch]

    async def replay_matching(
        self, scope: Scope, search: AttemptQuery
    ) -> tuple[list[WebhookAttempt], bool]:
        """Replay the newest ``MAX_BULK_REPLAY`` attempts matching ``search``: the new
        attempts, and whether more matched than were replayed."""
        page = await self.browse_attempts(scope, search, PageRequest(MAX_BULK_REPLAY))
        if not page.items:
            return [], False
        return await self.replay_many(scope, [a.sid for a in page.items]), page.has_more

    async def reset(self, principal: Principal, keep_numbers: Later[bool]) -> bool:
        """Clear the simulator's state (the numbers too unless ``keep_numbers``); answers that."""
        require_main_account(principal, "reset the simulator")
        keep = await keep_numbers()
        await self._store.reset(keep_numbers=keep)
        return keep

    # The clock.

    def _clock(self) -> ControllableClock:
        clock = self._rt.clock
        if not isinstance(clock, ControllableClock):
            raise TwilioError(21000, "this server's clock cannot be controlled")
        return clock

    def clock(self) -> ClockState:
        clock = self._clock()
        return ClockState(clock.now(), clock.virtual)

    async def move_clock(self, principal: Principal, change: Later[ClockChange]) -> ClockState:
        """Freeze or thaw, advance, set: applied in that order, all or none."""
        require_main_account(principal, "move the simulator's clock")
        clock = self._clock()
        try:
            wanted = await change()
            clock.move(frozen=wanted.frozen, advance=wanted.advance, to=wanted.to)
        except ValueError as error:
            raise TwilioError(21000, f"Invalid clock change: {error}") from None
        self._rt.outbox.wake()  # jobs may be due at the new time
        return self.clock()

    # The carrier's scenarios.

    async def scenarios(self, principal: Principal) -> Documents:
        return await self._scenarios.documents(_scenario_owner(principal, changing=False))

    async def add_scenario(self, principal: Principal, document: Later[Any]) -> Documents:
        """Append one scenario (a JSON object); rules match in order, first match wins."""
        owner = _scenario_owner(principal, changing=True)
        return await self._scenarios.add(await document(), owner)

    async def replace_scenarios(self, principal: Principal, documents: Later[Any]) -> Documents:
        """Replace the caller's scenarios: a JSON list, or {"scenarios": [...]}."""
        owner = _scenario_owner(principal, changing=True)
        sent = await documents()
        if isinstance(sent, dict):
            sent = sent.get("scenarios", [])
        if not isinstance(sent, list):
            raise TwilioError(21000, 'Send a JSON list of scenarios or {"scenarios": [...]}')
        return await self._scenarios.replace(sent, owner)

    async def clear_scenarios(self, principal: Principal) -> Documents:
        owner = _scenario_owner(principal, changing=True)
        return await self._scenarios.replace([], owner)
