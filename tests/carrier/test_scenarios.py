"""Carrier scenarios (docs/carrier.md): outcomes, error codes, delays, matching, validation.

Each test sends through the official SDK to a server on a virtual clock, moves the clock with
``POST /_sim/clock`` and checks both the Message resource and the status callbacks a real
receiver got (signatures validated by the ``receiver`` fixture).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

OURS = "+15555550100"
OTHER = "+15555550101"
HANDSET = "+15555550199"
RAW_DLR_DONE_DATE = re.compile(r"^\d{10}$")
EPOCH = datetime.fromisoformat("2026-01-01T12:00:00+00:00")


def _iso(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def test_the_clock_starts_frozen_and_moves_only_when_told(carrier):
    assert carrier.clock() == {"now": "2026-01-01T12:00:00Z", "frozen": True}
    state = carrier.advance(90)
    assert state == {"now": "2026-01-01T12:01:30Z", "frozen": True}
    assert carrier.clock()["now"] == "2026-01-01T12:01:30Z"
    response = carrier.http.post("/_sim/clock", data={"Set": "2026-01-02T00:00:00Z"})
    assert response.json() == {"now": "2026-01-02T00:00:00Z", "frozen": True}
    backwards = carrier.http.post("/_sim/clock", data={"Set": "2026-01-01T00:00:00Z"})
    assert backwards.status_code == 400
    assert backwards.json()["code"] == 21000
    assert carrier.http.post("/_sim/clock", data={"Advance": "-1"}).json()["code"] == 21000
    assert carrier.http.post("/_sim/clock", data={"Advance": "soon"}).json()["code"] == 21000


def test_default_scenario_delivers_with_sent_then_delivered_callbacks(carrier, receiver):
    carrier.number()
    message = carrier.send(body="default path")
    assert message.status == "queued"
    assert carrier.status(message.sid) == "queued"  # nothing happens while time stands still
    carrier.walk(1.0)
    fetched = carrier.fetch(message.sid)
    assert fetched.status == "delivered"
    assert fetched.error_code is None
    assert fetched.date_sent is not None
    assert [s for s, _ in carrier.timeline(message.sid)] == [
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    sent, delivered = receiver.at("/status", message.sid)
    assert (sent.status, delivered.status) == ("sent", "delivered")
    for request in (sent, delivered):
        assert request.signature_valid
        assert request.params["SmsStatus"] == request.status
        assert request.params["From"] == OURS
        assert request.params["To"] == HANDSET
        assert request.params["AccountSid"] == carrier.server.account.sid
        assert "ErrorCode" not in request.params
    assert "RawDlrDoneDate" not in sent.params
    assert RAW_DLR_DONE_DATE.match(delivered.params["RawDlrDoneDate"])


def test_undelivered_with_error_codes(carrier, receiver):
    carrier.number()
    codes = {"+15555550201": 30003, "+15555550202": 30005, "+15555550203": 30006,
             "+15555550204": 30007, "+15555550205": None}  # fmt: skip
    for to, code in codes.items():
        rule = {"to": to, "outcome": "undelivered"}
        carrier.scenario(**rule if code is None else {**rule, "error_code": code})
    messages = {to: carrier.send(to=to) for to in codes}
    carrier.walk(1.0)
    for to, code in codes.items():
        expected = code or 30003  # the default for undelivered
        sid = messages[to].sid
        fetched = carrier.fetch(sid)
        assert (fetched.status, fetched.error_code) == ("undelivered", expected)
        assert fetched.error_message
        assert fetched.date_sent is not None  # it was sent; the receipt said undelivered
        sent, undelivered = receiver.at("/status", sid)
        assert sent.status == "sent"
        assert "ErrorCode" not in sent.params
        assert undelivered.status == "undelivered"
        assert undelivered.params["ErrorCode"] == str(expected)
        assert RAW_DLR_DONE_DATE.match(undelivered.params["RawDlrDoneDate"])


def test_failed_happens_before_sent_with_only_a_failed_callback(carrier, receiver):
    carrier.number()
    codes = {"+15555550201": None, "+15555550202": 30008, "+15555550203": 30004}
    for to, code in codes.items():
        rule: dict[str, Any] = {"to": to, "outcome": "failed"}
        carrier.scenario(**rule if code is None else {**rule, "error_code": code})
    messages = {to: carrier.send(to=to) for to in codes}
    carrier.walk(1.0)
    for to, code in codes.items():
        expected = code or 30008  # the default for failed
        sid = messages[to].sid
        fetched = carrier.fetch(sid)
        assert (fetched.status, fetched.error_code) == ("failed", expected)
        assert fetched.date_sent is None  # never left
        assert fetched.price is None
        assert [s for s, _ in carrier.timeline(sid)] == ["queued", "failed"]
        [failed] = receiver.at("/status", sid)
        assert failed.status == "failed"
        assert failed.params["ErrorCode"] == str(expected)
        assert "RawDlrDoneDate" not in failed.params
    carrier.advance(60)
    for to in codes:
        assert receiver.statuses("/status", messages[to].sid) == ["failed"]


def test_sent_outcome_never_gets_a_receipt(carrier, receiver):
    carrier.number()
    carrier.scenario(outcome="sent")
    message = carrier.send()
    carrier.walk(1.0)
    carrier.advance(3600)
    assert carrier.status(message.sid) == "sent"
    assert receiver.statuses("/status", message.sid) == ["sent"]


def test_whatsapp_read_receipts(carrier, receiver):
    carrier.number()
    carrier.scenario(channel="whatsapp", outcome="read", delays={"read": 2})
    # The user writes first: a free-form WhatsApp message needs the customer service window.
    carrier.inbound("hi", to=f"whatsapp:{OURS}", from_=f"whatsapp:{HANDSET}")
    message = carrier.send(to=f"whatsapp:{HANDSET}", from_=f"whatsapp:{OURS}")
    assert message.to == f"whatsapp:{HANDSET}"
    carrier.walk(1.0)
    assert carrier.status(message.sid) == "delivered"
    carrier.advance(1.5)
    assert carrier.status(message.sid) == "delivered"  # read comes 2 s after delivered
    carrier.advance(1)
    assert carrier.status(message.sid) == "read"
    sent, delivered, read = receiver.at("/status", message.sid)
    assert [sent.status, delivered.status, read.status] == ["sent", "delivered", "read"]
    for request in (sent, delivered, read):
        assert request.params["ChannelPrefix"] == "whatsapp"
        assert request.params["ChannelToAddress"] == HANDSET
        assert request.params["To"] == f"whatsapp:{HANDSET}"
        assert request.params["From"] == f"whatsapp:{OURS}"
        assert "RawDlrDoneDate" not in request.params
    assert read.params["EventType"] == "READ"
    assert delivered.params["EventType"] == "DELIVERED"
    assert "EventType" not in sent.params


def test_whatsapp_channel_rule_does_not_touch_sms(carrier, receiver):
    carrier.number()
    carrier.scenario(channel="whatsapp", outcome="undelivered", error_code=30008)
    sms = carrier.send()
    carrier.inbound("hi", to=f"whatsapp:{OURS}", from_=f"whatsapp:{HANDSET}")  # opens the window
    whatsapp = carrier.send(to=f"whatsapp:{HANDSET}", from_=f"whatsapp:{OURS}")
    carrier.advance(5)
    assert carrier.status(sms.sid) == "delivered"
    assert carrier.status(whatsapp.sid) == "undelivered"


def test_fixed_delays_per_step(carrier, receiver):
    carrier.number()
    carrier.scenario(delays={"sending": 1, "sent": 2, "delivered": 3})
    message = carrier.send()
    expected = [
        (0.5, "queued"),
        (1.0, "sending"),  # t = 1.5
        (1.0, "sending"),  # t = 2.5
        (1.0, "sent"),  # t = 3.5 (sent at 3)
        (2.0, "sent"),  # t = 5.5
        (1.0, "delivered"),  # t = 6.5 (delivered at 6)
    ]
    for seconds, status in expected:
        carrier.advance(seconds)
        assert carrier.status(message.sid) == status, carrier.clock()["now"]
    times = {status: _iso(at) - EPOCH for status, at in carrier.timeline(message.sid)}
    assert times == {
        "queued": timedelta(0),
        "sending": timedelta(seconds=1),
        "sent": timedelta(seconds=3),
        "delivered": timedelta(seconds=6),
    }
    assert carrier.fetch(message.sid).date_sent == EPOCH + timedelta(seconds=3)
    assert receiver.statuses("/status", message.sid) == ["sent", "delivered"]


def test_range_delay_is_drawn_between_min_and_max(carrier, receiver):
    carrier.number()
    carrier.scenario(delays={"sending": 0, "sent": 0, "delivered": [10, 20]})
    messages = [carrier.send(body=f"range {i}") for i in range(6)]
    carrier.advance(0.001)
    assert {carrier.status(m.sid) for m in messages} == {"sent"}
    carrier.advance(9.9)  # t = 9.901: none can be delivered yet
    assert {carrier.status(m.sid) for m in messages} == {"sent"}
    carrier.advance(10.2)  # t = 20.101: all are
    assert {carrier.status(m.sid) for m in messages} == {"delivered"}
    waits = []
    for message in messages:
        times = dict(carrier.timeline(message.sid))
        wait = (_iso(times["delivered"]) - _iso(times["sent"])).total_seconds()
        assert 10 <= wait <= 21  # the timeline has whole seconds
        waits.append(wait)
    assert len(set(waits)) > 1, f"six draws from [10, 20] all gave {waits}"


def test_range_delay_with_a_step_by_step_clock(carrier, receiver):
    carrier.number()
    carrier.scenario(delays={"sending": [1, 2], "sent": 5, "delivered": 5})
    message = carrier.send()
    carrier.advance(0.999)
    assert carrier.status(message.sid) == "queued"
    carrier.advance(1.002)  # t = 2.001: it went sending at some t in [1, 2]
    assert carrier.status(message.sid) == "sending"
    carrier.advance(3.998)  # t = 5.999: sent comes 5 s after sending, not before 6
    assert carrier.status(message.sid) == "sending"
    carrier.advance(1.002)  # t = 7.001
    assert carrier.status(message.sid) == "sent"


def test_per_segment_delay_lengthens_sending_to_sent(carrier, receiver):
    carrier.number()
    carrier.scenario(delays={"sending": 0, "sent": 1}, per_segment=2)
    short = carrier.send(body="one segment")
    long = carrier.send(body="x" * 400)  # GSM-7: 3 segments -> 1 + 2 * 2 = 5 s
    assert long.num_segments == "3"
    carrier.advance(1.001)
    assert carrier.status(short.sid) == "sent"
    assert carrier.status(long.sid) == "sending"
    carrier.advance(3.9)  # t = 4.901
    assert carrier.status(long.sid) == "sending"
    carrier.advance(0.1)  # t = 5.001
    assert carrier.status(long.sid) == "sent"
    assert carrier.fetch(long.sid).date_sent - carrier.fetch(short.sid).date_sent == timedelta(
        seconds=4
    )


def test_recipient_and_sender_globs_first_match_wins(carrier, receiver):
    carrier.number(OURS)
    carrier.number(OTHER)
    carrier.replace_scenarios(
        [
            {"name": "vip", "to": "+1555555019[0-4]", "outcome": "delivered"},
            {
                "name": "bad area",
                "to": "+1555555019*",
                "outcome": "undelivered",
                "error_code": 30005,
            },
            {"name": "other sender", "from": "*0101", "outcome": "failed", "error_code": 30004},
        ]
    )
    cases = {
        ("+15555550191", OURS): ("delivered", None),  # vip wins over the broader rule after it
        ("+15555550199", OURS): ("undelivered", 30005),
        ("+15555550199", OTHER): ("undelivered", 30005),  # the recipient rule comes first
        ("+15555550177", OTHER): ("failed", 30004),
        ("+15555550177", OURS): ("delivered", None),  # no rule: the default
    }
    sids = {case: carrier.send(to=case[0], from_=case[1]).sid for case in cases}
    carrier.advance(5)
    for case, (status, code) in cases.items():
        fetched = carrier.fetch(sids[case])
        assert (fetched.status, fetched.error_code) == (status, code), case
        assert receiver.statuses("/status", sids[case])[-1] == status


def test_scenario_crud(carrier):
    assert carrier.scenarios() == []
    first = {"name": "a", "to": "+1555*", "outcome": "sent"}
    second = {"name": "b", "from": "+1800*", "mps": 3}
    assert carrier.scenario(**first) == [first]
    assert carrier.scenario(**second) == [first, second]
    assert carrier.scenarios() == [first, second]
    wrapped = carrier.http.put("/_sim/scenarios", json={"scenarios": [second]})
    assert wrapped.status_code == 200
    assert carrier.scenarios() == [second]
    cleared = carrier.http.delete("/_sim/scenarios")
    assert cleared.json() == {"scenarios": []}
    assert carrier.scenarios() == []


INVALID_RULES: list[tuple[dict[str, Any], str]] = [
    ({"outcome": "lost"}, "outcome"),
    ({"outcome": "undelivered", "error_code": "30003"}, "error_code"),
    ({"delays": {"sent": -1}}, "delay"),
    ({"delays": {"sent": [3, 1]}}, "delay"),
    ({"delays": {"sent": [1, 2, 3]}}, "delay"),
    ({"delays": {"sent": "1s"}}, "delay"),
    ({"delays": {"queued": 1}}, "delay step"),
    ({"delays": [1, 2]}, "delays"),
    ({"per_segment": -0.5}, "per_segment"),
    ({"chaos": {"duplicate": 1.5}}, "duplicate"),
    ({"chaos": {"reorder": True}}, "reorder"),
    ({"chaos": {"explode": 0.5}}, "chaos"),
    ({"chaos": 0.5}, "chaos"),
    ({"mps": 0}, "mps"),
    ({"to": 15555550199}, "to"),
    ({"recipient": "+1555*"}, "unknown scenario fields: recipient"),
]


def test_invalid_scenarios_are_rejected_with_21000(carrier):
    carrier.scenario(name="kept", outcome="sent")
    for rule, words in INVALID_RULES:
        response = carrier.http.post("/_sim/scenarios", json=rule)
        assert response.status_code == 400, (rule, response.text)
        error = response.json()
        assert error["code"] == 21000, rule
        assert words in error["message"], (rule, error["message"])
        replaced = carrier.http.put("/_sim/scenarios", json=[{"name": "ok"}, rule])
        assert replaced.status_code == 400, rule
        assert replaced.json()["code"] == 21000, rule
        assert "scenario 1" in replaced.json()["message"], rule
    assert carrier.scenarios() == [{"name": "kept", "outcome": "sent"}]  # nothing changed


def test_scenario_bodies_that_are_not_objects(carrier):
    headers = {"Content-Type": "application/json"}
    for body in (b"not json", b'"a string"', b"[1, 2]", b"42", b"null"):
        post = carrier.http.post("/_sim/scenarios", content=body, headers=headers)
        assert post.status_code == 400, (body, post.text)
        assert post.json()["code"] == 21000
        put = carrier.http.put("/_sim/scenarios", content=body, headers=headers)
        assert put.status_code == 400, (body, put.text)
        assert put.json()["code"] == 21000
    assert carrier.scenarios() == []


def test_pytest_plugin_scenario_helper(switchboard):
    """The docs' pytest example: ``switchboard.scenario(...)`` plus ``advance``."""
    number = switchboard.number()
    switchboard.scenario(to="+1555*", outcome="undelivered", error_code=30007)
    switchboard.scenario(from_=number, outcome="failed")  # never reached: first match wins
    message = switchboard.client.messages.create(to=HANDSET, from_=number, body="hi")
    switchboard.advance(5)
    fetched = switchboard.client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30007)
