"""A status-callback receiver that keeps an exact record of every message it sends.

It follows Twilio's "Best Practices for Messaging Delivery Status Logging" (walked through in
docs/status-callbacks.md):

1. ``send()`` creates the message through the REST API and stores its SID with the status the
   API answered (``queued``, or ``accepted`` with a Messaging Service): proof the message exists
   even if no callback ever arrives.
2. ``POST /status`` receives the callbacks. It rejects requests without a valid
   ``X-Twilio-Signature``, records each delivery once (keyed by ``I-Twilio-Idempotency-Token``,
   the same on every retry or duplicate of one callback), and only ever moves a message
   *forwards* through the lifecycle, because callbacks can arrive out of order (``sent`` after
   ``delivered``).
3. ``reconcile()`` fetches, by SID, every message that has not settled after a while (Twilio
   suggests 12 hours), in case a callback was lost.

Storage is one SQLite file (the standard library's ``sqlite3``); the web part is Flask. Nothing
here knows about switchboard: with the default API URL the same code talks to Twilio.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any

import click
from flask import Flask, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client

# The lifecycle as a receiver needs it (the same ranks as switchboard.domain.lifecycle): a status
# applies only when it ranks strictly higher than the stored one, and nothing moves a final one.
PRECEDENCE = {
    "accepted": 0,
    "scheduled": 0,
    "receiving": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "received": 4,
    "partially_delivered": 4,
    "read": 5,  # WhatsApp/RCS read receipts, which can follow `delivered`
}
FINAL = frozenset({"failed", "undelivered", "read", "canceled", "received", "partially_delivered"})
SETTLED = FINAL | {"delivered"}  # the outcome is known: nothing left to reconcile
TWELVE_HOURS = 12 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    sid         TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    error_code  INTEGER,
    created_at  REAL NOT NULL,  -- when we sent it (or first heard of it)
    updated_at  REAL NOT NULL   -- the last status change
);
CREATE TABLE IF NOT EXISTS events (  -- every status we learnt, applied or not
    id          INTEGER PRIMARY KEY,
    sid         TEXT NOT NULL,
    status      TEXT NOT NULL,
    source      TEXT NOT NULL,  -- 'api' (create or fetch) or 'callback'
    token       TEXT UNIQUE,    -- callbacks: the idempotency key
    applied     INTEGER NOT NULL,
    at          REAL NOT NULL
);
"""


def should_apply(current: str | None, incoming: str) -> bool:
    """Whether ``incoming`` may replace ``current``: never a final status, never a step back,
    never the same rank again (so a duplicate, or a second outcome, changes nothing)."""
    if current is None:
        return True
    if current in FINAL:
        return False
    return PRECEDENCE.get(incoming, -1) > PRECEDENCE.get(current, -1)


@dataclass(frozen=True)
class Record:
    sid: str
    status: str
    error_code: int | None
    created_at: float
    updated_at: float


class StatusLog:
    """The system of record: one row per message, plus the log of every status reported."""

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
        # A connection per call (callbacks arrive on several threads at once) and BEGIN
        # IMMEDIATE, so two callbacks for one message are applied one after the other.
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

    def report(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        *,
        source: str = "api",
        token: str | None = None,
    ) -> str:
        """Record that ``sid`` is in ``status``: ``"applied"``, ``"ignored"`` (a late or repeated
        status) or ``"duplicate"`` (this callback was already received)."""
        now = self.clock()
        with self._transaction() as db:
            row = db.execute("SELECT status FROM messages WHERE sid = ?", (sid,)).fetchone()
            current = row[0] if row else None
            applied = should_apply(current, status)
            try:
                db.execute(
                    "INSERT INTO events (sid, status, source, token, applied, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (sid, status, source, token, int(applied), now),
                )
            except sqlite3.IntegrityError:
                return "duplicate"  # the token is UNIQUE: a retry or a duplicate delivery
            if not applied:
                return "ignored"
            if current is None:
                db.execute(
                    "INSERT INTO messages (sid, status, error_code, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (sid, status, error_code, now, now),
                )
            else:
                db.execute(
                    "UPDATE messages SET status = ?, error_code = ?, updated_at = ? WHERE sid = ?",
                    (status, error_code, now, sid),
                )
            return "applied"

    def get(self, sid: str) -> Record | None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT sid, status, error_code, created_at, updated_at FROM messages"
                " WHERE sid = ?",
                (sid,),
            ).fetchone()
        return Record(*row) if row else None

    def all(self) -> list[Record]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT sid, status, error_code, created_at, updated_at FROM messages"
                " ORDER BY created_at, sid"
            ).fetchall()
        return [Record(*row) for row in rows]

    def events(self, sid: str) -> list[tuple[str, str, bool]]:
        """``(status, source, applied)`` for each status reported for ``sid``, oldest first."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT status, source, applied FROM events WHERE sid = ? ORDER BY id", (sid,)
            ).fetchall()
        return [(status, source, bool(applied)) for status, source, applied in rows]

    def unsettled(self, max_age_seconds: float) -> list[str]:
        """SIDs of messages older than ``max_age_seconds`` whose outcome is still unknown."""
        cutoff = self.clock() - max_age_seconds
        marks = ", ".join("?" * len(SETTLED))
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT sid FROM messages WHERE created_at <= ? AND status NOT IN ({marks})"
                " ORDER BY created_at, sid",
                (cutoff, *sorted(SETTLED)),
            ).fetchall()
        return [row[0] for row in rows]


class StatusReceiver:
    """Sends messages, receives their status callbacks (``self.app``) and reconciles."""

    def __init__(
        self,
        client: Client,
        auth_token: str,
        database: str,
        *,
        callback_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.auth_token = auth_token
        self.callback_url = callback_url  # where Twilio can reach this app's POST /status
        self.log = StatusLog(database, clock)
        self.app = create_app(self)

    def send(self, *, to: str, body: str, **options: Any) -> str:
        """Create a message (``from_=`` or ``messaging_service_sid=`` plus any other create
        option) and store its SID with the status the API answered. A callback that raced
        ahead of this answer (a service's ``queued`` can) is kept: the record never regresses."""
        if self.callback_url:
            options.setdefault("status_callback", self.callback_url)
        message = self.client.messages.create(to=to, body=body, **options)
        self.log.report(message.sid, message.status, message.error_code)
        return str(message.sid)

    def reconcile(self, max_age_seconds: float = TWELVE_HOURS) -> dict[str, str]:
        """Fetch every message not settled after ``max_age_seconds`` and record what the API
        says; returns each fetched SID with its status as now recorded."""
        found: dict[str, str] = {}
        for sid in self.log.unsettled(max_age_seconds):
            message = self.client.messages(sid).fetch()
            self.log.report(sid, message.status, message.error_code)
            record = self.log.get(sid)
            found[sid] = record.status if record else message.status
        return found


def twilio_signed(view: Any) -> Any:
    """Answer 403 unless the request carries a valid ``X-Twilio-Signature`` (computed over the
    URL Twilio requested and the form parameters, with the account's Auth Token)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        receiver: StatusReceiver = current_app.extensions["status_receiver"]
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(receiver.auth_token).validate(request.url, request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked


def create_app(receiver: StatusReceiver | None = None) -> Flask:
    """The Flask app of ``receiver``; with none, one configured from the environment
    (see :func:`from_environment`), which is what ``flask --app .../receiver.py`` runs."""
    if receiver is None:
        return from_environment().app
    app = Flask(__name__)
    app.extensions["status_receiver"] = receiver

    @app.post("/status")
    @twilio_signed
    def status_callback() -> tuple[str, int]:
        sid, status = request.form.get("MessageSid"), request.form.get("MessageStatus")
        if not sid or not status:
            abort(400)
        error_code = request.form.get("ErrorCode")
        # Every delivery of one callback (retries, duplicates) carries the same token.
        token = request.headers.get("I-Twilio-Idempotency-Token") or f"{sid}:{status}"
        receiver.log.report(
            sid,
            status,
            int(error_code) if error_code else None,
            source="callback",
            token=token,
        )
        return "", 204  # answer at once: Twilio waits for no work of ours

    @app.cli.command("send")
    @click.option("--to", required=True)
    @click.option("--from", "from_", required=True)
    @click.argument("body")
    def send_command(to: str, from_: str, body: str) -> None:
        """Send BODY and record the message."""
        sid = receiver.send(to=to, from_=from_, body=body)
        record = receiver.log.get(sid)
        click.echo(f"{sid}  {record.status if record else 'unknown'}")

    @app.cli.command("messages")
    def messages_command() -> None:
        """Every recorded message with the statuses reported for it."""
        for record in receiver.log.all():
            history = " ".join(
                f"{status}({source})" if applied else f"[{status}({source}) ignored]"
                for status, source, applied in receiver.log.events(record.sid)
            )
            click.echo(f"{record.sid}  {record.status:<11}  {history}")

    @app.cli.command("reconcile")
    @click.option("--max-age", type=float, default=TWELVE_HOURS, show_default=True, help="Seconds.")
    def reconcile_command(max_age: float) -> None:
        """Fetch the messages that have not settled after --max-age seconds."""
        for sid, status in receiver.reconcile(max_age).items():
            click.echo(f"{sid}  {status}")

    return app


def from_environment() -> StatusReceiver:
    """``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``STATUS_CALLBACK_URL`` (this app's
    ``/status`` as Twilio reaches it), ``STATUS_DATABASE`` (default ``status.db``) and, to use
    switchboard instead of Twilio, ``TWILIO_API_URL`` (e.g. ``http://127.0.0.1:8080``)."""
    account_sid = os.environ.get("TWILIO_ACCOUNT_SID")
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN")
    if not account_sid or not auth_token:
        raise RuntimeError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    client = Client(account_sid, auth_token)
    api_url = os.environ.get("TWILIO_API_URL")
    if api_url:
        client.api.base_url = api_url
        client.messaging.base_url = api_url
    return StatusReceiver(
        client,
        auth_token,
        os.environ.get("STATUS_DATABASE", "status.db"),
        callback_url=os.environ.get("STATUS_CALLBACK_URL"),
    )
