"""The live feed: which changes a browser is sent, and when it needs a fresh snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Account, Direction, Message, WebhookAttempt
from switchboard.services.accounts import Principal
from switchboard.services.simulator import Overview, Scope
from switchboard.web.events import EventStream, Feed, sse

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ACCOUNT = "AC" + "0" * 32


def message(seq: int, status: MessageStatus = MessageStatus.RECEIVED) -> Message:
    return Message(
        sid=f"SM{seq:032d}",
        account_sid=ACCOUNT,
        direction=Direction.INBOUND,
        from_="+15555550123",
        to="+15005550006",
        body=f"message {seq}",
        status=status,
        num_segments=1,
        num_media=0,
        date_created=T0,
        date_updated=T0,
        seq=seq,
    )


def attempt(n: int) -> WebhookAttempt:
    return WebhookAttempt(
        sid=f"NO{n:032d}",
        account_sid=ACCOUNT,
        message_sid=None,
        kind="incoming",
        attempt=1,
        url="http://127.0.0.1:5000/sms",
        method="POST",
        request_headers={},
        request_body="",
        date_created=T0,
        duration_ms=1.0,
        response_status=200,
    )


def test_new_and_changed_messages_and_new_attempts() -> None:
    feed = Feed()
    feed.reset([message(1)], [attempt(1)])
    assert feed.update([message(1)], [attempt(1)]) == ([], [])

    delivered = replace(
        message(1), status=MessageStatus.DELIVERED, date_updated=T0 + timedelta(seconds=1)
    )
    changes = feed.update([delivered, message(2)], [attempt(1), attempt(2)])
    assert changes == ([delivered, message(2)], [attempt(2)])
    assert feed.update([delivered, message(2)], [attempt(1), attempt(2)]) == ([], [])


def test_messages_pushed_out_of_the_window_are_not_a_reset() -> None:
    feed = Feed()
    feed.reset([message(1), message(2)], [])
    assert feed.update([message(2), message(3)], []) == ([message(3)], [])


def test_deleted_rows_need_a_snapshot() -> None:
    feed = Feed()
    feed.reset([message(1), message(2)], [attempt(1)])
    assert feed.update([message(1)], [attempt(1)]) is None  # a newer message vanished
    feed.reset([message(1)], [attempt(1)])
    assert feed.update([], []) is None  # /_sim/reset
    feed.reset([], [attempt(1)])
    assert feed.update([], []) is None


def test_digest_follows_the_state() -> None:
    a, b = Feed(), Feed()
    a.reset([message(1)], [attempt(1)])
    b.reset([message(1)], [attempt(1)])
    assert a.digest() == b.digest()
    b.update([message(1), message(2)], [attempt(1)])
    assert a.digest() != b.digest()


def test_sse_framing() -> None:
    assert sse("message", {"a": 1}, "abc") == b'event: message\nid: abc\ndata: {"a":1}\n\n'
    assert sse("attempt", [1]) == b"event: attempt\ndata: [1]\n\n"


class StubReader:
    """Stands in for the simulator service: a fixed window, no numbers or services."""

    def __init__(self, messages: list[Message], attempts: list[WebhookAttempt]) -> None:
        self.messages, self.recent_attempts = messages, attempts

    async def scope(self, principal: Principal) -> Scope:
        return Scope(principal.account, (principal.account.sid,))

    async def recent_messages(self, scope: Scope) -> list[Message]:
        return self.messages

    async def attempts(self, scope: Scope) -> list[WebhookAttempt]:
        return self.recent_attempts

    async def overview(self, scope: Scope) -> Overview:
        return Overview(scope.account, [], [])


MAIN = Account(ACCOUNT, "main", "token", ACCOUNT, "active", T0, T0)


async def events_of(reader: StubReader, last_id: str = "") -> list[tuple[str, Any, str]]:
    stream = EventStream(reader, Scope(MAIN, (ACCOUNT,)), last_id)  # type: ignore[arg-type]
    parsed = []
    async for chunk in stream.run(0):
        for block in chunk.decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                parsed.append((fields["event"], orjson.loads(fields["data"]), fields.get("id", "")))
    return parsed


async def test_a_stream_starts_with_overview_and_snapshot() -> None:
    events = await events_of(StubReader([message(1)], [attempt(1)]))
    assert [kind for kind, _, _ in events] == ["overview", "snapshot"]
    snapshot = events[1][1]
    assert [m["sid"] for m in snapshot["messages"]] == [message(1).sid]
    assert [a["sid"] for a in snapshot["attempts"]] == [attempt(1).sid]
    assert events[1][2]  # carries the digest


async def test_a_reconnecting_browser_that_is_up_to_date_gets_no_snapshot() -> None:
    reader = StubReader([message(1)], [attempt(1)])
    last_id = (await events_of(reader))[-1][2]
    assert await events_of(reader, last_id) == []
    reader.messages = [message(1), message(2)]
    assert [kind for kind, _, _ in await events_of(reader, last_id)] == ["overview", "snapshot"]
