"""Scheduled messages (SendAt + ScheduleType=fixed + a Messaging Service) on a virtual clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException

OURS = "+15555550100"
HANDSET = "+15555550199"
EPOCH = datetime.fromisoformat("2026-01-01T12:00:00+00:00")  # where VirtualClock starts


def _code(call) -> int:
    with pytest.raises(TwilioRestException) as caught:
        call()
    assert caught.value.status == 400
    return int(caught.value.code)


@pytest.fixture
def service(carrier):
    return carrier.service(carrier.number(OURS))


def _schedule(carrier, service, minutes: float = 10, **kwargs):
    return carrier.send(
        from_=None,
        messaging_service_sid=service.sid,
        send_at=carrier.now() + timedelta(minutes=minutes),
        schedule_type="fixed",
        body="later",
        **kwargs,
    )


def test_a_scheduled_message_waits_for_send_at(carrier, receiver, service):
    message = _schedule(carrier, service)
    assert message.status == "scheduled"
    assert message.messaging_service_sid == service.sid
    assert message.from_ is None  # the sender is picked when it is due
    carrier.advance(9 * 60 + 59)
    assert carrier.status(message.sid) == "scheduled"
    assert receiver.at("/status") == []
    carrier.advance(1)  # SendAt: queued, a sender is picked
    fetched = carrier.fetch(message.sid)
    assert (fetched.status, fetched.from_) == ("queued", OURS)
    carrier.walk(1.0)
    fetched = carrier.fetch(message.sid)
    assert fetched.status == "delivered"
    assert fetched.date_sent == EPOCH + timedelta(minutes=10)  # 0.15 s later; RFC 2822 has seconds
    queued, sent, delivered = receiver.at("/status", message.sid)
    assert [queued.status, sent.status, delivered.status] == ["queued", "sent", "delivered"]
    for request in (queued, sent, delivered):
        assert request.params["MessagingServiceSid"] == service.sid
        assert request.params["From"] == OURS
    assert [s for s, _ in carrier.timeline(message.sid)] == [
        "scheduled",
        "queued",
        "sending",
        "sent",
        "delivered",
    ]


def test_one_big_clock_jump_runs_the_whole_lifecycle_at_its_own_times(carrier, receiver, service):
    message = _schedule(carrier, service)
    carrier.advance(3600)
    assert carrier.clock()["now"] == "2026-01-01T13:00:00Z"
    fetched = carrier.fetch(message.sid)
    assert fetched.status == "delivered"
    assert fetched.date_sent.replace(microsecond=0) == EPOCH + timedelta(minutes=10)
    assert sorted(receiver.statuses("/status", message.sid)) == ["delivered", "queued", "sent"]


def test_canceling_before_send_at(carrier, receiver, service):
    message = _schedule(carrier, service)
    carrier.advance(60)
    canceled = carrier.client.messages(message.sid).update(status="canceled")
    assert canceled.status == "canceled"
    carrier.settle()
    [callback] = receiver.at("/status", message.sid)
    assert callback.status == "canceled"
    assert callback.params["MessagingServiceSid"] == service.sid
    carrier.advance(3600)  # well past SendAt: nothing goes out
    assert carrier.status(message.sid) == "canceled"
    assert receiver.statuses("/status", message.sid) == ["canceled"]
    assert carrier.fetch(message.sid).date_sent is None
    # Canceling twice is canceling a message that is not scheduled.
    assert _code(lambda: carrier.client.messages(message.sid).update(status="canceled")) == 30409


def test_canceling_after_it_was_sent_is_30409(carrier, receiver, service):
    message = _schedule(carrier, service)
    carrier.advance(10 * 60 + 0.2)
    assert carrier.status(message.sid) == "sent"
    assert _code(lambda: carrier.client.messages(message.sid).update(status="canceled")) == 30409
    carrier.walk(1.0)
    assert carrier.status(message.sid) == "delivered"
    assert receiver.statuses("/status", message.sid) == ["queued", "sent", "delivered"]


def test_canceling_an_unscheduled_message_is_30409(carrier, receiver, service):
    message = carrier.send(from_=OURS)
    assert _code(lambda: carrier.client.messages(message.sid).update(status="canceled")) == 30409


def test_send_at_window_and_requirements(carrier, service):
    now = carrier.now()

    def schedule(**kwargs):
        return lambda: carrier.client.messages.create(to=HANDSET, body="later", **kwargs)

    too_soon = schedule(
        messaging_service_sid=service.sid,
        send_at=now + timedelta(minutes=1),
        schedule_type="fixed",
    )
    assert _code(too_soon) == 35115
    too_late = schedule(
        messaging_service_sid=service.sid,
        send_at=now + timedelta(days=36),
        schedule_type="fixed",
    )
    assert _code(too_late) == 35115
    no_service = schedule(from_=OURS, send_at=now + timedelta(minutes=10), schedule_type="fixed")
    assert _code(no_service) == 35118
    no_type = schedule(messaging_service_sid=service.sid, send_at=now + timedelta(minutes=10))
    assert _code(no_type) == 35111
    assert carrier.messages() == []


def test_the_window_follows_the_virtual_clock(carrier, receiver, service):
    """SendAt is judged against the server's (virtual) now, not the wall clock."""
    carrier.http.post("/_sim/clock", data={"Set": "2030-06-01T00:00:00Z"})
    message = _schedule(carrier, service, minutes=6)
    assert message.status == "scheduled"
    carrier.advance(6 * 60 + 1)
    assert carrier.status(message.sid) == "delivered"
