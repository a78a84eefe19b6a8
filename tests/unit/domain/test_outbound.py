"""The one constructor of outbound messages (domain/outbound.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.domain.jobs import JobKind, StatusCallback
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction
from switchboard.domain.outbound import Draft, build
from switchboard.domain.phone import Address, Channel

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HANDSET = Address(Channel.SMS, "+15555550199")
NUMBER = Address(Channel.SMS, "+15555550100")
SMART = "It’s here — " + "a" * 160  # GSM-7 with Smart Encoding (2), UCS-2 without (3)


def sids() -> Callable[[str], str]:
    """A SID factory that numbers its SIDs in the order they are asked for."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):032x}"


def draft(**changes: object) -> Draft:
    fields: dict[str, object] = {
        "account_sid": "AC1",
        "direction": Direction.OUTBOUND_API,
        "to": HANDSET,
        "sender": NUMBER,
        "body": "hello",
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def test_a_direct_send_is_queued_with_its_fields() -> None:
    built = build(draft(status_callback="https://app.test/status"), now=NOW, new_sid=sids())
    message = built.message
    assert message.sid == f"SM{1:032x}"
    assert (message.account_sid, message.direction) == ("AC1", Direction.OUTBOUND_API)
    assert (message.from_, message.to, message.body) == (NUMBER.value, HANDSET.value, "hello")
    assert message.status is MessageStatus.QUEUED
    assert (message.num_segments, message.num_media) == (1, 0)
    assert message.date_created == message.date_updated == NOW
    assert message.status_callback == "https://app.test/status"
    assert message.error_code is None
    assert message.error_message is None
    assert built.media == []
    assert built.callback is None  # no callback announces an initial status


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"through_service": True, "messaging_service_sid": "MG1", "sender": None}, "accepted"),
        ({"through_service": True, "messaging_service_sid": "MG1"}, "accepted"),
        # A reply records the service of the message it answers but is not sent through it.
        ({"messaging_service_sid": "MG1", "direction": Direction.OUTBOUND_REPLY}, "queued"),
        ({"through_service": True, "send_at": NOW + timedelta(hours=1)}, "scheduled"),
    ],
)
def test_the_initial_status(changes: dict[str, object], status: str) -> None:
    assert build(draft(**changes), now=NOW, new_sid=sids()).message.status == status


def test_a_service_send_has_no_sender_until_the_service_chooses_one() -> None:
    built = build(draft(sender=None, through_service=True), now=NOW, new_sid=sids())
    assert built.message.from_ is None


def test_media_get_their_own_sids_after_the_message() -> None:
    urls = ["https://cdn.test/a.jpg", "https://cdn.test/b.pdf"]
    built = build(draft(media_urls=urls, body=SMART), now=NOW, new_sid=sids())
    message = built.message
    assert message.sid == f"MM{1:032x}"
    assert (message.num_media, message.num_segments) == (2, 1)  # MMS: one segment
    assert [m.sid for m in built.media] == [f"ME{2:032x}", f"ME{3:032x}"]
    assert [m.content_type for m in built.media] == ["image/jpeg", "application/pdf"]
    assert [m.source_url for m in built.media] == urls
    assert {(m.message_sid, m.account_sid, m.date_created) for m in built.media} == {
        (message.sid, "AC1", NOW)
    }


@pytest.mark.parametrize(("smart", "segments"), [(False, 3), (True, 2)])
def test_segments_are_counted_with_the_smart_encoding_choice(smart: bool, segments: int) -> None:
    built = build(draft(body=SMART, smart_encoding=smart), now=NOW, new_sid=sids())
    assert built.message.num_segments == segments


def test_a_whatsapp_message_is_one_segment() -> None:
    to = Address(Channel.WHATSAPP, "+15555550199")
    sender = Address(Channel.WHATSAPP, "+15555550100")
    built = build(draft(to=to, sender=sender, body=SMART), now=NOW, new_sid=sids())
    assert built.message.num_segments == 1
    assert (built.message.to, built.message.from_) == (to.value, sender.value)


def test_a_refused_reply_is_created_failed_and_announced() -> None:
    reply = draft(
        direction=Direction.OUTBOUND_REPLY,
        refusal=21610,
        status_callback="https://app.test/status",
        status_callback_method="GET",
        in_reply_to="SM0",
    )
    built = build(reply, now=NOW, new_sid=sids())
    message = built.message
    assert message.status is MessageStatus.FAILED
    assert message.error_code == 21610
    assert message.error_message
    assert message.in_reply_to == "SM0"
    assert built.callback is not None
    assert built.callback.kind == JobKind.STATUS_CALLBACK
    assert built.callback.due_at == NOW
    callback = StatusCallback.from_payload(built.callback.payload)
    assert (callback.url, callback.method) == ("https://app.test/status", "GET")
    assert callback.params["MessageStatus"] == "failed"
    assert callback.params["ErrorCode"] == "21610"


def test_a_refused_reply_without_a_callback_url_has_no_callback() -> None:
    built = build(draft(refusal=21612), now=NOW, new_sid=sids())
    assert built.message.status is MessageStatus.FAILED
    assert built.callback is None


def test_building_is_pure() -> None:
    first = build(draft(media_urls=["https://cdn.test/a.png"]), now=NOW, new_sid=sids())
    again = build(draft(media_urls=["https://cdn.test/a.png"]), now=NOW, new_sid=sids())
    assert first == again
