"""num_segments and price stay what creation counted, through the whole carrier lifecycle.

Smart Encoding (on by default for Messaging Services, or ``SmartEncoded=true``) turns the smart
quote and the long dash into GSM-7, so BODY is 2 GSM-7 segments; counted without it, it is 3
UCS-2 segments.
"""

from __future__ import annotations

from datetime import timedelta

OURS = "+15555550100"
HANDSET = "+15555550199"
BODY = "It’s here — " + "a" * 160  # 172 characters: GSM-7 2 segments, UCS-2 3
TWO_SEGMENTS = "-0.01580"


def _delivered(carrier, sid):
    carrier.walk(1.0)
    fetched = carrier.fetch(sid)
    assert fetched.status == "delivered"
    return fetched


def test_a_service_send_with_from_keeps_its_smart_encoded_count(carrier):
    service = carrier.service(carrier.number(OURS))
    created = carrier.send(messaging_service_sid=service.sid, body=BODY)
    assert created.num_segments == "2"
    fetched = _delivered(carrier, created.sid)
    assert (fetched.num_segments, fetched.price) == ("2", TWO_SEGMENTS)


def test_a_service_send_without_from_reports_0_until_its_sender_is_chosen(carrier):
    service = carrier.service(carrier.number(OURS))
    created = carrier.send(from_=None, messaging_service_sid=service.sid, body=BODY)
    assert (created.status, created.num_segments) == ("accepted", "0")
    fetched = _delivered(carrier, created.sid)
    assert (fetched.from_, fetched.num_segments, fetched.price) == (OURS, "2", TWO_SEGMENTS)


def test_smart_encoded_on_the_request_counts_when_the_service_has_it_off(carrier):
    service = carrier.service(carrier.number(OURS), smart_encoding=False)
    created = carrier.send(
        from_=None, messaging_service_sid=service.sid, body=BODY, smart_encoded=True
    )
    fetched = _delivered(carrier, created.sid)
    assert (fetched.num_segments, fetched.price) == ("2", TWO_SEGMENTS)


def test_without_smart_encoding_the_ucs2_count_stays(carrier):
    carrier.number(OURS)
    created = carrier.send(body=BODY)
    assert created.num_segments == "3"
    fetched = _delivered(carrier, created.sid)
    assert (fetched.num_segments, fetched.price) == ("3", "-0.02370")


def test_a_scheduled_send_keeps_its_count_when_due(carrier):
    service = carrier.service(carrier.number(OURS))
    created = carrier.send(
        messaging_service_sid=service.sid,
        body=BODY,
        send_at=carrier.now() + timedelta(minutes=10),
        schedule_type="fixed",
    )
    assert created.num_segments == "2"
    carrier.advance(600)
    fetched = _delivered(carrier, created.sid)
    assert (fetched.num_segments, fetched.price) == ("2", TWO_SEGMENTS)
