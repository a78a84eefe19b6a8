"""The one segment count (SPEC §8.2, §8.3) and how it is shown."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Message
from switchboard.domain.phone import Channel
from switchboard.domain.segments import count_segments, reported_segments

SMART = "It’s here — " + "a" * 160  # GSM-7 with Smart Encoding (2), UCS-2 without (3)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "num_media", "channel", "smart", "expected"),
    [
        ("a" * 160, 0, Channel.SMS, False, 1),
        ("a" * 161, 0, Channel.SMS, False, 2),
        (SMART, 0, Channel.SMS, False, 3),
        (SMART, 0, Channel.SMS, True, 2),
        (SMART, 1, Channel.SMS, False, 1),  # MMS
        (SMART, 0, Channel.WHATSAPP, False, 1),
        ("", 0, Channel.SMS, False, 1),
    ],
)
def test_count_segments(
    body: str, num_media: int, channel: Channel, smart: bool, expected: int
) -> None:
    count = count_segments(body, num_media=num_media, channel=channel, smart_encoding=smart)
    assert count == expected


def test_a_message_shows_0_segments_until_its_sender_is_chosen() -> None:
    message = Message(
        sid="SM1",
        account_sid="AC1",
        direction=Direction.OUTBOUND_API,
        from_=None,
        to="+15555550199",
        body=SMART,
        status=MessageStatus.ACCEPTED,
        num_segments=2,
        num_media=0,
        date_created=NOW,
        date_updated=NOW,
    )
    assert reported_segments(message) == 0
    assert reported_segments(dataclasses.replace(message, from_="+15555550100")) == 2
