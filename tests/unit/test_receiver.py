"""The public test receiver: recording, signature checking, programmed answers, waiting."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from twilio.request_validator import RequestValidator

from switchboard.receiver import Reply, Request
from switchboard.testing import TEST_AUTH_TOKEN, TestReceiver


@pytest.fixture
def receiver() -> Iterator[TestReceiver]:
    with TestReceiver(TEST_AUTH_TOKEN).start() as running:
        yield running


def signed_post(url: str, params: dict[str, str], token: str = TEST_AUTH_TOKEN) -> httpx.Response:
    signature = RequestValidator(token).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature})


def test_records_requests_and_checks_their_signatures(receiver: TestReceiver) -> None:
    url = receiver.url("/sms?x=1")
    assert signed_post(url, {"MessageSid": "SM1", "Body": "hi"}).status_code == 200
    assert signed_post(url, {"MessageSid": "SM2"}, token="another-token").status_code == 200
    httpx.get(receiver.url("/plain"))

    good, forged, plain = receiver.requests
    assert (good.method, good.path, good.query, good.sid) == ("POST", "/sms", {"x": "1"}, "SM1")
    assert good.params["Body"] == "hi"
    assert good.signature_valid
    assert not forged.signature_valid
    assert not plain.signature_valid
    assert receiver.invalid_signatures() == [forged, plain]
    with pytest.raises(AssertionError, match="invalid X-Twilio-Signature"):
        receiver.check_signatures()


def test_routes_answer_as_programmed_and_lists_are_served_in_turn(
    receiver: TestReceiver,
) -> None:
    receiver.route("/twiml", "<Response><Message>hi</Message></Response>")
    receiver.route("/turns", [Reply(status=503), Reply(status=201, headers={"X-Turn": "2"})])
    receiver.route("/echo", lambda request: Reply(body=request.params["Body"], content_type=None))

    assert httpx.get(receiver.url("/twiml")).text == "<Response><Message>hi</Message></Response>"
    assert [httpx.post(receiver.url("/turns")).status_code for _ in range(3)] == [503, 201, 201]
    assert httpx.post(receiver.url("/turns")).headers["X-Turn"] == "2"
    assert httpx.post(receiver.url("/echo"), data={"Body": "back"}).text == "back"
    assert "<Response" in httpx.post(receiver.url("/unprogrammed")).text
    # A request's end is recorded once its answer is written, which the client may read first.
    receiver.wait_for(
        lambda requests: all(r.end == "answered" for r in requests),
        what="every request recorded as answered",
    )


def test_wait_for_returns_as_soon_as_the_condition_holds(receiver: TestReceiver) -> None:
    def later() -> None:
        httpx.post(receiver.url("/status"), data={"MessageStatus": "sent"})
        httpx.post(receiver.url("/status"), data={"MessageStatus": "delivered"})

    threading.Thread(target=later).start()
    arrived = receiver.wait("/status", 2)
    assert [r.status for r in arrived] == ["sent", "delivered"]
    assert receiver.statuses("/status") == ["sent", "delivered"]
    with pytest.raises(AssertionError, match="timed out"):
        receiver.wait_for(lambda requests: len(requests) > 2, timeout=0.1)


def test_a_client_leaving_a_held_answer_is_recorded_as_aborted(receiver: TestReceiver) -> None:
    receiver.route("/slow", delay=30)
    with socket.create_connection(("127.0.0.1", receiver.port)) as conn:
        conn.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        receiver.wait("/slow")

    def ended(requests: list[Request]) -> str | None:
        return requests[0].end

    assert receiver.wait_for(ended, timeout=5) == "aborted"


def test_keep_alive_requests_do_not_wait_for_delayed_acks(receiver: TestReceiver) -> None:
    """Nagle's algorithm off: 50 requests on one connection take far less than 50 x 40 ms."""
    with httpx.Client() as client:
        client.post(receiver.url("/warm"))
        started = time.perf_counter()
        for _ in range(50):
            client.post(receiver.url("/sms"), data={"Body": "x" * 100})
        elapsed = time.perf_counter() - started
    assert elapsed < 1.5, elapsed
