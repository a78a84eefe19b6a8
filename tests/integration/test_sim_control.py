"""The ``/_sim`` control plane as the webhook tests rely on it."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

OURS = "+14155550100"
WAVES = 5
POLLERS = 12


def test_exchange_never_reports_done_before_its_attempts_are_visible(sim, receiver, twiml):
    """``webhook_pending: false`` promises the exchange is complete, so any snapshot that
    says so must show the attempt and the reply. Many exchanges run at once, each watched
    by its own poller, to catch snapshots taken while webhook jobs are being committed."""
    # A short think time keeps every exchange of a wave in flight while all are polled.
    receiver.route("/sms", dataclasses.replace(twiml.message("pong"), delay=0.15))
    sim.number(OURS, sms_url=receiver.url("/sms"))

    def watch(sid: str) -> bool:
        """True when a snapshot said 'done' without the exchange's attempt or reply."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = sim.exchange(sid)
            if not state["webhook_pending"]:
                return not state["webhooks"] or not state["replies"]
        raise AssertionError(f"{sid} stayed pending")

    inconsistent = []
    with ThreadPoolExecutor(POLLERS) as pool:
        for wave in range(WAVES):
            sids = [sim.inbound(f"ping {wave}.{i}")["sid"] for i in range(POLLERS)]
            inconsistent += [
                sid for sid, bad in zip(sids, pool.map(watch, sids), strict=True) if bad
            ]
    assert inconsistent == [], (
        f"{len(inconsistent)} of {WAVES * POLLERS} exchanges were reported with "
        "webhook_pending=false before their attempts/replies were visible"
    )


def test_webhook_log_filters_by_message(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    first = sim.inbound("one")["sid"]
    second = sim.inbound("two")["sid"]
    sim.settled(first)
    sim.settled(second)
    assert {a["message_sid"] for a in sim.webhooks(first)} == {first}
    assert {a["message_sid"] for a in sim.webhooks(second)} == {second}
    assert {first, second} <= {a["message_sid"] for a in sim.webhooks()}


def test_reset_clears_messages_and_keeps_numbers(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sid = sim.inbound("before reset")["sid"]
    sim.settled(sid)
    response = sim.http.post("/_sim/reset")
    assert response.status_code == 200, response.text
    assert sim.webhooks() == []
    assert sim.http.get(f"/_sim/messages/{sid}").status_code == 404
    again = sim.inbound("after reset")["sid"]
    assert len(sim.settled(again)["webhooks"]) == 1
