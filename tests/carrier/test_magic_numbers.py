"""Twilio's magic test numbers (docs/carrier.md): honoured on every account, through the SDK."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

OURS = "+15555550100"
HANDSET = "+15555550199"

TO_ERRORS = {
    "+15005550001": 21211,  # invalid number
    "+15005550002": 21612,  # cannot be routed
    "+15005550003": 21408,  # no permission for the region
    "+15005550004": 21610,  # blocked (opted out)
    "+15005550009": 21614,  # cannot receive SMS
}
FROM_ERRORS = {
    "+15005550001": 21212,  # invalid sender
    "+15005550007": 21606,  # not owned by the account
    "+15005550008": 21611,  # the sender's queue is full
}


def _error(call) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value


def test_magic_recipients_fail_at_create(carrier, receiver):
    carrier.number()
    for to, code in TO_ERRORS.items():
        error = _error(lambda to=to: carrier.send(to=to))
        assert (error.status, error.code) == (400, code), to
    # Also through a Messaging Service (the recipient is checked first of all).
    service = carrier.service(carrier.client.incoming_phone_numbers.list()[0])
    for to, code in TO_ERRORS.items():
        error = _error(
            lambda to=to: carrier.send(to=to, from_=None, messaging_service_sid=service.sid)
        )
        assert error.code == code, to
    assert carrier.messages() == []  # nothing was created
    carrier.advance(10)
    assert receiver.requests == []


def test_magic_senders_fail_at_create(carrier, receiver):
    carrier.number()
    for from_, code in FROM_ERRORS.items():
        error = _error(lambda from_=from_: carrier.send(from_=from_))
        assert (error.status, error.code) == (400, code), from_
    assert carrier.messages() == []
    assert receiver.requests == []


def test_magic_recipient_wins_over_a_magic_sender(carrier):
    error = _error(lambda: carrier.send(to="+15005550002", from_="+15005550001"))
    assert error.code == 21612


def test_the_always_valid_sender_needs_no_number(carrier, receiver):
    assert carrier.client.incoming_phone_numbers.list() == []
    message = carrier.send(from_="+15005550006", body="from the test number")
    assert (message.status, message.from_) == ("queued", "+15005550006")
    carrier.walk(1.0)
    fetched = carrier.fetch(message.sid)
    assert fetched.status == "delivered"
    sent, delivered = receiver.at("/status", message.sid)
    assert (sent.status, delivered.status) == ("sent", "delivered")
    assert delivered.params["From"] == "+15005550006"
