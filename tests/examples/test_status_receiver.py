"""The status-callback receiver (examples/status_receiver) against switchboard's carrier chaos:
duplicated callbacks, out-of-order callbacks, lost delivery receipts and lost callbacks."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs

import pytest
import receiver as example
from receiver import StatusReceiver

from switchboard.domain.lifecycle import MessageStatus, should_apply

HANDSET = "+15555550199"
HOUR = 3600.0


class Clock:
    """The app's clock, moved by hand alongside switchboard's virtual one."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(switchboard, tmp_path, clock) -> StatusReceiver:
    """The receiver, its Flask app mounted in-process (no port), on its own SQLite file."""
    receiver = StatusReceiver(
        switchboard.client, switchboard.auth_token, str(tmp_path / "status.db"), clock=clock
    )
    receiver.callback_url = switchboard.mount(receiver.app) + "/status"
    return receiver


@pytest.fixture
def number(switchboard) -> str:
    """The number the app sends from."""
    return switchboard.number()


def walk(switchboard, seconds: float, step: float = 0.1) -> None:
    """Advance in small steps, so callbacks due at different times arrive in that order
    (callbacks due at the same instant are concurrent requests, as on Twilio)."""
    for _ in range(round(seconds / step)):
        switchboard.advance(step)


def callbacks(switchboard, sid: str) -> list[dict]:
    """The status callbacks switchboard sent for ``sid``, in the order they were sent."""
    return [a for a in switchboard.webhooks(sid) if a["kind"] == "status_callback"]


def reported(switchboard, sid: str) -> list[str]:
    """The ``MessageStatus`` of each of those callbacks."""
    return [parse_qs(a["request"]["body"])["MessageStatus"][0] for a in callbacks(switchboard, sid)]


def test_send_stores_the_sid_and_initial_status_then_callbacks_move_it(switchboard, app, number):
    sid = app.send(to=HANDSET, from_=number, body="Your order shipped")
    assert app.log.get(sid).status == "queued"  # before any callback: the proof it exists
    walk(switchboard, 1)
    assert app.log.get(sid).status == "delivered"
    assert app.log.events(sid) == [
        ("queued", "api", True),
        ("sent", "callback", True),
        ("delivered", "callback", True),
    ]
    assert [a["response"]["status"] for a in callbacks(switchboard, sid)] == [204, 204]


def test_a_messaging_service_send_starts_accepted(switchboard, app, number):
    service = switchboard.client.messaging.v1.services.create(friendly_name="orders")
    phone = switchboard.client.incoming_phone_numbers.list(phone_number=number)[0]
    switchboard.client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=phone.sid
    )
    sid = app.send(to=HANDSET, messaging_service_sid=service.sid, body="via the pool")
    # The service picks a sender at once, so the `queued` callback may even beat the create
    # call's answer; either way the record never goes back from `queued` to `accepted`.
    assert app.log.get(sid).status in ("accepted", "queued")
    walk(switchboard, 1)
    assert reported(switchboard, sid) == ["queued", "sent", "delivered"]
    assert app.log.get(sid).status == "delivered"
    assert [event[:2] for event in app.log.events(sid)].count(("accepted", "api")) == 1


def test_duplicate_callbacks_are_recorded_once(switchboard, app, number):
    switchboard.scenario(chaos={"duplicate": 1.0})
    sid = app.send(to=HANDSET, from_=number, body="twice")
    walk(switchboard, 1)
    assert sorted(reported(switchboard, sid)) == ["delivered", "delivered", "sent", "sent"]
    assert app.log.get(sid).status == "delivered"
    assert app.log.events(sid) == [  # the second copy of each was not even logged again
        ("queued", "api", True),
        ("sent", "callback", True),
        ("delivered", "callback", True),
    ]


def test_a_late_sent_never_moves_delivered_back(switchboard, app, number):
    switchboard.scenario(chaos={"reorder": 1.0})
    sid = app.send(to=HANDSET, from_=number, body="out of order")
    switchboard.advance(1)  # delivered is reported; sent is held back
    assert app.log.get(sid).status == "delivered"
    switchboard.advance(2)  # ... and arrives now
    assert reported(switchboard, sid) == ["delivered", "sent"]
    assert app.log.get(sid).status == "delivered"
    assert app.log.events(sid)[-1] == ("sent", "callback", False)


def test_failures_are_final_and_keep_their_error_code(switchboard, app, number):
    switchboard.scenario(outcome="undelivered", error_code=30005, chaos={"duplicate": 1.0})
    sid = app.send(to=HANDSET, from_=number, body="nobody there")
    switchboard.advance(5)
    record = app.log.get(sid)
    assert (record.status, record.error_code) == ("undelivered", 30005)
    assert app.log.report(sid, "delivered") == "ignored"
    assert app.log.get(sid).status == "undelivered"


def test_reconcile_fetches_messages_whose_receipt_never_came(switchboard, app, number, clock):
    switchboard.scenario(to="+1555555029?", chaos={"drop_receipt": 1.0})
    lost = app.send(to="+15555550299", from_=number, body="receipt lost")
    fine = app.send(to=HANDSET, from_=number, body="delivered")
    switchboard.advance(5)
    clock.now += 1 * HOUR
    switchboard.advance(HOUR)
    assert app.log.get(lost).status == "sent"
    assert app.log.get(fine).status == "delivered"
    assert app.reconcile(max_age_seconds=12 * HOUR) == {}  # too young to worry about
    clock.now += 12 * HOUR
    assert app.reconcile(max_age_seconds=12 * HOUR) == {lost: "sent"}  # fetched, still unknown
    assert app.log.events(lost)[-1] == ("sent", "api", False)


def proxy_down(environ, start_response):
    """The receiver's proxy during an outage: every callback gets a 503 and is lost."""
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"down for maintenance"]


@pytest.mark.switchboard(allow_webhook_errors=True)
def test_reconcile_recovers_lost_callbacks(switchboard, number, tmp_path, clock):
    app = StatusReceiver(
        switchboard.client, switchboard.auth_token, str(tmp_path / "status.db"), clock=clock
    )
    app.callback_url = switchboard.mount(proxy_down) + "/status"
    sid = app.send(to=HANDSET, from_=number, body="callbacks lost")
    switchboard.advance(5)
    assert {a["error_code"] for a in callbacks(switchboard, sid)} == {11200}
    assert app.log.get(sid).status == "queued"
    clock.now += 13 * HOUR
    assert app.reconcile(max_age_seconds=12 * HOUR) == {sid: "delivered"}
    assert app.reconcile(max_age_seconds=12 * HOUR) == {}  # settled: never fetched again


def test_unsigned_or_forged_callbacks_are_refused(app, number):
    sid = app.send(to=HANDSET, from_=number, body="hi")
    web = app.app.test_client()
    form = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30008"}
    assert web.post("/status", data=form).status_code == 403
    forged = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert web.post("/status", data=form, headers=forged).status_code == 403
    assert app.log.get(sid).status == "queued"


def test_a_callback_before_the_create_answer_is_kept(app):
    # With a Messaging Service the `queued` callback can race the create call's answer.
    assert app.log.report("SM" + "1" * 32, "queued", source="callback", token="t1") == "applied"
    assert app.log.report("SM" + "1" * 32, "accepted") == "ignored"
    assert app.log.get("SM" + "1" * 32).status == "queued"


def test_the_flask_commands(switchboard, app, number):
    cli = app.app.test_cli_runner()
    sent = cli.invoke(args=["send", "--to", HANDSET, "--from", number, "hello"])
    assert sent.exit_code == 0, sent.output
    sid, status = sent.output.split()
    assert status == "queued"
    walk(switchboard, 1)
    listed = cli.invoke(args=["messages"]).output
    assert listed.split() == [
        sid,
        "delivered",
        "queued(api)",
        "sent(callback)",
        "delivered(callback)",
    ]
    assert cli.invoke(args=["reconcile", "--max-age", "0"]).output == ""  # all settled


def test_configured_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID"):
        example.create_app()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "5" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret")
    monkeypatch.setenv("TWILIO_API_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("STATUS_CALLBACK_URL", "http://127.0.0.1:5001/status")
    monkeypatch.setenv("STATUS_DATABASE", str(tmp_path / "env.db"))
    receiver = example.from_environment()
    assert receiver.client.api.base_url == "http://127.0.0.1:8080"
    assert receiver.callback_url == "http://127.0.0.1:5001/status"
    assert (tmp_path / "env.db").exists()


def test_the_example_table_agrees_with_switchboards_lifecycle():
    statuses = [status.value for status in MessageStatus]
    assert set(example.PRECEDENCE) == set(statuses)
    for current, incoming in itertools.product([None, *statuses], statuses):
        expected = should_apply(None if current is None else MessageStatus(current), incoming)
        assert example.should_apply(current, incoming) is expected, (current, incoming)
