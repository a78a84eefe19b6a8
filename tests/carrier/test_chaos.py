"""Chaos for status callbacks (duplicates, reordering, dropped receipts) and determinism: the
same seed, scenarios and clock steps replay the same history (docs/carrier.md)."""

from __future__ import annotations

from typing import Any

OURS = "+15555550100"
HANDSET = "+15555550199"


def test_duplicate_sends_every_callback_twice_with_one_token(make_carrier, receiver):
    carrier = make_carrier(seed=7)
    carrier.number()
    carrier.scenario(chaos={"duplicate": 1.0})
    message = carrier.send()
    carrier.walk(1.0)
    assert carrier.status(message.sid) == "delivered"
    requests = receiver.at("/status", message.sid)
    assert sorted(r.status for r in requests) == ["delivered", "delivered", "sent", "sent"]
    tokens: dict[str, set[str | None]] = {}
    for request in requests:
        assert request.signature_valid
        tokens.setdefault(request.status, set()).add(request.header("I-Twilio-Idempotency-Token"))
    assert all(len(same) == 1 and None not in same for same in tokens.values()), tokens
    assert tokens["sent"] != tokens["delivered"]
    # The duplicate is the same request again, parameters included.
    by_status: dict[str, list[dict[str, str]]] = {}
    for request in requests:
        by_status.setdefault(request.status, []).append(dict(request.params))
    assert all(first == second for first, second in by_status.values())


def test_duplicate_applies_to_failures_too(make_carrier, receiver):
    carrier = make_carrier(seed=7)
    carrier.number()
    carrier.scenario(outcome="failed", error_code=30004, chaos={"duplicate": 1.0})
    message = carrier.send()
    carrier.advance(2)
    assert receiver.statuses("/status", message.sid) == ["failed", "failed"]


def test_reorder_delivers_sent_after_delivered(make_carrier, receiver):
    carrier = make_carrier(seed=7)
    carrier.number()
    carrier.scenario(chaos={"reorder": 1.0})
    message = carrier.send()
    carrier.walk(0.6)  # sent at 0.15, delivered at 0.55
    assert carrier.status(message.sid) == "delivered"
    assert receiver.statuses("/status", message.sid) == ["delivered"]
    carrier.walk(2.0)
    assert receiver.statuses("/status", message.sid) == ["delivered", "sent"]
    assert carrier.status(message.sid) == "delivered"  # the resource never regresses


def test_reorder_holds_sent_past_a_slow_delivery_receipt(make_carrier, receiver):
    """reorder=1.0 promises ``sent`` after the final callback whatever the scenario's delays.

    Bug (src/switchboard/timeline.py, Timeline._callbacks): the ``sent`` callback is held for
    the *default* ``sent_to_delivered + 1`` (1.4 s), not past the receipt this scenario draws
    (3 s here), so it still arrives first.
    """
    carrier = make_carrier(seed=7)
    carrier.number()
    carrier.scenario(delays={"delivered": 3}, chaos={"reorder": 1.0})
    message = carrier.send()
    carrier.walk(6.0, step=0.1)
    assert carrier.status(message.sid) == "delivered"
    assert receiver.statuses("/status", message.sid) == ["delivered", "sent"]


def test_drop_receipt_leaves_the_message_sent(make_carrier, receiver):
    carrier = make_carrier(seed=7)
    carrier.number()
    carrier.scenario(chaos={"drop_receipt": 1.0})
    message = carrier.send()
    carrier.walk(1.0)
    carrier.advance(3600)
    assert carrier.status(message.sid) == "sent"
    assert receiver.statuses("/status", message.sid) == ["sent"]


def test_chaos_is_off_by_default(make_carrier, receiver):
    carrier = make_carrier(seed=7)
    carrier.number()
    messages = [carrier.send(body=f"calm {i}") for i in range(10)]
    carrier.walk(1.0)
    for message in messages:
        assert receiver.statuses("/status", message.sid) == ["sent", "delivered"]


# --- Determinism -----------------------------------------------------------------------------

SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "flaky network",
        "to": "+1555555020?",
        "outcome": "undelivered",
        "error_code": 30005,
        "delays": {"sending": [0.1, 0.5], "sent": [0.1, 1], "delivered": [0.5, 3]},
        "chaos": {"duplicate": 0.5, "reorder": 0.5},
    },
    {
        "name": "blocked",
        "to": "+155555503??",
        "outcome": "failed",
        "error_code": 30004,
        "delays": {"sending": [0.1, 2]},
    },
    {
        "name": "everyone else",
        "delays": {"sending": [0.1, 1], "sent": [0.1, 2], "delivered": [0.1, 3]},
        "chaos": {"duplicate": 0.5, "reorder": 0.5, "drop_receipt": 0.5},
    },
]
RECIPIENTS = [
    *(f"+1555555020{i}" for i in range(4)),  # flaky network
    "+15555550301",  # blocked
    "+15555550302",
    *(f"+155555504{i:02d}" for i in range(50, 56)),  # everyone else
]
STEP = 0.25
DURATION = 8.0


def _history(make_carrier, receiver, seed: int) -> list[tuple[int, str, str, int, str, str]]:
    """Run the scenario set on a fresh server; the callbacks as (clock step, MessageStatus, To,
    body index, ErrorCode, MessageSid), in arrival order except within one step (callbacks due
    at the same virtual instant are concurrent HTTP requests)."""
    carrier = make_carrier(seed=seed)
    path = f"/run-{seed}-{len(receiver.requests)}"
    carrier.number()
    carrier.replace_scenarios(SCENARIOS)
    index = {}
    for i, to in enumerate(RECIPIENTS):
        message = carrier.send(to=to, body=f"message {i}", callback=path)
        index[message.sid] = i
    history = []
    seen = 0
    for step in range(round(DURATION / STEP)):
        carrier.advance(STEP)
        arrived = receiver.at(path)[seen:]
        seen += len(arrived)
        history += sorted(
            (
                step,
                r.status,
                r.params["To"],
                index[r.params["MessageSid"]],
                r.params.get("ErrorCode", ""),
                r.params["MessageSid"],
            )
            for r in arrived
        )
    return history


def test_same_seed_same_history_other_seed_other_history(make_carrier, receiver):
    first = _history(make_carrier, receiver, seed=1234)
    second = _history(make_carrier, receiver, seed=1234)
    assert len(first) >= 2 * len(RECIPIENTS) - 5  # a real workload, not an empty run
    assert first == second
    other = _history(make_carrier, receiver, seed=4321)
    assert [entry[:5] for entry in other] != [entry[:5] for entry in first]
    # Chaos really ran in both: some callbacks were duplicated.
    for history in (first, other):
        statuses = [(entry[3], entry[1]) for entry in history]
        assert len(statuses) != len(set(statuses)), "no duplicate callback in the run"


def test_seeded_sids_do_not_depend_on_the_tests_pace(make_carrier, receiver):
    """Same seed, same requests, a clock that never moves: only the wall-clock pause between
    two creates differs, and the second message must still get the same SID (and with it the
    same carrier draws, which are seeded by SID).

    Bug (src/switchboard/compose.py sid_factory, webhooks/delivery.py Deliverer._record): every
    SID comes from one seeded stream, and a webhook attempt takes its SID when the app
    answers, so a callback answered between two creates shifts every later message SID.
    """
    runs = []
    for pause in (True, False):
        carrier = make_carrier(seed=5)
        slow = receiver.route(f"/slow-{pause}", delay=0.3)
        service = carrier.service(carrier.number(), status_callback=slow)
        create = carrier.client.messages.create
        first = create(to=HANDSET, messaging_service_sid=service.sid, body="one")
        if pause:
            carrier.settle()  # the first message's `queued` callback has been answered
        second = create(to=HANDSET, messaging_service_sid=service.sid, body="two")
        carrier.settle()
        assert receiver.statuses(f"/slow-{pause}") == ["queued", "queued"]
        runs.append((service.sid, first.sid, second.sid))
    assert runs[0] == runs[1]
