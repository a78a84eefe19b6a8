"""`switchboard worker` delivers for API-only nodes (`serve --no-deliver`) on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

NUMBER = "+15555550100"


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_api_only_node_and_a_worker(tmp_path: Path, receiver: Any) -> None:
    database = str(tmp_path / "shared.db")
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
    }
    log = (tmp_path / "processes.log").open("ab")
    command = [sys.executable, "-m", "switchboard"]
    api = subprocess.Popen(
        [*command, "serve", "--no-deliver", "--port", str(port), "--database", database],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: _healthy(base), 60, "the API node")
        with httpx.Client(base_url=base, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)) as http:
            http.post(
                f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
                data={"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"},
            ).raise_for_status()
            sids = [
                http.post(
                    "/_sim/inbound", data={"From": "+14155550123", "To": NUMBER, "Body": str(i)}
                ).json()["sid"]
                for i in range(5)
            ]
            # Nobody delivers yet. (A wait for something not to happen: the second only gives
            # a wrong API node the chance to show itself; a busy machine cannot fail it.)
            time.sleep(1.0)
            assert receiver.values("/sms", "MessageSid") == []
            assert all(_exchange(http, sid)["webhook_pending"] for sid in sids)

            worker = subprocess.Popen(
                [*command, "worker", "--database", database], env=env, stdout=log, stderr=log
            )
            _wait(lambda: set(sids) <= set(receiver.values("/sms", "MessageSid")), 60, "webhooks")
            # The receiver answers before the worker commits the attempt: wait for the commit.
            _wait(
                lambda: not any(_exchange(http, sid)["webhook_pending"] for sid in sids),
                60,
                "the worker to record the webhooks",
            )
            for sid in sids:
                exchange = _exchange(http, sid)
                assert exchange["webhooks"][0]["response"]["status"] == 200
    finally:
        for process in (worker, api):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        log.close()
    assert worker is not None
    assert worker.returncode == 0  # SIGTERM stops it cleanly


def _exchange(http: httpx.Client, sid: str) -> dict[str, Any]:
    exchange: dict[str, Any] = http.get(f"/_sim/messages/{sid}").json()
    return exchange


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
