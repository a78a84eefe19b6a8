"""Per-sender throughput (docs/carrier.md): queues at Twilio's rates in virtual time, validity
periods (30036) and queue overflow (30001)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

OURS = "+15555550100"
OTHER = "+15555550101"
TOLL_FREE = "+18005550100"
HANDSET = "+15555550199"
EPOCH = datetime.fromisoformat("2026-01-01T12:00:00+00:00")


def _sent_seconds(carrier, messages) -> list[float]:
    """Seconds after the epoch at which each message was sent (RFC 2822: whole seconds)."""
    return [(carrier.fetch(m.sid).date_sent - EPOCH).total_seconds() for m in messages]


def test_without_throughput_everything_goes_at_once(carrier, receiver):
    carrier.number()
    messages = [carrier.send(body=f"burst {i}") for i in range(5)]
    carrier.advance(1)
    assert _sent_seconds(carrier, messages) == [0.0] * 5


def test_a_long_code_at_one_message_per_second(carrier, receiver):
    carrier.number()
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    messages = [carrier.send(body=f"queued {i}") for i in range(5)]
    carrier.advance(0.5)
    assert [carrier.status(m.sid) for m in messages].count("sent") == 1
    carrier.advance(1.0)  # t = 1.5
    assert [carrier.status(m.sid) for m in messages].count("queued") == 3
    carrier.advance(10)
    assert {carrier.status(m.sid) for m in messages} == {"delivered"}
    assert sorted(_sent_seconds(carrier, messages)) == [0.0, 1.0, 2.0, 3.0, 4.0]
    for message in messages:
        assert receiver.statuses("/status", message.sid) == ["sent", "delivered"]


def test_the_queue_is_first_in_first_out(carrier, receiver):
    carrier.number()
    carrier.scenario(**{"from": OURS, "mps": 1})
    messages = [carrier.send(body=f"fifo {i}") for i in range(5)]
    carrier.advance(10)
    assert _sent_seconds(carrier, messages) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_validity_period_expires_in_the_queue(carrier, receiver):
    carrier.number()
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    first = [carrier.send(body=f"queued {i}") for i in range(4)]
    carrier.advance(0.05)  # the four are in the sender's queue (slots at 0, 1, 2, 3 s)
    late = carrier.send(body="expires", validity_period=2)
    carrier.walk(5.0, step=0.25)
    fetched = carrier.fetch(late.sid)
    assert (fetched.status, fetched.error_code) == ("failed", 30036)
    assert fetched.date_sent is None
    [failed] = receiver.at("/status", late.sid)
    assert (failed.status, failed.params["ErrorCode"]) == ("failed", "30036")
    assert {carrier.status(m.sid) for m in first} == {"delivered"}


def test_validity_period_long_enough_is_kept(carrier, receiver):
    carrier.number()
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    [carrier.send(body=f"queued {i}") for i in range(3)]
    carrier.advance(0.05)
    patient = carrier.send(body="waits 3 s", validity_period=5)
    carrier.advance(10)
    assert carrier.status(patient.sid) == "delivered"


def test_a_scheduled_messages_validity_starts_at_send_at(carrier, receiver):
    """Bug (src/switchboard/timeline.py, Timeline._throttle): validity is counted from
    ``date_created``, so a message scheduled 10 minutes ahead with ValidityPeriod=60 fails
    30036 the moment it is due, although domain/lifecycle.py documents that "a scheduled
    message's validity only starts at SendAt" (and on Twilio the period bounds the time it
    may wait in the queue)."""
    service = carrier.service(carrier.number())
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    message = carrier.send(
        from_=None,
        messaging_service_sid=service.sid,
        send_at=carrier.now() + timedelta(minutes=10),
        schedule_type="fixed",
        validity_period=60,
    )
    assert message.status == "scheduled"
    carrier.advance(10 * 60 + 5)
    fetched = carrier.fetch(message.sid)
    assert (fetched.status, fetched.error_code) == ("delivered", None)
    assert receiver.statuses("/status", message.sid) == ["queued", "sent", "delivered"]


def test_a_services_validity_period_applies_to_its_messages(carrier, receiver):
    """A Messaging Service's ``validity_period`` is how long messages sent through it stay
    valid (Twilio's Service resource; SPEC §7.2).

    Bug (src/switchboard/services/messages.py, MessageService.create): only the request's
    ValidityPeriod is stored on the message; the service's is ignored, so nothing expires.
    """
    service = carrier.service(carrier.number(), validity_period=2)
    assert service.validity_period == 2
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    messages = [
        carrier.send(from_=None, messaging_service_sid=service.sid, body=f"svc {i}")
        for i in range(5)
    ]
    carrier.advance(10)
    outcomes = [(carrier.status(m.sid), carrier.fetch(m.sid).error_code) for m in messages]
    # Slots start at 0.05 s and 1.05 s; the rest would wait past 2 s and expire.
    assert sorted(outcomes, key=str) == sorted(
        [("delivered", None)] * 2 + [("failed", 30036)] * 3, key=str
    )


def test_segments_take_one_slot_each(carrier, receiver):
    carrier.number()
    carrier.scenario(**{"from": OURS, "mps": 1})
    long = carrier.send(body="x" * 400)  # 3 segments
    carrier.advance(0.05)
    short = carrier.send(body="next")
    carrier.advance(10)
    assert _sent_seconds(carrier, [long, short]) == [0.0, 3.0]


def test_each_sender_has_its_own_queue(carrier, receiver):
    carrier.number(OURS)
    carrier.number(OTHER)
    carrier.scenario(**{"from": "+1555*", "mps": 1})
    ours = [carrier.send(from_=OURS, body=f"a{i}") for i in range(3)]
    other = [carrier.send(from_=OTHER, body=f"b{i}") for i in range(3)]
    carrier.advance(10)
    assert sorted(_sent_seconds(carrier, ours)) == [0.0, 1.0, 2.0]
    assert sorted(_sent_seconds(carrier, other)) == [0.0, 1.0, 2.0]


def test_queue_overflow_fails_with_30001(carrier, receiver):
    """The queue holds 4 hours of backlog: at 1 message per 1000 s that is 15 messages."""
    carrier.number()
    carrier.scenario(**{"from": OURS, "mps": 0.001})
    messages = []
    for i in range(16):
        messages.append(carrier.send(body=f"backlog {i}"))
        carrier.advance(0.05)  # each is queued before the next is created (in order)
    last = carrier.fetch(messages[-1].sid)
    assert (last.status, last.error_code) == ("failed", 30001)
    [failed] = receiver.at("/status", last.sid)
    assert (failed.status, failed.params["ErrorCode"]) == ("failed", "30001")
    assert all(carrier.status(m.sid) in ("queued", "sent", "delivered") for m in messages[:-1])
    carrier.advance(4 * 3600)
    assert {carrier.status(m.sid) for m in messages[:15]} == {"delivered"}


def test_default_rates_with_throughput_on(make_carrier, receiver):
    carrier = make_carrier(throughput=True)
    carrier.number(OURS)
    carrier.number(TOLL_FREE)
    long_code = [carrier.send(from_=OURS, body=f"lc {i}") for i in range(3)]
    toll_free = [carrier.send(from_=TOLL_FREE, body=f"tf {i}") for i in range(6)]
    carrier.advance(10)
    assert sorted(_sent_seconds(carrier, long_code)) == [0.0, 1.0, 2.0]
    # 3 per second: sent at 0.15, 0.48, 0.82, 1.15, 1.48, 1.82 s.
    assert Counter(_sent_seconds(carrier, toll_free)) == {0.0: 3, 1.0: 3}
    sent_at = sorted(
        datetime.fromisoformat(at.replace("Z", "+00:00"))
        for m in toll_free
        for status, at in carrier.timeline(m.sid)
        if status == "sent"
    )
    assert sent_at[-1] - sent_at[0] < timedelta(seconds=2)


def test_a_scenario_rate_overrides_the_default(make_carrier, receiver):
    carrier = make_carrier(throughput=True)
    carrier.number(TOLL_FREE)
    carrier.scenario(**{"from": TOLL_FREE, "mps": 0.5})
    messages = [carrier.send(from_=TOLL_FREE, body=f"slow {i}") for i in range(3)]
    carrier.advance(10)
    assert sorted(_sent_seconds(carrier, messages)) == [0.0, 2.0, 4.0]
