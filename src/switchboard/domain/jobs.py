"""The outbox's jobs as typed values: one frozen dataclass per job kind.

A job is stored as a kind and a JSON payload. Each kind here writes its payload
(``to_payload``) and reads it back (``from_payload``), so the code that plans a job and the
code that runs it share one definition of its fields and their defaults. Jobs outlive the
process that wrote them (a restart, an upgrade), so the JSON keys are the ones written before
these types existed, and ``from_payload`` reads every payload an earlier version wrote: a status
callback without ``method`` or ``token``, an incoming webhook without ``source``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from switchboard.domain.callbacks import status_params
from switchboard.domain.lifecycle import Event
from switchboard.domain.models import Message, NewJob
from switchboard.domain.routing import InboundRoute


class JobKind(StrEnum):
    CARRIER = "carrier"  # the simulated carrier's next step for one message
    INCOMING = "incoming"  # the incoming-message webhook of one inbound message
    STATUS_CALLBACK = "status_callback"  # one status change reported to the app
    EVENT = "event"  # Event Streams: CloudEvents for one Sink


TOKEN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "switchboard:idempotency-token")
_NAMESPACE_BYTES = TOKEN_NAMESPACE.bytes


def delivery_token(*parts: str) -> str:
    """The I-Twilio-Idempotency-Token of one delivery: a UUID derived from what is delivered,
    so every retry -- and every replay after a crash -- carries the same token.

    It is ``str(uuid.uuid5(TOKEN_NAMESPACE, ":".join(parts)))`` (RFC 4122 section 4.3) written
    out: two tokens per inbound message, and the ``UUID`` object cost 2.5x the hash itself."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + ":".join(parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def _params(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(name): str(value) for name, value in raw.items()}


@dataclass(frozen=True, slots=True)
class CarrierStep:
    """Apply ``event`` to the job's message (``error_code``: the failure the carrier reports)."""

    kind: ClassVar[JobKind] = JobKind.CARRIER

    event: Event
    error_code: int | None = None
    # The sender's throughput slot was taken when the step was put back (see the timeline).
    slot: bool = False

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"event": self.event.value}
        if self.error_code is not None:
            payload["error_code"] = self.error_code
        if self.slot:
            payload["slot"] = True
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CarrierStep:
        code = payload.get("error_code")
        return cls(
            event=Event(payload["event"]),
            error_code=None if code is None else int(code),
            slot=bool(payload.get("slot")),
        )


@dataclass(frozen=True, slots=True)
class IncomingDelivery:
    """Request the app's TwiML for an inbound message: ``params`` to ``route``."""

    kind: ClassVar[JobKind] = JobKind.INCOMING

    route: InboundRoute
    params: dict[str, str]
    token: str  # the delivery's idempotency token; each document request derives its own

    def to_payload(self) -> dict[str, Any]:
        return {
            "url": self.route.url,
            "method": self.route.method,
            "fallback_url": self.route.fallback_url,
            "fallback_method": self.route.fallback_method,
            "source": self.route.source,
            "params": dict(self.params),
            "token": self.token,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> IncomingDelivery:
        route = InboundRoute(
            url=str(payload["url"]),
            method=str(payload.get("method") or "POST"),
            fallback_url=str(payload.get("fallback_url") or ""),
            fallback_method=str(payload.get("fallback_method") or "POST"),
            source=str(payload.get("source") or ""),  # "": written before it was recorded
        )
        return cls(route=route, params=_params(payload["params"]), token=str(payload["token"]))


@dataclass(frozen=True, slots=True)
class StatusCallback:
    """Report a message's status: ``params`` to ``url``."""

    kind: ClassVar[JobKind] = JobKind.STATUS_CALLBACK

    url: str
    method: str
    params: dict[str, str]
    # A chaos duplicate is the same delivery again, so it carries the same token. None only in
    # payloads written before tokens were; the runner then derives one from the job.
    token: str | None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "url": self.url,
            "method": self.method,
            "params": dict(self.params),
        }
        if self.token is not None:
            payload["token"] = self.token
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> StatusCallback:
        token = payload.get("token")
        return cls(
            url=str(payload["url"]),
            method=str(payload.get("method") or "POST"),
            params=_params(payload["params"]),
            token=str(token) if token else None,
        )


@dataclass(frozen=True, slots=True)
class EventDelivery:
    """Deliver ``events`` (CloudEvents) to the Sink ``sink_sid`` (Event Streams, SPEC §19).

    Written by the store, in the transaction that records the state change, once per Sink
    subscribed to the event's type (``storage/sql``: ``fan_out_event``). ``attempt`` counts the
    failed attempts so far and ``first_attempt_at`` starts Twilio's four-hour retry budget;
    ``test`` marks a Sink test, which goes to a Sink not active yet."""

    kind: ClassVar[JobKind] = JobKind.EVENT

    sink_sid: str
    events: tuple[dict[str, Any], ...]
    attempt: int = 0
    first_attempt_at: str | None = None  # ISO 8601, set by the first failure
    test: bool = False
    chaos_done: bool = False  # the carrier's chaos was applied (once per delivery)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"sink_sid": self.sink_sid, "events": list(self.events)}
        if self.attempt:
            payload["attempt"] = self.attempt
        if self.first_attempt_at is not None:
            payload["first_attempt_at"] = self.first_attempt_at
        if self.test:
            payload["test"] = True
        if self.chaos_done:
            payload["chaos_done"] = True
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> EventDelivery:
        first = payload.get("first_attempt_at")
        return cls(
            sink_sid=str(payload["sink_sid"]),
            events=tuple(dict(event) for event in payload.get("events") or ()),
            attempt=int(payload.get("attempt") or 0),
            first_attempt_at=str(first) if first else None,
            test=bool(payload.get("test")),
            chaos_done=bool(payload.get("chaos_done")),
        )


JobSpec = CarrierStep | IncomingDelivery | StatusCallback | EventDelivery


def new_job(
    spec: JobSpec, due_at: datetime, account_sid: str | None, message_sid: str | None
) -> NewJob:
    """The outbox row that runs ``spec`` at ``due_at``."""
    return NewJob(spec.kind, due_at, spec.to_payload(), account_sid, message_sid)


def status_callback_job(message: Message, now: datetime) -> NewJob | None:
    """The callback announcing ``message``'s current status, if it has somewhere to go."""
    if not message.status_callback:
        return None
    callback = StatusCallback(
        url=message.status_callback,
        method=message.status_callback_method or "POST",
        params=status_params(message, now),
        token=delivery_token(message.sid, "status", message.status.value),
    )
    return new_job(callback, now, message.account_sid, message.sid)
