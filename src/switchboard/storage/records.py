"""Rows <-> records, shared by the SQLite and PostgreSQL stores.

Both schemas have the same columns, name for name and value for value (times in integer
microseconds, JSON as text), and both drivers' rows can be indexed by column name
(``sqlite3.Row``, ``asyncpg.Record``), so one set of converters serves both adapters.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Protocol

from switchboard.domain.cookies import CookieJar, StoredCookie
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import (
    Account,
    ApiKey,
    Content,
    ContentApproval,
    Direction,
    Job,
    Media,
    Message,
    MessageFeedback,
    MessagingService,
    NewJob,
    PhoneNumber,
    ServicePhoneNumber,
    StatusEvent,
    WebhookAttempt,
)
from switchboard.domain.optout import OptOutSettings
from switchboard.ports import JobClaim
from switchboard.storage.rows import (
    dump_json,
    from_micros,
    load_json,
    opt_from_micros,
    opt_micros,
    to_micros,
)


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


Params = dict[str, Any]


def account(row: Row) -> Account:
    return Account(
        sid=row["sid"],
        friendly_name=row["friendly_name"],
        auth_token=row["auth_token"],
        owner_account_sid=row["owner_account_sid"],
        status=row["status"],
        type=row["type"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def account_params(record: Account) -> Params:
    params: Params = {f.name: getattr(record, f.name) for f in dataclasses.fields(Account)}
    params["date_created"] = to_micros(record.date_created)
    params["date_updated"] = to_micros(record.date_updated)
    return params


def api_key(row: Row) -> ApiKey:
    return ApiKey(
        sid=row["sid"],
        account_sid=row["account_sid"],
        friendly_name=row["friendly_name"],
        secret=row["secret"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def api_key_params(key: ApiKey) -> Params:
    params: Params = {f.name: getattr(key, f.name) for f in dataclasses.fields(ApiKey)}
    params["date_created"] = to_micros(key.date_created)
    params["date_updated"] = to_micros(key.date_updated)
    return params


_NUMBER_TEXT_FIELDS = (
    "sid",
    "account_sid",
    "phone_number",
    "friendly_name",
    "sms_url",
    "sms_method",
    "sms_fallback_url",
    "sms_fallback_method",
    "status_callback",
    "status_callback_method",
    "sms_application_sid",
)


def phone_number(row: Row) -> PhoneNumber:
    return PhoneNumber(
        **{name: row[name] for name in _NUMBER_TEXT_FIELDS},
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def number_params(number: PhoneNumber) -> Params:
    params: Params = {name: getattr(number, name) for name in _NUMBER_TEXT_FIELDS}
    params["date_created"] = to_micros(number.date_created)
    params["date_updated"] = to_micros(number.date_updated)
    return params


_SERVICE_BODY_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(MessagingService)
    if f.name not in {"sid", "account_sid", "date_created", "date_updated"}
)


def service_from(
    sid: str, account_sid: str, body: str, created: int, updated: int
) -> MessagingService:
    fields = load_json(body)
    known = {name: fields[name] for name in _SERVICE_BODY_FIELDS if name in fields}
    return MessagingService(
        sid=sid,
        account_sid=account_sid,
        date_created=from_micros(created),
        date_updated=from_micros(updated),
        **known,
    )


def service(row: Row) -> MessagingService:
    return service_from(
        row["sid"], row["account_sid"], row["body"], row["date_created"], row["date_updated"]
    )


def joined_service(row: Row) -> MessagingService | None:
    """The service columns of ``find_number_and_service`` (NULL when the number is in none)."""
    if row["service_sid"] is None:
        return None
    return service_from(
        row["service_sid"],
        row["service_account_sid"],
        row["service_body"],
        row["service_date_created"],
        row["service_date_updated"],
    )


def service_params(record: MessagingService) -> Params:
    return {
        "sid": record.sid,
        "account_sid": record.account_sid,
        "body": dump_json({name: getattr(record, name) for name in _SERVICE_BODY_FIELDS}),
        "date_created": to_micros(record.date_created),
        "date_updated": to_micros(record.date_updated),
    }


def service_number(row: Row) -> ServicePhoneNumber:
    return ServicePhoneNumber(
        sid=row["sid"],
        service_sid=row["service_sid"],
        account_sid=row["account_sid"],
        phone_number=row["phone_number"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def service_number_params(entry: ServicePhoneNumber) -> Params:
    return {
        "sid": entry.sid,
        "service_sid": entry.service_sid,
        "account_sid": entry.account_sid,
        "phone_number": entry.phone_number,
        "date_created": to_micros(entry.date_created),
        "date_updated": to_micros(entry.date_updated),
    }


def message(row: Row) -> Message:
    return Message(
        sid=row["sid"],
        account_sid=row["account_sid"],
        messaging_service_sid=row["messaging_service_sid"],
        direction=Direction(row["direction"]),
        from_=row["from_addr"],
        to=row["to_addr"],
        body=row["body"],
        status=MessageStatus(row["status"]),
        num_segments=row["num_segments"],
        num_media=row["num_media"],
        price=row["price"],
        price_unit=row["price_unit"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        status_callback=row["status_callback"],
        status_callback_method=row["status_callback_method"],
        validity_period=row["validity_period"],
        send_at=opt_from_micros(row["send_at"]),
        extra=load_json(row["extra"]),
        in_reply_to=row["in_reply_to"],
        content_retention=row["content_retention"],
        address_retention=row["address_retention"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
        date_sent=opt_from_micros(row["date_sent"]),
        seq=row["seq"],
    )


def message_params(m: Message) -> Params:
    return {
        "sid": m.sid,
        "account_sid": m.account_sid,
        "messaging_service_sid": m.messaging_service_sid,
        "direction": m.direction.value,
        "from_addr": m.from_,
        "to_addr": m.to,
        "body": m.body,
        "status": MessageStatus(m.status).value,
        "num_segments": m.num_segments,
        "num_media": m.num_media,
        "price": m.price,
        "price_unit": m.price_unit,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "status_callback": m.status_callback,
        "status_callback_method": m.status_callback_method,
        "validity_period": m.validity_period,
        "send_at": opt_micros(m.send_at),
        "extra": dump_json(m.extra),
        "in_reply_to": m.in_reply_to,
        "content_retention": m.content_retention,
        "address_retention": m.address_retention,
        "date_created": to_micros(m.date_created),
        "date_updated": to_micros(m.date_updated),
        "date_sent": opt_micros(m.date_sent),
    }


# Columns fixed at creation; update_message does not bind them.
MESSAGE_INSERT_ONLY = frozenset(
    {"account_sid", "direction", "to_addr", "num_media", "status_callback",
     "status_callback_method", "validity_period", "send_at", "extra", "in_reply_to",
     "content_retention", "address_retention", "date_created"}
)  # fmt: skip


def message_update_params(m: Message) -> Params:
    return {k: v for k, v in message_params(m).items() if k not in MESSAGE_INSERT_ONLY}


def media(row: Row) -> Media:
    return Media(
        sid=row["sid"],
        account_sid=row["account_sid"],
        message_sid=row["message_sid"],
        content_type=row["content_type"],
        source_url=row["source_url"],
        size=row["size"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def media_params(item: Media, content: bytes | None) -> Params:
    return {
        "sid": item.sid,
        "account_sid": item.account_sid,
        "message_sid": item.message_sid,
        "content_type": item.content_type,
        "source_url": item.source_url,
        "size": item.size,
        "content": content,
        "date_created": to_micros(item.date_created),
        "date_updated": to_micros(item.date_updated),
    }


def event(row: Row) -> StatusEvent:
    return StatusEvent(
        message_sid=row["message_sid"],
        status=row["status"],
        at=from_micros(row["at"]),
        error_code=row["error_code"],
    )


def event_params(e: StatusEvent) -> Params:
    return {
        "message_sid": e.message_sid,
        "status": e.status,
        "error_code": e.error_code,
        "at": to_micros(e.at),
    }


def job(row: Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        due_at=from_micros(row["due_at"]),
        payload=load_json(row["payload"]),
        account_sid=row["account_sid"],
        message_sid=row["message_sid"],
        attempts=row["attempts"],
    )


def is_claimed(j: NewJob, claim: JobClaim | None) -> bool:
    """Whether ``j`` is inserted already leased to its writer (see :class:`JobClaim`)."""
    return claim is not None and j.due_at <= claim.due_by


def new_job_params(j: NewJob, claim: JobClaim | None = None) -> Params:
    """The ``job_row`` fragment's parameters (prefixed: a query may write a message too)."""
    until = claim.leased_until if claim is not None and is_claimed(j, claim) else None
    return {
        "job_kind": j.kind,
        "job_account_sid": j.account_sid,
        "job_message_sid": j.message_sid,
        "job_due_at": to_micros(j.due_at),
        "job_leased_until": opt_micros(until),
        "job_attempts": 0 if until is None else 1,  # a job claimed at insert counts one claim
        "job_payload": dump_json(j.payload),
    }


def claimed_job(
    claim: JobClaim | None, job_id: int, j: NewJob, cookies_known_absent: bool = False
) -> Job | None:
    """Once ``j`` is inserted with ``job_id``: if the claim took it, the job its writer runs
    (leased, claim count 1); the store hands it to the claim when the write has committed."""
    if claim is None or not is_claimed(j, claim):
        return None
    return Job(
        id=job_id,
        kind=j.kind,
        due_at=j.due_at,
        payload=j.payload,
        account_sid=j.account_sid,
        message_sid=j.message_sid,
        attempts=1,
        cookies_known_absent=cookies_known_absent,
    )


def attempt(row: Row) -> WebhookAttempt:
    return WebhookAttempt(
        sid=row["sid"],
        account_sid=row["account_sid"],
        message_sid=row["message_sid"],
        kind=row["kind"],
        attempt=row["attempt"],
        url=row["url"],
        method=row["method"],
        request_headers=load_json(row["request_headers"]),
        request_body=row["request_body"],
        response_status=row["response_status"],
        response_headers=load_json(row["response_headers"]),
        response_body=row["response_body"],
        duration_ms=row["duration_ms"],
        error_code=row["error_code"],
        error_detail=row["error_detail"],
        idempotency_token=row["idempotency_token"],
        signed_url=row["signed_url"],
        date_created=from_micros(row["date_created"]),
    )


def attempt_params(a: WebhookAttempt) -> Params:
    return {
        "sid": a.sid,
        "account_sid": a.account_sid,
        "message_sid": a.message_sid,
        "kind": a.kind,
        "attempt": a.attempt,
        "url": a.url,
        "method": a.method,
        "request_headers": dump_json(a.request_headers),
        "request_body": a.request_body,
        "response_status": a.response_status,
        "response_headers": dump_json(a.response_headers),
        "response_body": a.response_body,
        "duration_ms": a.duration_ms,
        "error_code": a.error_code,
        "error_detail": a.error_detail,
        "idempotency_token": a.idempotency_token,
        "signed_url": a.signed_url,
        "date_created": to_micros(a.date_created),
    }


def cookie_jar(row: Row) -> CookieJar:
    cookies = tuple(
        StoredCookie(**{**item, "expires": from_micros(item["expires"])})
        for item in load_json(row["cookies"])
    )
    return CookieJar(
        row["account_sid"], row["ours"], row["theirs"], cookies, from_micros(row["date_updated"])
    )


def cookie_jar_write(jar: CookieJar) -> tuple[str, Params]:
    """The statement that stores ``jar``: an empty jar is no jar, so its row goes."""
    if not jar.cookies:
        return "delete_cookie_jar", {"ours": jar.ours, "theirs": jar.theirs}
    cookies = [
        {**dataclasses.asdict(cookie), "expires": to_micros(cookie.expires)}
        for cookie in jar.cookies
    ]
    return "save_cookie_jar", {
        "account_sid": jar.account_sid,
        "ours": jar.ours,
        "theirs": jar.theirs,
        "cookies": dump_json(cookies),
        "date_updated": to_micros(jar.date_updated),
    }


def content(row: Row) -> Content:
    return Content(
        sid=row["sid"],
        account_sid=row["account_sid"],
        friendly_name=row["friendly_name"],
        language=row["language"],
        variables=load_json(row["variables"]),
        types=load_json(row["types"]),
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def content_params(c: Content) -> Params:
    return {
        "sid": c.sid,
        "account_sid": c.account_sid,
        "friendly_name": c.friendly_name,
        "language": c.language,
        "variables": dump_json(c.variables),
        "types": dump_json(c.types),
        "date_created": to_micros(c.date_created),
        "date_updated": to_micros(c.date_updated),
    }


def content_approval(row: Row) -> ContentApproval:
    return ContentApproval(
        content_sid=row["content_sid"],
        account_sid=row["account_sid"],
        name=row["name"],
        category=row["category"],
        content_type=row["content_type"],
        status=row["status"],
        rejection_reason=row["rejection_reason"],
        allow_category_change=bool(row["allow_category_change"]),
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def content_approval_params(a: ContentApproval) -> Params:
    return {
        "content_sid": a.content_sid,
        "account_sid": a.account_sid,
        "name": a.name,
        "category": a.category,
        "content_type": a.content_type,
        "status": a.status,
        "rejection_reason": a.rejection_reason,
        "allow_category_change": a.allow_category_change,
        "date_created": to_micros(a.date_created),
        "date_updated": to_micros(a.date_updated),
    }


def feedback(row: Row) -> MessageFeedback:
    return MessageFeedback(
        account_sid=row["account_sid"],
        message_sid=row["message_sid"],
        outcome=row["outcome"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def feedback_params(f: MessageFeedback) -> Params:
    return {
        "account_sid": f.account_sid,
        "message_sid": f.message_sid,
        "outcome": f.outcome,
        "date_created": to_micros(f.date_created),
        "date_updated": to_micros(f.date_updated),
    }


def opt_out_settings(row: Row) -> OptOutSettings:
    return OptOutSettings.from_json(load_json(row["settings"]))


def opt_out_settings_params(
    account_sid: str, service_sid: str, settings: OptOutSettings, at: datetime
) -> Params:
    return {
        "account_sid": account_sid,
        "service_sid": service_sid,
        "settings": dump_json(settings.to_json()),
        "date_updated": to_micros(at),
    }
