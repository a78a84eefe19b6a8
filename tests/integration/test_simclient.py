"""SimClient and AsyncSimClient against a live server: every /_sim route, and the errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from switchboard.clock import VirtualClock
from switchboard.simclient import AsyncSimClient, ServerUnreachable, SimClient, SimError
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port, live_server

NUMBER = "+15555550100"
HANDSET = "+14155550123"
NUMBERS = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json"
MISSING = "SM" + "0" * 32


def first_attempt(sim: SimClient, message_sid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        attempts: list[dict[str, Any]] = sim.webhooks(message_sid, limit=10)["webhooks"]
        if attempts:
            return attempts[0]
        assert time.monotonic() < deadline, "no webhook attempt was recorded"
        time.sleep(0.05)


def test_every_control_route_through_the_blocking_client() -> None:
    dead = f"http://127.0.0.1:{free_port()}/sms"
    with (
        live_server(clock=VirtualClock()) as server,
        SimClient(server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim,
    ):
        sim.request("POST", NUMBERS, data={"PhoneNumber": NUMBER, "SmsUrl": dead})
        message = sim.inbound(HANDSET, NUMBER, "hi", media_urls=["https://example.com/a.jpg"])
        assert (message["from"], message["to"], message["body"]) == (HANDSET, NUMBER, "hi")
        assert message["num_media"] == "1"
        assert sim.exchange(message["sid"])["message"]["sid"] == message["sid"]

        attempt = first_attempt(sim, message["sid"])
        assert attempt["error_code"] == 11205  # nothing listens at the SMS URL
        assert sim.webhook(attempt["sid"]) == attempt
        replayed = sim.replay(attempt["sid"])["webhooks"]
        assert replayed
        assert {a["kind"] for a in replayed} == {"replay"}

        rule = {"to": "+1555*", "outcome": "undelivered", "error_code": 30003}
        [added] = sim.add_scenario(rule)["scenarios"]
        assert sim.scenarios()["scenarios"] == [added]
        assert len(sim.replace_scenarios([rule, rule])["scenarios"]) == 2
        assert sim.clear_scenarios()["scenarios"] == []

        before = sim.clock()["now"]
        moved = sim.update_clock(advance=3600)
        assert moved["now"] > before
        assert sim.update_clock(to="2030-01-02T03:04:05Z")["now"].startswith("2030-01-02")

        assert sim.reset(keep_numbers=True)["kept_numbers"] is True
        assert sim.request("GET", NUMBERS)["incoming_phone_numbers"] != []
        assert sim.reset(keep_numbers=False)["kept_numbers"] is False
        assert sim.request("GET", NUMBERS)["incoming_phone_numbers"] == []


def test_an_error_answer_carries_twilios_error_json() -> None:
    with live_server() as server:
        with (
            SimClient(server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim,
            pytest.raises(SimError) as missing,
        ):
            sim.exchange(MISSING)
        with (
            SimClient(server.base_url, TEST_ACCOUNT_SID, "wrong") as sim,
            pytest.raises(SimError) as refused,
        ):
            sim.webhooks()
    assert missing.value.status == 404
    assert missing.value.code == 20404
    assert set(missing.value.body) >= {"code", "message", "more_info", "status"}
    assert str(missing.value).endswith("(error 20404, HTTP 404)")
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_a_server_that_is_not_there_is_unreachable() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with (
        SimClient(nowhere, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim,
        pytest.raises(ServerUnreachable, match=f"cannot reach switchboard at {nowhere}") as sync,
    ):
        sim.clock()
    # The cause's own words, not only its type: a refused connection says so.
    assert str(sync.value).endswith("(ConnectError: [Errno 111] Connection refused)")

    async def unreachable() -> None:
        async with AsyncSimClient(nowhere, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
            await sim.clock()

    with pytest.raises(ServerUnreachable, match=f"cannot reach switchboard at {nowhere}") as aio:
        asyncio.run(unreachable())
    assert "Connect call failed" in str(aio.value), str(aio.value)


def test_the_async_client_sends_the_same_requests() -> None:
    with live_server() as server:
        with SimClient(server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
            sim.request("POST", NUMBERS, data={"PhoneNumber": NUMBER})

        async def drive() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            async with AsyncSimClient(
                server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, limit=4
            ) as sim:
                sent = await asyncio.gather(
                    *(sim.inbound(HANDSET, NUMBER, f"n{i}", FromCity="OAKLAND") for i in range(8))
                )
                exchanges = await asyncio.gather(*(sim.exchange(m["sid"]) for m in sent))
                with pytest.raises(SimError) as missing:
                    await sim.exchange(MISSING)
                assert missing.value.code == 20404
                return list(sent), list(exchanges)

        sent, exchanges = asyncio.run(drive())
    assert sorted(m["body"] for m in sent) == [f"n{i}" for i in range(8)]
    assert [e["message"]["sid"] for e in exchanges] == [m["sid"] for m in sent]


def test_the_async_client_never_reuses_a_connection_its_server_has_closed() -> None:
    """The server closes a connection idle for 5 s. A client whose event loop is busy reads that
    close late; sending a POST (which aiohttp does not retry) on that connection then would fail
    with "server disconnected" although the server is up."""
    with live_server() as server:

        async def drive() -> dict[str, Any]:
            async with AsyncSimClient(server.base_url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
                await sim.request("POST", NUMBERS, data={"PhoneNumber": NUMBER})
                # The loop is busy (blocked) through the server's keep-alive time: the close
                # arrives but is not read before the next request picks a connection.
                time.sleep(5.5)  # noqa: ASYNC251 (blocking the loop is the point)
                return await sim.inbound(HANDSET, NUMBER, "after a pause")

        assert asyncio.run(drive())["body"] == "after a pause"
