"""An Event Streams receiver: a webhook Sink that keeps every message's lifecycle in order.

Event Streams delivers CloudEvents in JSON batches, at least once and in no particular order
(walked through in docs/events.md). This receiver:

1. rejects a request without a valid ``X-Twilio-Signature`` (JSON webhooks carry
   ``bodySHA256`` in the URL, and the official ``RequestValidator`` checks both the hash and the
   signature when it is given the raw body);
2. stores each event once, keyed by its ``id`` (a retried or duplicated event has the same id),
   and answers 200 at once: Twilio waits five seconds at most, then retries;
3. moves each message only *forwards* through its lifecycle (``sent`` arriving after
   ``delivered`` changes nothing) and lists a message's events ordered by lifecycle, then time;
4. keeps the ``test_id`` of the Sink's test event, which ``subscribe()`` posts back to activate
   the Sink before subscribing it to the messaging events.

Storage is one SQLite file; the web part is Flask. Nothing here knows about switchboard: with the
SDK's default base URLs the same code talks to Twilio.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import Flask, abort, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client

TEST_EVENT = "com.twilio.eventstreams.test-event"
MESSAGE_EVENTS = [
    "com.twilio.messaging.message.queued",
    "com.twilio.messaging.message.sent",
    "com.twilio.messaging.message.delivered",
    "com.twilio.messaging.message.undelivered",
    "com.twilio.messaging.message.failed",
    "com.twilio.messaging.message.read",
    "com.twilio.messaging.inbound-message.received",
]
# A message's lifecycle, as ranks: an event applies only when it ranks strictly higher than the
# status already recorded, and nothing moves a final one.
RANK = {"QUEUED": 1, "SENT": 3, "DELIVERED": 4, "UNDELIVERED": 4, "FAILED": 4, "RECEIVED": 4,
        "READ": 5}  # fmt: skip
FINAL = frozenset({"UNDELIVERED", "FAILED", "READ", "RECEIVED"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id           TEXT PRIMARY KEY,   -- the CloudEvent id: the same on every copy of an event
    type         TEXT NOT NULL,
    message_sid  TEXT,
    status       TEXT,
    time         TEXT NOT NULL,      -- when it happened (ISO 8601, milliseconds, UTC)
    body         TEXT NOT NULL,      -- the whole event, as received
    received_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    sid          TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sink_tests (
    test_id      TEXT PRIMARY KEY,
    received_at  REAL NOT NULL
);
"""


def status_of(event: dict[str, Any]) -> str | None:
    if event["type"] == "com.twilio.messaging.inbound-message.received":
        return "RECEIVED"
    status = event.get("data", {}).get("messageStatus")
    return str(status).upper() if status else None


def should_apply(current: str | None, incoming: str) -> bool:
    if current is None:
        return True
    if current in FINAL:
        return False
    return RANK.get(incoming, -1) > RANK.get(current, -1)


class EventStore:
    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        db = sqlite3.connect(path)
        try:
            db.executescript(SCHEMA)
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # A connection per call (batches arrive on several threads at once) and BEGIN
        # IMMEDIATE, so two events for one message are applied one after the other.
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def record(self, events: Sequence[dict[str, Any]]) -> int:
        """Store a batch; returns how many events were new (a duplicate id is ignored)."""
        new = 0
        with self._transaction() as db:
            for event in events:
                data = event.get("data") or {}
                if event.get("type") == TEST_EVENT:
                    db.execute("INSERT OR IGNORE INTO sink_tests VALUES (?, ?)",
                               (str(data.get("test_id")), self.clock()))  # fmt: skip
                    continue
                status = status_of(event)
                inserted = db.execute(
                    "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (event["id"], event["type"], data.get("messageSid"), status, event["time"],
                     json.dumps(event), self.clock()),
                ).rowcount  # fmt: skip
                new += inserted
                if inserted and status and data.get("messageSid"):
                    self._apply(db, data["messageSid"], status, event["time"])
        return new

    @staticmethod
    def _apply(db: sqlite3.Connection, sid: str, status: str, at: str) -> None:
        row = db.execute("SELECT status FROM messages WHERE sid = ?", (sid,)).fetchone()
        if should_apply(row[0] if row else None, status):
            db.execute(
                "INSERT INTO messages VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE"
                " SET status = excluded.status, updated_at = excluded.updated_at",
                (sid, status, at),
            )

    def status(self, sid: str) -> str | None:
        with self._transaction() as db:
            row = db.execute("SELECT status FROM messages WHERE sid = ?", (sid,)).fetchone()
        return row[0] if row else None

    def timeline(self, sid: str) -> list[str]:
        """The message's event statuses in lifecycle order (then by time), each once."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT status, time FROM events WHERE message_sid = ?", (sid,)
            ).fetchall()
        return [status for status, _ in sorted(rows, key=lambda r: (RANK.get(r[0], 0), r[1]))]

    def test_ids(self) -> list[str]:
        with self._transaction() as db:
            return [r[0] for r in db.execute("SELECT test_id FROM sink_tests ORDER BY received_at")]


def create_app(auth_token: str, store: EventStore) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.post("/events")
    def events() -> tuple[str, int]:
        body = request.get_data(as_text=True)
        # The URL as Twilio requested it, bodySHA256 included; behind a proxy that terminates
        # TLS, rebuild it with the public scheme and host.
        if not validator.validate(request.url, body, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        batch = json.loads(body)
        store.record(batch if isinstance(batch, list) else [batch])
        return "", 200

    return app


def subscribe(
    client: Client,
    destination: str,
    store: EventStore,
    *,
    batch: bool = False,
    wait: Callable[[], None] = lambda: time.sleep(0.2),
    attempts: int = 50,
) -> tuple[str, str]:
    """Create a webhook Sink for ``destination``, activate it with its test event and
    subscribe it to every messaging event. ``wait`` runs while the test event is on its way.
    Returns (sink SID, subscription SID)."""
    sink = client.events.v1.sinks.create(
        description="messaging events",
        sink_configuration={"destination": destination, "method": "POST", "batch_events": batch},
        sink_type="webhook",
    )
    seen = set(store.test_ids())
    client.events.v1.sinks(sink.sid).sink_test.create()
    for _ in range(attempts):
        fresh = [t for t in store.test_ids() if t not in seen]
        if fresh:
            client.events.v1.sinks(sink.sid).sink_validate.create(test_id=fresh[-1])
            break
        wait()
    else:
        raise RuntimeError("the Sink's test event never arrived: is the receiver reachable?")
    subscription = client.events.v1.subscriptions.create(
        description="messaging events",
        sink_sid=sink.sid,
        types=[{"type": t} for t in MESSAGE_EVENTS],
    )
    return sink.sid, subscription.sid


if __name__ == "__main__":  # flask run works too: this is for `python receiver.py`
    token = os.environ["TWILIO_AUTH_TOKEN"]
    create_app(token, EventStore(os.environ.get("EVENTS_DB", "events.db"))).run(port=5001)
