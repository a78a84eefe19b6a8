"""Rows <-> records of the senders besides phone numbers: short codes and channel senders of an
account, a Messaging Service's Sender Pool entries, and the sender chosen for a message (the
same columns in both schemas, as :mod:`switchboard.storage.records` says)."""

from __future__ import annotations

from switchboard.domain.models import AccountSender, SenderChoice, SenderKind, ServiceSender
from switchboard.storage.records import Params, Row
from switchboard.storage.rows import from_micros, to_micros

_ACCOUNT_SENDER_TEXT = (
    "sid", "account_sid", "address", "country_code", "friendly_name",
    "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method",
)  # fmt: skip


def account_sender(row: Row) -> AccountSender:
    return AccountSender(
        **{name: row[name] for name in _ACCOUNT_SENDER_TEXT},
        kind=SenderKind(row["kind"]),
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def account_sender_params(sender: AccountSender) -> Params:
    params: Params = {name: getattr(sender, name) for name in _ACCOUNT_SENDER_TEXT}
    params["kind"] = sender.kind.value
    params["date_created"] = to_micros(sender.date_created)
    params["date_updated"] = to_micros(sender.date_updated)
    return params


def service_sender(row: Row) -> ServiceSender:
    return ServiceSender(
        sid=row["sid"],
        service_sid=row["service_sid"],
        account_sid=row["account_sid"],
        kind=SenderKind(row["kind"]),
        sender=row["sender"],
        country_code=row["country_code"],
        date_created=from_micros(row["date_created"]),
        date_updated=from_micros(row["date_updated"]),
    )


def service_sender_params(entry: ServiceSender) -> Params:
    return {
        "sid": entry.sid,
        "service_sid": entry.service_sid,
        "account_sid": entry.account_sid,
        "kind": entry.kind.value,
        "sender": entry.sender,
        "country_code": entry.country_code,
        "date_created": to_micros(entry.date_created),
        "date_updated": to_micros(entry.date_updated),
    }


def sender_choice(row: Row) -> SenderChoice:
    return SenderChoice(
        message_sid=row["message_sid"],
        rule=row["rule"],
        sender=row["sender"],
        detail=row["detail"],
        converted=bool(row["converted"]),
        date_created=from_micros(row["date_created"]),
    )


def sender_choice_params(choice: SenderChoice) -> Params:
    return {
        "message_sid": choice.message_sid,
        "rule": choice.rule,
        "sender": choice.sender,
        "detail": choice.detail,
        "converted": choice.converted,
        "date_created": to_micros(choice.date_created),
    }
