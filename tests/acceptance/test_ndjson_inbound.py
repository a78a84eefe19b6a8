"""``POST /_sim/inbound`` with ``application/x-ndjson``: many handset messages in one request,
answered line by line, in order, while the body is still arriving (docs/webhooks.md).

Against ``switchboard serve`` in a subprocess over real HTTP, with the test receiver as the app.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import orjson

from cli_helpers import wait_for_log
from switchboard.simclient import (
    AsyncSimClient,
    ServerUnreachable,
    SimClient,
    SimError,
    StreamEnded,
    inbound_fields,
)
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

NUMBER = "+15555550100"
SUB_NUMBER = "+15555550101"
HANDSET = "+14155550123"
API = "/2010-04-01/Accounts"
NDJSON = {"Content-Type": "application/x-ndjson"}
ERROR_KEYS = {"code", "message", "more_info", "status"}


def start(server_process: Any, receiver: Any) -> Any:
    server = server_process.start()
    with server.http() as http:
        number = {"PhoneNumber": NUMBER, "SmsUrl": f"{receiver.base_url}/sms"}
        created = http.post(f"{API}/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json", data=number)
        assert created.status_code == 201, created.text
    return server


def lines(*documents: Any) -> bytes:
    return b"".join(d if isinstance(d, bytes) else orjson.dumps(d) + b"\n" for d in documents)


def answers(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


def message(body: str, **more: Any) -> dict[str, Any]:
    return {"From": HANDSET, "To": NUMBER, "Body": body, **more}


async def open_chunked_stream(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw connection with the head of an NDJSON ``POST /_sim/inbound`` written: its body
    goes in chunks the test writes (and may never end)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = aiohttp.encode_basic_auth(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    writer.write(
        f"POST /_sim/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n"
        "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    )
    return reader, writer


def test_answers_in_order_with_a_bad_line_answering_its_own_error(
    server_process: Any, receiver: Any
) -> None:
    server = start(server_process, receiver)
    too_long = orjson.dumps(message("x" * 70_000)) + b"\n"
    body = lines(
        message("one"),
        b"{not json\n",
        message(
            "two",
            MediaUrl=["https://example.com/a.jpg", "https://example.com/b.png"],
            MediaContentType=["image/jpeg", "image/png"],
            ProfileName="Ada",
        ),
        b"[1, 2]\n",
        message("three", From="whatsapp:+14155550123"),  # not an SMS handset
        b"\r\n",  # blank: no answer
        message("four", To="+15555550199"),  # not a number of this account
        too_long,
        message("five"),
    )
    with server.http() as http:
        answered = answers(http.post("/_sim/inbound", content=body, headers=NDJSON))
        assert len(answered) == 8
        good = [answered[i] for i in (0, 2, 7)]
        assert [a["body"] for a in good] == ["one", "two", "five"]
        assert good[1]["num_media"] == "2"
        assert good[1]["sid"].startswith("MM")
        errors = [answered[i] for i in (1, 3, 4, 5, 6)]
        assert all(set(e) == ERROR_KEYS for e in errors), errors
        assert [(e["code"], e["status"]) for e in errors] == [
            (21000, 400),
            (21000, 400),
            (21212, 400),
            (21211, 404),
            (21000, 413),
        ]
        assert errors[3]["message"] == "+15555550199 is not a phone number of this account"
        assert errors[0]["more_info"] == "https://www.twilio.com/docs/errors/21000"
        # Each answer is the stored message, exactly as the assertion API shows it.
        for answer in good:
            assert http.get(f"/_sim/messages/{answer['sid']}").json()["message"] == answer
        stored = http.get("/_sim/messages").json()["messages"]
        assert sorted(m["body"] for m in stored) == ["five", "one", "two"]
    webhooks = receiver.wait("/sms", 3)
    assert sorted(w.params["Body"] for w in webhooks) == ["five", "one", "two"]
    media = next(w for w in webhooks if w.params["Body"] == "two")
    assert media.params["ProfileName"] == "Ada"
    assert media.params.getall("MediaContentType0") == ["image/jpeg"]
    assert media.params["MediaContentType1"] == "image/png"


def test_a_line_answers_what_the_form_version_answers(server_process: Any, receiver: Any) -> None:
    server = start(server_process, receiver)
    fields = message("same", FromCity="OAKLAND", MediaUrl="https://example.com/a.jpg")
    with server.http() as http:
        form = http.post("/_sim/inbound", data=fields)
        assert form.status_code == 201, form.text
        (line,) = answers(http.post("/_sim/inbound", content=lines(fields), headers=NDJSON))
        bad_form = http.post("/_sim/inbound", data=message("x", To="+15555550199"))
        nobody = lines(message("x", To="+15555550199"))
        (bad_line,) = answers(http.post("/_sim/inbound", content=nobody, headers=NDJSON))
    expected, got = form.json(), line
    varying = {"sid", "uri", "subresource_uris", "date_created", "date_updated", "date_sent"}
    assert set(got) == set(expected)
    assert {k: v for k, v in got.items() if k not in varying} == {
        k: v for k, v in expected.items() if k not in varying
    }
    assert bad_line == bad_form.json()


def test_credentials_are_checked_before_any_line_and_lines_are_scoped_to_the_caller(
    server_process: Any, receiver: Any
) -> None:
    server = start(server_process, receiver)
    body = lines(message("hello"))
    with server.http() as http:
        wrong = httpx.post(
            f"{server.url}/_sim/inbound",
            content=body,
            headers=NDJSON,
            auth=(TEST_ACCOUNT_SID, "wrong"),
        )
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == "application/json"
        assert wrong.headers["www-authenticate"] == 'Basic realm="Twilio API"'
        assert wrong.json()["code"] == 20003
        missing = httpx.post(f"{server.url}/_sim/inbound", content=body, headers=NDJSON)
        assert missing.status_code == 401
        assert http.get("/_sim/messages").json()["messages"] == []

        sub = http.post(f"{API}.json", data={"FriendlyName": "tenant"}).json()
        sub_auth = (sub["sid"], sub["auth_token"])
        created = httpx.post(
            f"{server.url}{API}/{sub['sid']}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": SUB_NUMBER},
            auth=sub_auth,
        )
        assert created.status_code == 201, created.text
        key = http.post(f"{API}/{TEST_ACCOUNT_SID}/Keys.json", data={"FriendlyName": "k"}).json()
        to_both = lines(message("main's"), message("sub's", To=SUB_NUMBER))

        # The main account's own credentials reach its subaccount's number.
        as_main = answers(http.post("/_sim/inbound", content=to_both, headers=NDJSON))
        assert [a["account_sid"] for a in as_main] == [TEST_ACCOUNT_SID, sub["sid"]]
        # The subaccount reaches only its own; an API key only its account's.
        as_sub = answers(
            httpx.post(f"{server.url}/_sim/inbound", content=to_both, headers=NDJSON, auth=sub_auth)
        )
        assert (as_sub[0]["code"], as_sub[0]["status"]) == (21211, 404)
        assert as_sub[1]["account_sid"] == sub["sid"]
        as_key = answers(
            httpx.post(
                f"{server.url}/_sim/inbound",
                content=to_both,
                headers=NDJSON,
                auth=(key["sid"], key["secret"]),
            )
        )
        assert as_key[0]["account_sid"] == TEST_ACCOUNT_SID
        assert (as_key[1]["code"], as_key[1]["status"]) == (21211, 404)

        # A suspended subaccount: its own credentials are refused up front; the main account
        # injecting to its number gets that line refused, and the others still go through.
        suspended = http.post(f"{API}/{sub['sid']}.json", data={"Status": "suspended"})
        assert suspended.status_code == 200, suspended.text
        refused = httpx.post(
            f"{server.url}/_sim/inbound", content=to_both, headers=NDJSON, auth=sub_auth
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == 10001
        mixed = answers(http.post("/_sim/inbound", content=to_both, headers=NDJSON))
        assert mixed[0]["account_sid"] == TEST_ACCOUNT_SID
        assert (mixed[1]["code"], mixed[1]["status"]) == (10001, 403)
    assert len(receiver.wait("/sms", 3)) == 3  # main's number: as_main, as_key, mixed


def test_the_first_answer_arrives_before_the_body_is_finished(
    server_process: Any, receiver: Any
) -> None:
    server = start(server_process, receiver)

    async def run() -> list[dict[str, Any]]:
        first_read = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            yield lines(message("first"))
            # The rest of the body waits until the first line's answer has been read.
            await first_read.wait()
            yield lines(message("second"), message("third"))

        auth = {"Authorization": aiohttp.encode_basic_auth(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)}
        got: list[dict[str, Any]] = []
        async with (
            aiohttp.ClientSession(headers=auth) as session,
            session.post(f"{server.url}/_sim/inbound", data=body(), headers=NDJSON) as response,
        ):
            assert response.status == 200
            first = json.loads(await asyncio.wait_for(response.content.readline(), 30))
            got.append(first)
            # Answered means stored: the assertion API finds it while the request goes on.
            async with session.get(f"{server.url}/_sim/messages/{first['sid']}") as stored:
                assert (await stored.json())["message"]["body"] == "first"
            first_read.set()
            got += [json.loads(line) async for line in response.content if line.strip()]
        return got

    got = asyncio.run(run())
    assert [a["body"] for a in got] == ["first", "second", "third"]
    assert len(receiver.wait("/sms", 3)) == 3


def test_sim_clients_stream(server_process: Any, receiver: Any) -> None:
    server = start(server_process, receiver)
    batch = [inbound_fields(HANDSET, NUMBER, f"sync {n}") for n in range(3)]
    batch.insert(1, inbound_fields(HANDSET, "+15555550199", "nobody's"))
    with SimClient(server.url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
        got = list(sim.inbound_stream(batch))
    assert isinstance(got[1], SimError)
    assert (got[1].code, got[1].status) == (21211, 404)
    assert [a["body"] for a in got if not isinstance(a, SimError)] == ["sync 0", "sync 1", "sync 2"]

    async def paced() -> AsyncIterator[dict[str, Any]]:
        for n in range(200):
            yield inbound_fields(HANDSET, NUMBER, f"async {n}", media_urls=())
            if n % 50 == 0:
                await asyncio.sleep(0)

    async def run() -> list[Any]:
        async with AsyncSimClient(server.url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
            return [answer async for answer in sim.inbound_stream(paced())]

    streamed = asyncio.run(run())
    assert [a["body"] for a in streamed] == [f"async {n}" for n in range(200)]
    assert len(receiver.wait("/sms", 203)) == 203


def test_load_goes_through_one_stream(server_process: Any, receiver: Any) -> None:
    server = start(server_process, receiver)

    def load(*more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "switchboard",
                "load",
                "--to",
                NUMBER,
                "--count",
                "30",
                "--url",
                server.url,
                "--account-sid",
                TEST_ACCOUNT_SID,
                "--auth-token",
                TEST_AUTH_TOKEN,
                *more,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def seen(log: str) -> int:
        return sum("/_sim/inbound" in line for line in log.splitlines())

    def inbound_requests(count: int) -> int:
        """How many requests to /_sim/inbound the server's log shows, once it shows ``count``."""
        return seen(wait_for_log(server, lambda log: seen(log) >= count))

    streamed = load("--rate", "100", "--json")
    assert streamed.returncode == 0, streamed.stdout + streamed.stderr
    report = json.loads(streamed.stdout)
    assert report["messages_sent"] == 30
    assert report["webhook_attempts"] == 30
    assert report["send_errors"] == {}
    # The first message alone (it stops a doomed run at once), the other 29 in one request.
    assert inbound_requests(2) == 2
    assert len(receiver.values("/sms", "From")) == 30

    per_message = load("--rate", "0", "--per-message", "--concurrency", "4")
    assert per_message.returncode == 0, per_message.stdout + per_message.stderr
    assert "Messages sent     30 in" in per_message.stdout
    assert inbound_requests(2 + 30) == 2 + 30


def test_a_client_hanging_up_mid_stream_keeps_what_was_answered(
    server_process: Any, receiver: Any
) -> None:
    server = start(server_process, receiver)

    async def run() -> None:
        reader, writer = await open_chunked_stream(server.port)
        body = lines(message("a"), message("b")) + b'{"From": "+1415555'  # the third cut short
        writer.write(f"{len(body):x}\r\n".encode() + body + b"\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        assert head.startswith(b"HTTP/1.1 200")
        answered = b""
        while answered.count(b'"sid"') < 2:
            answered += await asyncio.wait_for(reader.read(65536), 30)
        writer.close()  # mid-line, mid-request

    asyncio.run(run())
    assert len(receiver.wait("/sms", 2)) == 2
    with server.http() as http:
        assert sorted(m["body"] for m in http.get("/_sim/messages").json()["messages"]) == [
            "a",
            "b",
        ]
        assert http.get("/healthz").status_code == 200
    log = server.log.read_text()
    assert "Traceback" not in log, log


def test_a_shutdown_ends_an_open_stream_and_keeps_what_was_answered(
    server_process: Any, receiver: Any
) -> None:
    """SIGTERM while a client keeps its stream open: the answers end cleanly after the lines
    taken, the server exits instead of waiting for the client, and what was answered stays."""
    server = start(server_process, receiver)

    async def run() -> bytes:
        reader, writer = await open_chunked_stream(server.port)
        body = lines(message("a"), message("b"))
        writer.write(f"{len(body):x}\r\n".encode() + body + b"\r\n")  # and no end of body
        await writer.drain()
        answered = b""
        while answered.count(b'"sid"') < 2:
            answered += await asyncio.wait_for(reader.read(65536), 30)
        assert server.process is not None
        server.process.terminate()
        # The rest of the answer, up to the server closing the connection.
        answered += await asyncio.wait_for(reader.read(), 30)
        writer.close()
        return answered

    answered = asyncio.run(run())
    assert answered.startswith(b"HTTP/1.1 200")
    assert answered.endswith(b"0\r\n\r\n"), answered  # the chunked body's proper end
    assert server.process is not None
    # Exited, after its graceful shutdown (uvicorn re-raises the SIGTERM it handled: -15).
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    log = server.log.read_text()
    assert "switchboard stopped" in log, log
    assert "Traceback" not in log, log

    server.start()
    with server.http() as http:
        stored = http.get("/_sim/messages").json()["messages"]
    assert sorted(m["body"] for m in stored) == ["a", "b"]


def test_the_async_sim_client_says_when_a_shutdown_ended_its_stream(
    server_process: Any, receiver: Any
) -> None:
    server = start(server_process, receiver)

    async def run() -> tuple[list[Any], StreamEnded]:
        never = asyncio.Event()

        async def paced() -> AsyncIterator[dict[str, Any]]:
            yield inbound_fields(HANDSET, NUMBER, "one", media_urls=())
            yield inbound_fields(HANDSET, NUMBER, "two", media_urls=())
            await never.wait()  # more to come, but not before the server stops
            yield inbound_fields(HANDSET, NUMBER, "never sent", media_urls=())

        got: list[Any] = []
        async with AsyncSimClient(server.url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN) as sim:
            try:
                async for answer in sim.inbound_stream(paced()):
                    got.append(answer)
                    if len(got) == 2:
                        assert server.process is not None
                        server.process.terminate()
            except StreamEnded as ended:
                return got, ended
        raise AssertionError("the stream ended without saying so")

    got, ended = asyncio.run(run())
    assert [a["body"] for a in got] == ["one", "two"]
    assert ended.answered == 2
    assert "shutting down" in str(ended)


async def _silent_server(answer_head: bool) -> tuple[asyncio.Server, list[bytes]]:
    """A server that takes an NDJSON POST and then never answers a line: it reads what comes
    (kept in the list) and, if ``answer_head``, starts a chunked 200 answer first."""
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer_head:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            await writer.drain()
        while chunk := await reader.read(65536):
            received.append(chunk)
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0), received


def test_the_async_sim_client_gives_up_on_a_server_that_stops_answering() -> None:
    """Lines sent and no answer coming back for the client's timeout: ServerUnreachable, not a
    stream held open for ever (before, it waited as long as the server did)."""

    async def run(answer_head: bool) -> tuple[ServerUnreachable, list[bytes]]:
        server, received = await _silent_server(answer_head)
        port = server.sockets[0].getsockname()[1]
        fields = [inbound_fields(HANDSET, NUMBER, f"m{i}", media_urls=()) for i in range(3)]
        async with (
            server,
            AsyncSimClient(
                f"http://127.0.0.1:{port}", TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, timeout=0.5
            ) as sim,
        ):
            try:  # the guard only bounds a failing test; the client's own timeout is 0.5 s
                async with asyncio.timeout(30):
                    async for _ in sim.inbound_stream(fields):
                        raise AssertionError("the silent server answered")
            except ServerUnreachable as error:
                return error, received
        raise AssertionError("the stream ended without an error")

    for answer_head in (True, False):
        error, received = asyncio.run(run(answer_head))
        assert isinstance(error.cause, TimeoutError), error.cause
        if answer_head:  # the lines went out; the answer started and then said nothing
            assert b"m2" in b"".join(received)
            assert str(error.cause) == "no answer within 0.5 s while 3 sent lines waited"


def test_a_paced_stream_may_pause_longer_than_the_timeout_between_lines(
    server_process: Any, receiver: Any
) -> None:
    """Time with every sent line answered is the sender's own: only unanswered lines count."""
    server = start(server_process, receiver)

    async def run() -> list[Any]:
        async def paced() -> AsyncIterator[dict[str, Any]]:
            for body in ("first", "after a pause"):
                yield inbound_fields(HANDSET, NUMBER, body, media_urls=())
                await asyncio.sleep(1.5)  # the pacing under test: three times the timeout

        async with AsyncSimClient(
            server.url, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, timeout=0.5
        ) as sim:
            return [answer async for answer in sim.inbound_stream(paced())]

    assert [a["body"] for a in asyncio.run(run())] == ["first", "after a pause"]
