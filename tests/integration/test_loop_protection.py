"""Loop protection on a live server (SPEC §4.5, 14107): a bot that answers every text, texted
31 times in quick succession, has its 31st reply failed with 14107 (announced to its status
callback, noted on the webhook attempt, not charged); 30 s later replies go again. The server
runs ``serve``'s defaults on a controllable clock; ``loop_protection=False`` turns it off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.clock import ControllableClock
from switchboard.config import Config
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, live_server

SERVE_DEFAULTS = Config(
    database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN
)


@pytest.fixture
def config() -> Config:
    return SERVE_DEFAULTS


@pytest.fixture
def server(config: Config) -> Iterator[LiveServer]:  # the integration fixtures' server, overridden
    with live_server(config, clock=ControllableClock()) as running:
        yield running


def text_and_settle(sim: Any, body: str) -> dict[str, Any]:
    """Text the bot and wait for its exchange; returns the reply (each exchange in turn, so the
    replies are stored in order)."""
    inbound = sim.inbound(body)
    state = sim.settled(inbound["sid"], replies=1)
    [reply] = state["replies"]
    return {**reply, "webhooks": state["webhooks"]}


def test_the_31st_quick_reply_fails_with_14107_until_30_seconds_pass(
    sim: Any, receiver: Any, twiml: Any, server: LiveServer
) -> None:
    assert server.config.loop_protection  # serve's default
    receiver.route("/sms", twiml.message("pong"))
    sim.number(sms_url=receiver.url("/sms"))

    first_30 = [text_and_settle(sim, f"ping {i}") for i in range(30)]
    assert [reply["error_code"] for reply in first_30] == [None] * 30

    # The 31st reply, with a status callback: stored failed, announced, noted, not charged.
    receiver.route("/sms", twiml.message("pong", status_callback=receiver.url("/status")))
    held = text_and_settle(sim, "ping 31")
    assert (held["status"], held["error_code"]) == ("failed", 14107)
    [callback] = receiver.wait("/status")
    assert callback.params["MessageStatus"] == "failed"
    assert callback.params["ErrorCode"] == "14107"
    assert callback.params["MessageSid"] == held["sid"]
    [attempt] = held["webhooks"]
    assert attempt["error_code"] is None  # a warning: the app's webhook itself worked
    assert "warning 14107" in attempt["error_detail"]
    fetched = sim.client.messages(held["sid"]).fetch()
    assert (fetched.status, fetched.error_code, fetched.price) == ("failed", 14107, None)

    receiver.route("/sms", twiml.message("pong"))
    assert text_and_settle(sim, "ping 32")["error_code"] == 14107  # still held
    server.advance(30)  # 30 s after the first held reply
    assert text_and_settle(sim, "ping 33")["error_code"] is None
    sim.status(first_30[0]["sid"], "delivered")  # the ones that went were sent and charged
    assert sim.client.messages(first_30[0]["sid"]).fetch().price is not None


@pytest.mark.parametrize("config", [dataclasses.replace(SERVE_DEFAULTS, loop_protection=False)])
def test_switched_off_every_reply_goes(sim: Any, receiver: Any, twiml: Any) -> None:
    receiver.route("/sms", twiml.message("pong"))
    sim.number(sms_url=receiver.url("/sms"))
    replies = [text_and_settle(sim, f"ping {i}") for i in range(31)]
    assert [reply["error_code"] for reply in replies] == [None] * 31
