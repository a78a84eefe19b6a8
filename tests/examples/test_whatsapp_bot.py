"""The WhatsApp delivery bot (examples/whatsapp_bot), end to end: the bot runs on a real HTTP
server, switchboard's pytest plugin plays WhatsApp, the handset and the clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import bot
import pytest
from werkzeug.serving import make_server

OURS = "whatsapp:+15005550006"
HANDSET = "whatsapp:+15555550123"


class RunningBot:
    def __init__(self, auth_token: str) -> None:
        self.app = bot.create_app(auth_token=auth_token)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def statuses(self) -> list[tuple[str, str, str | None]]:
        return list(self.app.config["STATUSES"])

    @property
    def taps(self) -> list[dict[str, str]]:
        return list(self.app.config["TAPS"])

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture
def running_bot(switchboard: Any) -> Iterator[RunningBot]:
    running = RunningBot(switchboard.auth_token)
    switchboard.number(f"{running.url}/whatsapp")
    yield running
    running.stop()


def _notify(switchboard: Any, running: RunningBot, content_sid: str, order: str) -> Any:
    return bot.notify(
        switchboard.client, content_sid=content_sid, to=HANDSET, from_=OURS, name="Ada",
        order=order, callback=f"{running.url}/status",
    )  # fmt: skip


def test_template_tap_window_and_approved_template(switchboard: Any, running_bot: RunningBot):
    content_sid = bot.setup_template(switchboard.client)

    # An approved template opens the conversation: the user never wrote.
    sent = _notify(switchboard, running_bot, content_sid, "A-7")
    assert sent.body == "Hi Ada, your order A-7 arrives tomorrow. Will you be home?"
    switchboard.advance(1)
    assert switchboard.client.messages(sent.sid).fetch().status == "delivered"
    assert (sent.sid, "delivered", None) in running_bot.statuses

    # The user taps "Yes": the bot gets the signed webhook with the button fields and answers.
    replies = switchboard.tap(sent.sid, "home_yes")
    assert replies.bodies == [bot.CONFIRMED]
    assert (replies[0].to, replies[0].from_) == (HANDSET, OURS)
    [tap] = running_bot.taps
    assert tap == {
        "ButtonPayload": "home_yes",
        "ButtonText": "Yes",
        "ButtonType": "REPLY",
        "OriginalRepliedMessageSid": sent.sid,
        "OriginalRepliedMessageSender": OURS,
    }
    incoming = [a for a in switchboard.webhooks() if a["kind"] == "incoming"]
    assert incoming[-1]["request"]["headers"]["X-Twilio-Signature"]
    assert "Body=Yes" in incoming[-1]["request"]["body"]

    # A day later, a free-form message is outside the window: 63016, and its status callback.
    switchboard.advance(25 * 3600)
    late = switchboard.client.messages.create(
        to=HANDSET, from_=OURS, body="Still there?", status_callback=f"{running_bot.url}/status"
    )
    assert late.status == "queued"
    switchboard.advance(1)
    failed = switchboard.client.messages(late.sid).fetch()
    assert (failed.status, failed.error_code) == ("failed", 63016)
    assert (late.sid, "failed", "63016") in running_bot.statuses

    # The approved template still goes through.
    again = _notify(switchboard, running_bot, content_sid, "A-8")
    switchboard.advance(1)
    assert switchboard.client.messages(again.sid).fetch().status == "delivered"

    # The user writes: the window opens again for free-form messages.
    assert switchboard.whatsapp("Friday?").bodies == [bot.HELP]
    reopened = switchboard.client.messages.create(to=HANDSET, from_=OURS, body="Friday it is.")
    switchboard.advance(1)
    assert switchboard.client.messages(reopened.sid).fetch().status == "delivered"


def test_unknown_buttons_are_refused(switchboard: Any, running_bot: RunningBot):
    content_sid = bot.setup_template(switchboard.client)
    sent = _notify(switchboard, running_bot, content_sid, "A-7")
    with pytest.raises(AssertionError, match="home_maybe"):
        switchboard.tap(sent.sid, "home_maybe")
    plain = switchboard.client.messages.create(
        to=HANDSET, from_=OURS, content_sid=content_sid, content_variables='{"1": "A", "2": "B"}'
    )
    assert switchboard.tap(plain.sid, "home_no").bodies == [bot.RESCHEDULE]
    assert running_bot.taps[-1]["ButtonText"] == "Reschedule"


@pytest.mark.switchboard(content_approval="manual")
def test_a_template_waiting_for_approval_cannot_open_a_conversation(
    switchboard: Any, running_bot: RunningBot
):
    content_sid = bot.setup_template(switchboard.client)
    approval = switchboard.client.content.v1.contents(content_sid).approval_fetch().fetch()
    assert approval.whatsapp["status"] == "received"
    early = _notify(switchboard, running_bot, content_sid, "A-1")
    switchboard.advance(1)
    assert switchboard.client.messages(early.sid).fetch().error_code == 63016

    switchboard.approve(content_sid)
    approved = _notify(switchboard, running_bot, content_sid, "A-2")
    switchboard.advance(1)
    assert switchboard.client.messages(approved.sid).fetch().status == "delivered"


def test_jump_past_window(switchboard: Any, running_bot: RunningBot):
    switchboard.whatsapp("hi")
    inside = switchboard.client.messages.create(to=HANDSET, from_=OURS, body="Hello!")
    switchboard.advance(1)
    assert switchboard.client.messages(inside.sid).fetch().status == "delivered"
    switchboard.jump_past_window()
    outside = switchboard.client.messages.create(to=HANDSET, from_=OURS, body="Hello again!")
    switchboard.advance(1)
    assert switchboard.client.messages(outside.sid).fetch().error_code == 63016


def test_the_tutorials_in_process_version(switchboard: Any):
    """docs/whatsapp.md section 6, as written there: the bot mounted in-process."""
    switchboard.number(bot.create_app(auth_token=switchboard.auth_token), path="/whatsapp")
    content_sid = bot.setup_template(switchboard.client)
    sent = switchboard.client.messages.create(
        to="whatsapp:+15555550123", from_="whatsapp:+15005550006",
        content_sid=content_sid, content_variables='{"1": "Ada", "2": "A-7"}',
    )  # fmt: skip
    assert switchboard.tap(sent.sid, "home_yes").bodies == ["Great, see you tomorrow!"]

    switchboard.jump_past_window()
    late = switchboard.client.messages.create(
        to="whatsapp:+15555550123", from_="whatsapp:+15005550006", body="Still there?"
    )
    switchboard.advance(1)
    assert switchboard.client.messages(late.sid).fetch().error_code == 63016


def test_template_helper_and_reject(switchboard: Any):
    sid = switchboard.template({"twilio/text": {"body": "Hello there"}}, friendly_name="hello")
    switchboard.reject(sid, "Too short")
    whatsapp = switchboard.client.content.v1.contents(sid).approval_fetch().fetch().whatsapp
    assert (whatsapp["status"], whatsapp["rejection_reason"]) == ("rejected", "Too short")
