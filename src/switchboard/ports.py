"""Ports: the interfaces the application layer needs from the outside world.

Every ``Store`` method is one transaction. Methods are coarse on purpose (``insert_message``
takes the message, its media and the jobs it causes) so the transactional-outbox rule holds by
construction and a second backend (PostgreSQL) can implement the same contract without callers
changing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from switchboard.domain.cookies import CookieJar
from switchboard.domain.events import Sink, SubscribedEvent, Subscription
from switchboard.domain.jobs import EventDelivery
from switchboard.domain.loops import PastReply
from switchboard.domain.models import (
    Account,
    AccountSender,
    ApiKey,
    Content,
    ContentApproval,
    Job,
    Media,
    Message,
    MessageFeedback,
    MessagingService,
    NewJob,
    PhoneNumber,
    SenderChoice,
    SenderKind,
    ServicePhoneNumber,
    ServiceSender,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.domain.optout import OptOutSettings

T = TypeVar("T")

#: One sender of a Messaging Service's pool: (kind, wire address, country code or '').
PoolEntry = tuple[SenderKind, str, str]
#: A recipient's sticky mapping: (service sid, channel, recipient identity).
StickyKey = tuple[str, str, str]


class Clock(Protocol):
    """The one source of time (system or virtual, see switchboard.clock)."""

    @property
    def virtual(self) -> bool: ...

    def now(self) -> datetime: ...
    async def sleep_until(self, deadline: datetime) -> None: ...


class StoreConflict(Exception):
    """A uniqueness rule was broken (a phone number already owned, a number already pooled)."""


class LeaseLost(Exception):
    """The job was claimed again elsewhere (its lease lapsed): this outcome is not committed."""


class StoreUnavailable(Exception):
    """The database refused a connection (it is full, starting or down): nothing of this call
    was sent to it, so the caller may retry it as it was."""


class InvalidPageToken(Exception):
    """A PageToken that this store never issued."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    page_size: int = 50
    after: str | None = None  # the sid of the last item of the previous page


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool


@dataclass(frozen=True, slots=True)
class MessageFilter:
    to: str | None = None
    from_: str | None = None
    sent_on_or_after: datetime | None = None
    sent_before: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AttemptFilter:
    account_sids: Sequence[str] | None = None
    message_sid: str | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True)
class Latency:
    """Webhook attempts' durations in milliseconds, nearest-rank percentiles (None: no attempt)."""

    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Aggregates over the store for the dashboard's charts, computed by the database."""

    per_minute: Sequence[tuple[int, str, int]]  # (minute since the epoch, status, messages)
    statuses: Sequence[tuple[str, str, int]]  # (direction, status, messages), recent
    error_codes: Sequence[tuple[str, int, int]]  # ("message" | "webhook", code, count)
    latency: Latency


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """A search over messages (the dashboard's finder and the assertion API's
    ``GET /_sim/messages``), newest first, in ``account_sids``; every field set must match.

    ``text`` is a case-insensitive substring of the body, the SID or either address; ``number``
    is either address exactly, ``to`` and ``from_`` one of them; ``direction`` "outbound" stands
    for every outbound direction; ``channel`` is an address's channel ("sms": neither address
    has a ``channel:`` prefix). ``before_seq`` starts below a storage position (the next chunk
    of a scan); a page token, when given, takes its place.
    """

    account_sids: Sequence[str]
    text: str | None = None
    number: str | None = None
    to: str | None = None
    from_: str | None = None
    service_sid: str | None = None
    status: str | None = None
    direction: str | None = None
    channel: str | None = None
    error_code: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None  # exclusive
    before_seq: int | None = None


@dataclass(frozen=True, slots=True)
class AttemptQuery:
    """A search over webhook attempts (the dashboard's finder and the assertion API's
    ``GET /_sim/webhooks``), newest first, in ``account_sids``; every field set must match.

    ``text`` is a case-insensitive substring of the attempt's SID, message SID or URL, or of
    its message's body or addresses; ``number`` and ``service_sid`` match through its message.
    ``status`` is the response's HTTP status. ``failed`` keeps the attempts that did not
    succeed: a Twilio error code, no answer, or an HTTP status of 400 or more (a followed 3xx
    is a hop, not a failure).
    """

    account_sids: Sequence[str]
    text: str | None = None
    number: str | None = None
    service_sid: str | None = None
    message_sid: str | None = None
    kind: str | None = None
    url: str | None = None
    status: int | None = None
    failed: bool = False
    error_code: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """Everything one finished job writes, committed together with the job's removal."""

    attempts: Sequence[WebhookAttempt] = ()
    new_messages: Sequence[tuple[Message, Sequence[Media]]] = ()
    message_updates: Sequence[Message] = ()
    events: Sequence[StatusEvent] = ()
    new_jobs: Sequence[NewJob] = ()
    cookie_jar: CookieJar | None = None  # the conversation's cookies after an exchange
    retry_at: datetime | None = None  # keep the job, due again at this time
    payload: Mapping[str, object] | None = None  # replaces the job's payload when retrying
    # Other jobs (id, claim count) whose work this one did (an Event Streams batch): removed
    # with it, unless their lease has passed to another runner meanwhile.
    absorbed: Sequence[tuple[int, int]] = ()
    # Why a Messaging Service gave a message its sender, and the sticky mapping it creates
    # (the store's ``get_sender_choice`` reads it back): committed with the message that got
    # the sender.
    sender_choices: Sequence[tuple[SenderChoice, StickyKey | None]] = ()


@dataclass(slots=True)
class JobClaim:
    """Claim at insert: the process writing new jobs runs those due by ``due_by`` itself.

    The store inserts each such job already leased until ``leased_until`` (claim count 1, as
    if ``claim_jobs`` had taken it) and appends it, with its id, to ``jobs``; once the write
    has committed the writer starts them. This saves the outbox a claim per job (a write, a
    commit, and the wait for both) without changing what a crash leaves: a leased row.
    """

    due_by: datetime
    leased_until: datetime
    jobs: list[Job] = field(default_factory=list)


class Outbox(Protocol):
    """What services tell the outbox about the jobs they write."""

    def handoff(self, jobs: Sequence[NewJob]) -> AbstractContextManager[JobClaim | None]:
        """Wrap the write of ``jobs``: yields the claim to pass to the store (None: let the
        outbox claim them as usual); on a clean exit the claimed jobs start and the outbox
        looks for the rest."""
        ...

    def wake(self) -> None:
        """Due work may have changed (written elsewhere, or the clock moved): look now."""
        ...


class EventStore(Protocol):
    """Event Streams (SPEC §19): Sinks, Subscriptions and their types, and event batches.
    (Each status change's events are queued by the store itself, in the write that records it.)"""

    async def insert_sink(self, sink: Sink) -> None: ...
    async def get_sink(self, account_sid: str, sid: str) -> Sink | None: ...
    async def find_sink(self, sid: str) -> Sink | None: ...
    async def update_sink(self, sink: Sink, jobs: Sequence[EventDelivery] = ()) -> None:
        """Write ``sink`` and, in the same transaction, ``jobs`` (a Sink test's event)."""
        ...

    async def delete_sink(self, account_sid: str, sid: str) -> bool: ...
    async def list_sinks(
        self, account_sid: str, status: str | None, in_use: bool | None, page: PageRequest
    ) -> Page[Sink]: ...
    async def insert_subscription(self, subscription: Subscription) -> None: ...
    async def get_subscription(self, account_sid: str, sid: str) -> Subscription | None: ...
    async def update_subscription(self, subscription: Subscription) -> None: ...
    async def delete_subscription(self, account_sid: str, sid: str) -> bool: ...
    async def list_subscriptions(
        self, account_sid: str, sink_sid: str | None, page: PageRequest
    ) -> Page[Subscription]: ...
    async def save_subscribed_event(self, event: SubscribedEvent) -> None: ...
    async def get_subscribed_event(
        self, subscription_sid: str, type_: str
    ) -> SubscribedEvent | None: ...
    async def delete_subscribed_event(self, subscription_sid: str, type_: str) -> bool: ...
    async def list_subscribed_events(
        self, subscription_sid: str, page: PageRequest
    ) -> Page[SubscribedEvent]: ...
    async def claim_event_batch(
        self,
        job: Job,
        sink_sid: str,
        now: datetime,
        until: datetime,
        limit: int,
        lease_seconds: float,
    ) -> list[Job]:
        """Lease to ``job``'s runner the Sink's other event jobs due by ``until`` that nobody
        runs; the runner lists them in its outcome's ``absorbed``."""
        ...


class Store(EventStore, Protocol):
    async def close(self) -> None: ...

    # Accounts and credentials
    async def insert_account(self, account: Account) -> None: ...
    async def get_account(self, sid: str) -> Account | None: ...
    async def update_account(self, account: Account) -> None: ...
    async def find_main_account(self) -> Account | None: ...
    async def list_accounts(
        self, owner_sid: str, friendly_name: str | None, status: str | None, page: PageRequest
    ) -> Page[Account]: ...
    async def insert_api_key(self, key: ApiKey) -> None: ...
    async def get_api_key(self, sid: str) -> ApiKey | None: ...
    async def update_api_key(self, key: ApiKey) -> None: ...
    async def delete_api_key(self, account_sid: str, sid: str) -> bool: ...
    async def list_api_keys(self, account_sid: str, page: PageRequest) -> Page[ApiKey]: ...

    # Phone numbers
    async def insert_phone_number(self, number: PhoneNumber) -> None: ...
    async def get_phone_number(self, account_sid: str, sid: str) -> PhoneNumber | None: ...
    async def find_phone_number(self, phone_number: str) -> PhoneNumber | None: ...
    async def find_number_and_service(
        self, phone_number: str
    ) -> tuple[PhoneNumber, MessagingService | None] | None: ...
    async def update_phone_number(self, number: PhoneNumber) -> None: ...
    async def delete_phone_number(self, account_sid: str, sid: str) -> bool: ...
    async def list_phone_numbers(
        self,
        account_sid: str,
        phone_number: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[PhoneNumber]: ...

    # Messaging Services and their sender pools
    async def insert_service(self, service: MessagingService) -> None: ...
    async def get_service(self, account_sid: str, sid: str) -> MessagingService | None: ...
    async def update_service(self, service: MessagingService) -> None: ...
    async def delete_service(self, account_sid: str, sid: str) -> bool: ...
    async def list_services(
        self, account_sid: str, page: PageRequest
    ) -> Page[MessagingService]: ...
    async def add_service_number(self, entry: ServicePhoneNumber) -> None: ...
    async def get_service_number(self, service_sid: str, sid: str) -> ServicePhoneNumber | None: ...
    async def remove_service_number(self, service_sid: str, sid: str) -> bool: ...
    async def list_service_numbers(
        self, service_sid: str, page: PageRequest
    ) -> Page[ServicePhoneNumber]: ...
    async def service_for_number(self, phone_number_sid: str) -> str | None: ...

    # Senders besides phone numbers (short codes, alphanumeric IDs, channel senders)
    async def insert_account_sender(self, sender: AccountSender) -> None: ...
    async def get_account_sender(self, account_sid: str, sid: str) -> AccountSender | None: ...
    async def find_account_sender(
        self, address: str
    ) -> tuple[AccountSender, MessagingService | None] | None:
        """The held sender with this wire address and the service whose pool holds it."""
        ...

    async def update_account_sender(self, sender: AccountSender) -> None: ...
    async def list_account_senders(
        self,
        account_sid: str,
        kind: SenderKind,
        address_like: str | None,
        friendly_name: str | None,
        page: PageRequest,
    ) -> Page[AccountSender]: ...
    async def add_service_sender(self, entry: ServiceSender) -> None:
        """StoreConflict when the sid is already in a pool (a sender has one service)."""
        ...

    async def get_service_sender(
        self, service_sid: str, kind: SenderKind, sid: str
    ) -> ServiceSender | None: ...
    async def find_service_sender(self, sid: str) -> ServiceSender | None: ...
    async def remove_service_sender(self, service_sid: str, kind: SenderKind, sid: str) -> bool:
        """Remove the entry and the sticky mappings to its sender, together."""
        ...

    async def list_service_senders(
        self, service_sid: str, kind: SenderKind, country_code: str | None, page: PageRequest
    ) -> Page[ServiceSender]: ...
    async def service_pool(self, service_sid: str) -> list[PoolEntry]:
        """Every sender of the pool: (kind, wire address, country code or '')."""
        ...

    async def sender_pool(
        self, service_sid: str, channel: str, recipient: str
    ) -> tuple[list[PoolEntry], str | None]:
        """The pool and the recipient's sticky mapping on ``channel`` (its sender, if any), in
        one read: what a send through the service needs."""
        ...

    async def get_sender_choice(self, message_sid: str) -> SenderChoice | None: ...

    # Messages, media and their timelines
    async def insert_message(
        self,
        message: Message,
        media: Sequence[Media] = (),
        jobs: Sequence[NewJob] = (),
        media_content: Mapping[str, bytes] | None = None,
        claim: JobClaim | None = None,
    ) -> Message: ...
    async def get_message(self, account_sid: str, sid: str) -> Message | None: ...
    async def find_message(self, sid: str) -> Message | None: ...
    async def update_message(
        self,
        message: Message,
        jobs: Sequence[NewJob] = (),
        events: Sequence[StatusEvent] = (),
        claim: JobClaim | None = None,
    ) -> None: ...
    async def delete_message(self, account_sid: str, sid: str) -> bool: ...
    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: PageRequest
    ) -> Page[Message]: ...
    async def list_replies(self, message_sid: str) -> list[Message]: ...
    async def pending_jobs(self, message_sid: str, kind: str) -> int: ...
    async def list_media(
        self, account_sid: str, message_sid: str, page: PageRequest
    ) -> Page[Media]: ...
    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Media | None: ...
    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool: ...
    async def get_media_content(self, sid: str) -> bytes | None: ...
    async def list_status_events(self, message_sid: str) -> list[StatusEvent]: ...
    async def get_cookie_jar(self, ours: str, theirs: str) -> CookieJar | None: ...
    async def save_feedback(self, feedback: MessageFeedback) -> MessageFeedback:
        """Store the message's feedback (a later outcome replaces an earlier one, which keeps
        its ``date_created``) and return it as stored; it goes with its message."""
        ...

    async def get_feedback(self, account_sid: str, message_sid: str) -> MessageFeedback | None: ...

    # Content templates (SPEC §16) and their WhatsApp approval (one per template, replaced by
    # a resubmission and gone with the template); the WhatsApp window's last inbound message.
    async def insert_content(self, content: Content) -> None: ...
    async def get_content(self, account_sid: str, sid: str) -> Content | None: ...
    async def update_content(self, content: Content) -> bool: ...
    async def delete_content(self, account_sid: str, sid: str) -> bool: ...
    async def list_contents(self, account_sid: str, page: PageRequest) -> Page[Content]: ...
    async def save_content_approval(self, approval: ContentApproval) -> bool:
        """Store the template's approval request; False when the template is gone."""
        ...

    async def get_content_approval(
        self, account_sid: str, content_sid: str
    ) -> ContentApproval | None: ...
    async def list_content_approvals(
        self, content_sids: Sequence[str]
    ) -> list[ContentApproval]: ...
    async def last_inbound(self, account_sid: str, from_: str, to: str) -> datetime | None:
        """When ``from_`` last wrote to ``to`` (an inbound message), if ever."""
        ...

    # The outbox
    async def claim_jobs(self, now: datetime, limit: int, lease_seconds: float) -> list[Job]: ...
    async def next_job_due(self) -> datetime | None: ...
    async def finish_job(
        self, job: Job, outcome: JobOutcome, claim: JobClaim | None = None
    ) -> None: ...
    async def extend_leases(self, job_ids: Sequence[int], leased_until: datetime) -> None: ...
    async def release_all_leases(self) -> int: ...

    # Opt-outs (STOP filtering) and the carrier's scenarios
    async def set_opt_out(
        self, account_sid: str, sender: str, recipient: str, opted_out: bool, at: datetime
    ) -> bool: ...
    async def is_opted_out(self, account_sid: str, sender: str, recipient: str) -> bool: ...
    async def save_opt_out_settings(
        self, account_sid: str, service_sid: str, settings: OptOutSettings, at: datetime
    ) -> None:
        """A Messaging Service's Advanced Opt-Out settings; they go with the service."""
        ...

    async def get_opt_out_settings(self, service_sid: str) -> OptOutSettings | None: ...

    # Loop protection (domain/loops.py): the newest ``limit`` replies from one number to
    # another that were let go, and the first one held after them.
    async def reply_history(self, from_: str, to: str, limit: int) -> list[PastReply]: ...

    async def list_scenarios(self) -> list[dict[str, Any]]: ...
    async def replace_scenarios(self, scenarios: Sequence[Mapping[str, Any]]) -> None: ...

    # The attempt log and the simulator's control plane
    async def insert_attempts(self, attempts: Sequence[WebhookAttempt]) -> None: ...
    async def list_attempts(self, filters: AttemptFilter) -> list[WebhookAttempt]: ...
    async def get_attempt(self, sid: str) -> WebhookAttempt | None: ...

    # The searches behind the dashboard's finder and the assertion API: newest first;
    # ``page.after`` is the SID of the previous page's last item.
    async def search_messages(self, query: MessageQuery, page: PageRequest) -> Page[Message]: ...
    async def search_attempts(
        self, query: AttemptQuery, page: PageRequest
    ) -> Page[WebhookAttempt]: ...
    async def reset(self, keep_numbers: bool = True) -> None: ...
    async def stats(self, account_sids: Sequence[str], since: datetime, recent: int) -> StoreStats:
        """Counts over ``account_sids``: messages per minute from ``since``; statuses, error
        codes and latency over the newest ``recent`` messages and attempts (a cost that does not
        grow with the store)."""
        ...

    # The assertion API (``/_sim/messages``, ``/_sim/webhooks``): a wake-up when this process
    # writes messages or attempts, so a waiting search need not poll.
    def writes(self) -> int:
        """How many writes of messages or attempts this process has committed so far, and
        other processes' it was told of (``writes_elsewhere``)."""
        ...

    async def wait_for_writes(self, seen: int, seconds: float) -> None:
        """Return once ``writes()`` has moved past ``seen`` or after ``seconds``.
        Other processes' writes wake it only when they tell (``writes_elsewhere``: the same
        machine's, wakeup.py); callers look again after a while for the rest."""
        ...

    def announce_writes(self, announce: Callable[[], None]) -> None:
        """Call ``announce`` after each of this process's committed writes of messages or
        attempts (it tells the other processes on the machine)."""
        ...

    def writes_elsewhere(self) -> None:
        """Another process committed writes of messages or attempts: wake the waiters."""
        ...
