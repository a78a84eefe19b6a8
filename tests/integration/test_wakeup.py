"""Processes on one database wake each other (``switchboard/wakeup.py``): writers of jobs wake
the delivering processes, and writers of messages and attempts the ones that serve the API.

The split layout (``serve --no-deliver`` beside ``switchboard worker``) used to find each job
only at the worker's next look, and a waiting ``/_sim/webhooks`` search the worker's attempt only
at its next look: these tests make both looks hourly, so only a wake-up can deliver or answer.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard import outbox
from switchboard.config import Config
from switchboard.receiver import EMPTY_TWIML, Reply, Request
from switchboard.services import search
from switchboard.storage.sql_store import SqlStore
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, live_server
from switchboard.wakeup import DELIVER, WATCH, WakeListener, WakeSender, wake_directory
from switchboard.worker import run_worker

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no Unix datagram sockets")

NUMBER = "+15555550100"
API = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"


def test_a_sender_wakes_every_listener_once_a_turn(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        woken = [0, 0]
        both = asyncio.Event()

        def on_wake(which: int) -> None:
            woken[which] += 1
            if all(woken):
                both.set()

        listeners = [WakeListener(tmp_path, DELIVER, lambda i=i: on_wake(i)) for i in range(2)]
        for listener in listeners:
            listener.start()
        sender = WakeSender(tmp_path, DELIVER)
        try:
            for _ in range(100):  # a hundred commits finishing in one turn of the loop
                sender.wake()
            await asyncio.wait_for(both.wait(), timeout=30)
            return woken
        finally:
            sender.close()
            for listener in listeners:
                listener.close()

    assert asyncio.run(scenario()) == [1, 1]  # one datagram each, however many wake() calls
    assert list(tmp_path.iterdir()) == []  # closed listeners take their sockets with them


def test_a_sender_wakes_its_role_only_and_not_its_own_listener(tmp_path: Path) -> None:
    async def scenario() -> dict[str, int]:
        woken = {"deliver": 0, "own": 0, "other": 0}
        other_woken = asyncio.Event()

        def on_wake(name: str) -> None:
            woken[name] += 1
            if name == "other":
                other_woken.set()

        listeners = [
            WakeListener(tmp_path, DELIVER, lambda: on_wake("deliver")),
            WakeListener(tmp_path, WATCH, lambda: on_wake("own")),
            WakeListener(tmp_path, WATCH, lambda: on_wake("other")),
        ]
        for listener in listeners:
            listener.start()
        sender = WakeSender(tmp_path, WATCH, own=listeners[1])
        try:
            sender.wake()
            await asyncio.wait_for(other_woken.wait(), timeout=30)
            # The datagrams of one send are all queued before the loop polls: any other
            # listener told would have been called in the same turn as "other".
            await asyncio.sleep(0)
            return woken
        finally:
            sender.close()
            for listener in listeners:
                listener.close()

    assert asyncio.run(scenario()) == {"deliver": 0, "own": 0, "other": 1}


def test_a_wake_within_the_spacing_is_delivered_after_it_not_lost(tmp_path: Path) -> None:
    async def scenario() -> int:
        woken = 0
        changed = asyncio.Event()

        def on_wake() -> None:
            nonlocal woken
            woken += 1
            changed.set()

        listener = WakeListener(tmp_path, DELIVER, on_wake)
        listener.start()
        sender = WakeSender(tmp_path, DELIVER)
        try:
            sender.wake()
            await asyncio.wait_for(changed.wait(), timeout=30)
            changed.clear()
            sender.wake()  # at once: inside the listener's spacing
            await asyncio.wait_for(changed.wait(), timeout=30)
            return woken
        finally:
            sender.close()
            listener.close()

    assert asyncio.run(scenario()) == 2


def test_a_dead_listeners_socket_is_removed_and_the_live_one_still_woken(tmp_path: Path) -> None:
    dead = tmp_path / "deliver-4242-dead"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as killed:
        killed.bind(str(dead))  # a worker SIGKILLed: its socket file stays, nobody reads it

    async def scenario() -> None:
        woken = asyncio.Event()
        listener = WakeListener(tmp_path, DELIVER, woken.set)
        listener.start()
        sender = WakeSender(tmp_path, DELIVER)
        try:
            sender.wake()
            await asyncio.wait_for(woken.wait(), timeout=30)
        finally:
            sender.close()
            listener.close()

    asyncio.run(scenario())
    assert not dead.exists()


def test_the_directory_is_private_and_named_after_the_database(tmp_path: Path) -> None:
    here = wake_directory(Config(database=str(tmp_path / "a.db")))
    same = wake_directory(Config(database=str(tmp_path / "." / "a.db")))
    other = wake_directory(Config(database=str(tmp_path / "b.db")))
    assert here is not None
    assert here == same
    assert here != other
    assert wake_directory(Config(database=":memory:")) is None  # no other process can share it

    async def listen() -> None:
        listener = WakeListener(here, DELIVER, lambda: None)
        listener.start()
        listener.close()

    asyncio.run(listen())
    assert here.stat().st_mode & 0o777 == 0o700
    assert here.parent.stat().st_mode & 0o077 == 0


@pytest.fixture
def hourly_look(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers look for unannounced jobs once an hour: only a wake-up delivers in a test."""
    monkeypatch.setattr(outbox, "LOOK_SECONDS", 3600.0)


@pytest.fixture
def worker(tmp_path: Path, hourly_look: None) -> Iterator[Config]:
    """A ``switchboard worker`` (its loop in a thread) on a SQLite file; yields the config
    an API-only server on the same file should use."""
    config = Config(
        database=str(tmp_path / "shared.db"),
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
    )
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(run_worker(config, stop),))
    thread.start()
    try:
        yield replace(config, deliver=False)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()


def test_an_api_only_server_wakes_the_worker(worker: Config, receiver: Any) -> None:
    with (
        live_server(worker) as server,
        httpx.Client(base_url=server.base_url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)) as http,
    ):
        http.post(
            f"{API}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"},
        ).raise_for_status()
        sent = http.post("/_sim/inbound", data={"From": "+14155550123", "To": NUMBER, "Body": "hi"})
        sid = sent.json()["sid"]
        webhook = receiver.wait("/sms", timeout=30)  # the worker's look is an hour away
        assert webhook[0].params["MessageSid"] == sid


@pytest.fixture
def hourly_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waiting searches look again for other processes' writes once an hour."""
    monkeypatch.setattr(search, "RECHECK_SECONDS", 3600.0)


def test_the_workers_attempt_wakes_a_search_waiting_on_the_api_server(
    worker: Config, receiver: Any, hourly_recheck: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, waiting = threading.Event(), threading.Event()

    def held(request: Request) -> Reply:
        release.wait(30)  # the attempt is written only once the search waits for it
        return Reply(body=EMPTY_TWIML)

    wait_for_writes = SqlStore.wait_for_writes
    told: list[bool] = []  # per wait of the search: whether a write ended it (not the Wait)

    async def noticed(self: SqlStore, seen: int, seconds: float) -> None:
        waiting.set()
        await wait_for_writes(self, seen, seconds)
        told.append(self.writes() != seen)

    monkeypatch.setattr(SqlStore, "wait_for_writes", noticed)
    url = receiver.route("/sms", held)
    answers: list[httpx.Response] = []
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    with live_server(worker) as server, httpx.Client(base_url=server.base_url, auth=auth) as http:
        http.post(
            f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER, "SmsUrl": url}
        ).raise_for_status()
        sent = http.post("/_sim/inbound", data={"From": "+14155550123", "To": NUMBER, "Body": "hi"})
        sid = sent.json()["sid"]

        def ask() -> None:
            with httpx.Client(base_url=server.base_url, auth=auth, timeout=60) as own:
                answers.append(own.get("/_sim/webhooks", params={"MessageSid": sid, "Wait": 30}))

        asker = threading.Thread(target=ask)
        asker.start()
        assert waiting.wait(30)  # the search found nothing and waits
        release.set()
        asker.join(60)
    assert answers[0].status_code == 200, answers[0].text
    assert [w["message_sid"] for w in answers[0].json()["webhooks"]] == [sid]
    # Told by the worker: without it the search would have found the attempt only when its
    # Wait ran out (its last look) or at the hourly recheck.
    assert told == [True]
