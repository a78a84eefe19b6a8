"""Scale-out fixtures: ``switchboard serve`` nodes sharing a fresh PostgreSQL database, and the
test receiver standing in for the app, all stopped at teardown.

The nodes are ``server_process`` subprocesses and the database comes from ``postgres_dsn``
(both in tests/conftest.py, which also says where PostgreSQL is looked for). The receiver is the
public ``TestReceiver`` with three routes:

- ``POST /sms`` answers TwiML with one reply whose status callbacks go to ``/status``
  (``<Message action="/status">``, resolved against this URL);
- ``POST /status`` answers 204;
- ``POST /slow`` holds the request ``slow_seconds`` and answers ``<Response/>``; each request
  records how it ended: ``answered``, or ``aborted`` when the client went away first (its node
  was killed).

Test modules read what arrived with ``await receiver.records(http)``: one dict per request
(path, MessageSid, MessageStatus, the I-Twilio-Idempotency-Token header, wall-clock arrival
time, how it ended).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from switchboard.receiver import EMPTY_TWIML, Reply
from switchboard.testing import TEST_AUTH_TOKEN, TestReceiver

REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response><Message action="/status">re</Message></Response>'  # noqa: E501


class Receiver(TestReceiver):
    """The test receiver, plus its requests as plain records (the shape the tests compare)."""

    async def records(self, http: Any = None) -> list[dict[str, Any]]:
        return [
            {
                "path": r.path,
                "sid": r.sid,
                "status": r.status,
                "token": r.header("I-Twilio-Idempotency-Token") or "",
                "at": r.wall,
                "end": r.end,
            }
            for r in list(self.requests)
        ]


@dataclass
class Cluster:
    """The nodes and receivers of one test."""

    dsn: str
    spawn: Any  # the spawn_server fixture: it stops every node at teardown
    receivers: list[Receiver] = field(default_factory=list)

    def node(self, name: str, lease_seconds: float = 5.0) -> Any:
        # One handset texts thousands of times and every reply's callbacks are counted: loop
        # protection (the 31st quick reply fails with 14107) would hold all but 30 of them.
        args = ("--lease-seconds", str(lease_seconds), "--no-loop-protection")
        node = self.spawn(self.dsn, *args, name=name)
        return node.start()

    def receiver(self, slow_seconds: float = 8.0) -> Receiver:
        receiver = Receiver(TEST_AUTH_TOKEN).start()
        receiver.route("/sms", REPLY)
        receiver.route("/status", Reply(status=204, content_type=None))
        receiver.route("/slow", Reply(body=EMPTY_TWIML, delay=slow_seconds))
        self.receivers.append(receiver)
        return receiver

    def close(self) -> None:
        for receiver in self.receivers:
            receiver.stop()


@pytest.fixture
def cluster(postgres_dsn: str, spawn_server: Any) -> Iterator[Cluster]:
    running = Cluster(postgres_dsn, spawn_server)
    try:
        yield running
    finally:
        running.close()
