"""The dashboard's JSON shapes (its own: not Twilio's wire format, free to change with the UI).

A message carries its ``thread``: conversations are grouped like a phone's messaging app, by the
pair (our number, the handset), so an inbound message and the replies to it share one thread.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson

from switchboard import __version__
from switchboard.domain.content import tappable
from switchboard.domain.models import (
    Direction,
    Media,
    Message,
    SenderKind,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.domain.phone import parse_address
from switchboard.domain.routing import InboundRoute
from switchboard.domain.segments import reported_segments
from switchboard.services.content import CONTENT_SID, CONTENT_VARIABLES, sent_content
from switchboard.services.simulator import (
    Exchange,
    NumberView,
    Overview,
    SenderView,
    ServiceView,
)


def when(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds: carrier steps are tens of milliseconds apart."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def channel(address: str | None) -> str:
    parsed = parse_address(address) if address else None
    return parsed.channel.value if parsed is not None else "sms"


def thread_of(message: Message) -> dict[str, str]:
    """(our side, the handset) of a message, whichever way it travelled."""
    if message.direction is Direction.INBOUND:
        ours, handset = message.to, message.from_ or ""
    else:
        ours = message.from_ or message.messaging_service_sid or ""
        handset = message.to
    return {
        "key": f"{ours}|{handset}",
        "ours": ours,
        "handset": handset,
        "channel": channel(handset),
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "seq": message.seq,
        "account_sid": message.account_sid,
        "direction": message.direction.value,
        "from": message.from_,
        "to": message.to,
        "body": message.body,
        "status": message.status.value,
        "num_segments": reported_segments(message),
        "num_media": message.num_media,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "messaging_service_sid": message.messaging_service_sid,
        "in_reply_to": message.in_reply_to,
        "extra": message.extra,
        "template": template_json(message),
        "date_created": when(message.date_created),
        "date_updated": when(message.date_updated),
        "thread": thread_of(message),
    }


def template_json(message: Message) -> dict[str, Any] | None:
    """The Content template an outbound message was sent from, as the phone shows it: the type
    sent, its fields with the placeholders filled, the values they took, and what can be
    tapped (id, label, kind), by the same rule as a tap through /_sim/inbound."""
    sent = sent_content(message)
    if sent is None:
        return None
    kind, payload = sent
    return {
        "sid": message.extra.get(CONTENT_SID),
        "type": kind,
        "fields": payload,
        "variables": json.loads(message.extra.get(CONTENT_VARIABLES) or "{}"),
        "buttons": [
            {"id": tap.payload, "text": tap.text, "type": tap.button_type}
            for tap in tappable(kind, payload)
        ],
    }


def event_json(event: StatusEvent) -> dict[str, Any]:
    return {"status": event.status, "at": when(event.at), "error_code": event.error_code}


def media_json(media: Media) -> dict[str, Any]:
    return {
        "sid": media.sid,
        "content_type": media.content_type,
        "size": media.size,
        "source_url": media.source_url,
        "url": f"/_dashboard/api/messages/{media.message_sid}/media/{media.sid}",
    }


def header(headers: dict[str, str], name: str) -> str:
    """A header's value whatever the case of its recorded name ("" when absent)."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def attempt_summary(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "sid": attempt.sid,
        "account_sid": attempt.account_sid,
        "message_sid": attempt.message_sid,
        "kind": attempt.kind,
        "attempt": attempt.attempt,
        "method": attempt.method,
        "url": attempt.url,
        "status": attempt.response_status,
        # Where a 3xx answer pointed: each redirect hop is an attempt of its own.
        "location": attempt.response_headers.get("location"),
        "error_code": attempt.error_code,
        "error_detail": attempt.error_detail,
        "duration_ms": round(attempt.duration_ms, 1),
        "date_created": when(attempt.date_created),
    }


def attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    form = header(attempt.request_headers, "content-type").startswith(
        "application/x-www-form-urlencoded"
    )
    params = parse_qsl(attempt.request_body, keep_blank_values=True) if form else []
    return {
        **attempt_summary(attempt),
        "signed_url": attempt.signed_url,
        "idempotency_token": attempt.idempotency_token,
        "request": {
            "headers": attempt.request_headers,
            "body": attempt.request_body,
            "params": [list(pair) for pair in params],
        },
        "response": {
            "status": attempt.response_status,
            "headers": attempt.response_headers,
            "body": attempt.response_body,
        },
    }


def route_json(route: InboundRoute | None) -> dict[str, str] | None:
    """Where a number's inbound webhook goes, decided on the server (``domain.routing``)."""
    if route is None:
        return None
    return {"url": route.url, "method": route.method, "source": route.source}


def number_json(view: NumberView) -> dict[str, Any]:
    number = view.number
    return {
        "sid": number.sid,
        "account_sid": number.account_sid,
        "phone_number": number.phone_number,
        "friendly_name": number.friendly_name,
        "sms_url": number.sms_url,
        "sms_method": number.sms_method,
        "sms_fallback_url": number.sms_fallback_url,
        "status_callback": number.status_callback,
        "service_sid": view.service.sid if view.service else None,
        "webhook": route_json(view.route),
    }


def sender_json(view: SenderView) -> dict[str, Any]:
    """A short code or channel sender in the overview, beside the numbers."""
    sender = view.sender
    return {
        "sid": sender.sid,
        "account_sid": sender.account_sid,
        "kind": sender.kind.value,
        "address": sender.address,
        "country_code": sender.country_code,
        "friendly_name": sender.friendly_name,
        "service_sid": view.service.sid if view.service else None,
        "webhook": route_json(view.route),
    }


def service_json(view: ServiceView) -> dict[str, Any]:
    service = view.service
    return {
        "sid": service.sid,
        "account_sid": service.account_sid,
        "friendly_name": service.friendly_name,
        "inbound_request_url": service.inbound_request_url,
        "inbound_method": service.inbound_method,
        "fallback_url": service.fallback_url,
        "status_callback": service.status_callback,
        "use_inbound_webhook_on_number": service.use_inbound_webhook_on_number,
        "numbers": [address for kind, address, _ in view.pool if kind is SenderKind.PHONE_NUMBER],
        # The rest of the pool: short codes, alphanumeric IDs, WhatsApp numbers, RCS agents.
        "senders": [
            {"kind": kind.value, "sender": address, "country_code": country}
            for kind, address, country in view.pool
            if kind is not SenderKind.PHONE_NUMBER
        ],
    }


def overview_json(overview: Overview) -> dict[str, Any]:
    """Who we are, our numbers, short codes and channel senders, and our Messaging Services."""
    account = overview.account
    return {
        "account": {
            "sid": account.sid,
            "friendly_name": account.friendly_name,
            "auth_token": account.auth_token,
        },
        "numbers": [number_json(view) for view in overview.numbers],
        "senders": [sender_json(view) for view in overview.senders],
        "services": [service_json(view) for view in overview.services],
        "version": __version__,
    }


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    choice = exchange.sender_choice  # why the Messaging Service chose this sender
    return {
        "message": message_json(exchange.message),
        "timeline": [event_json(e) for e in exchange.timeline],
        "attempts": [attempt_summary(a) for a in exchange.attempts],
        "replies": [message_json(r) for r in exchange.replies],
        "media": [media_json(m) for m in exchange.media],
        "webhook_pending": exchange.webhook_pending,
        "sender_choice": None
        if choice is None
        else {
            "rule": choice.rule,
            "sender": choice.sender,
            "detail": choice.detail,
            "mms_converted": choice.converted,
        },
        "events": message_events(exchange),
    }


def message_events(exchange: Exchange) -> list[dict[str, Any]]:
    """The message's Event Streams events, one per (event, attempt) that carried it, read back
    from the event attempts' bodies: what each Sink was sent, beside the status callbacks."""
    sid = exchange.message.sid
    found: list[dict[str, Any]] = []
    for attempt in exchange.attempts:
        if attempt.kind != "event":
            continue
        try:
            events = orjson.loads(attempt.request_body or "[]")
        except orjson.JSONDecodeError:
            continue
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict) or (event.get("data") or {}).get("messageSid") != sid:
                continue
            found.append(
                {
                    "id": event.get("id"),
                    "type": event.get("type"),
                    "time": event.get("time"),
                    "attempt_sid": attempt.sid,
                    "attempt": attempt.attempt,
                    "status": attempt.response_status,
                    "error_code": attempt.error_code,
                }
            )
    return found
