"""The whole server on PostgreSQL: ``--database postgresql://...`` selects PostgresStore."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from switchboard.config import Config
from switchboard.testing import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    LiveServer,
    free_port,
    live_server,
    sdk_client,
)

pytestmark = pytest.mark.postgres


def _send_and_follow(dsn: str) -> None:
    config = Config(database=dsn, account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN)
    with live_server(config) as server:
        client: Any = sdk_client(server)
        client.incoming_phone_numbers.create(phone_number="+14155550100")
        with pytest.raises(TwilioRestException):  # the unique number, enforced by PostgreSQL
            client.incoming_phone_numbers.create(phone_number="+14155550100")
        message = client.messages.create(from_="+14155550100", to="+14155550199", body="hi")
        deadline = time.monotonic() + 15
        while client.messages(message.sid).fetch().status != "delivered":
            assert time.monotonic() < deadline, "the carrier timeline never finished"
            time.sleep(0.05)
        assert [m.sid for m in client.messages.list()] == [message.sid]


async def test_a_message_is_delivered_through_the_postgres_outbox(postgres_dsn: str) -> None:
    await asyncio.to_thread(_send_and_follow, postgres_dsn)


@contextlib.asynccontextmanager
async def _role_limited_to(connections: int, dsn: str) -> AsyncIterator[str]:
    """A login role allowed ``connections`` sessions at once that owns the database at
    ``dsn``; yields its DSN. Its sessions must be closed when this exits: the role's objects
    go back to the admin and the role is dropped."""
    role = f"switchboard_limited_{secrets.token_hex(4)}"
    parts = urlsplit(dsn)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {connections}')
        await admin.execute(f'ALTER DATABASE "{parts.path.lstrip("/")}" OWNER TO "{role}"')
        try:
            yield parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
        finally:
            await admin.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            await admin.execute(f'DROP ROLE "{role}"')
    finally:
        await admin.close()


async def test_a_refused_database_connection_answers_503_and_writes_nothing(
    postgres_database: Any,
) -> None:
    """PostgreSQL at its connection limit: the calls that could not get a connection answer
    Twilio's 20503 with Retry-After (never a 500), none of them wrote anything, and the node
    serves normally once connections are free."""
    async with postgres_database() as dsn, _role_limited_to(3, dsn) as limited:
        config = Config(database=limited, account_sid=TEST_ACCOUNT_SID,
                        auth_token=TEST_AUTH_TOKEN, port=free_port())  # fmt: skip
        server = LiveServer(config)
        await asyncio.to_thread(server.start, 30.0)
        try:
            auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(auth=auth, timeout=60, limits=limits) as http:
                url = f"{server.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
                number = await http.post(
                    f"{url}/IncomingPhoneNumbers.json", data={"PhoneNumber": "+14155550100"}
                )
                assert number.status_code == 201, number.text

                async def inject(index: int) -> httpx.Response:
                    form = {"From": "+14155550123", "To": "+14155550100", "Body": f"n{index}"}
                    return await http.post(f"{server.base_url}/_sim/inbound", data=form)

                async def read(_: int) -> httpx.Response:
                    return await http.get(f"{url}/Messages.json")

                answers = await asyncio.gather(
                    *(call(i) for i in range(40) for call in (inject, read))
                )
                refused = [a for a in answers if a.status_code == 503]
                assert {a.status_code for a in answers} <= {200, 201, 503}, [
                    (a.status_code, a.text) for a in answers if a.status_code not in (200, 201, 503)
                ]
                assert refused, "the connection limit was never reached"
                for answer in refused:
                    assert answer.json() == {
                        "code": 20503,
                        "message": "Service unavailable",
                        "more_info": "https://www.twilio.com/docs/errors/20503",
                        "status": 503,
                    }
                    assert answer.headers["Retry-After"] == "1"

                # What was answered 201 is stored, and nothing else: refused calls wrote nothing.
                accepted = {a.json()["body"] for a in answers if a.status_code == 201}
                stored = await http.get(f"{url}/Messages.json", params={"PageSize": 1000})
                assert stored.status_code == 200, stored.text
                assert {m["body"] for m in stored.json()["messages"]} == accepted
                # And the node goes on: calls one at a time all succeed.
                for index in range(40, 45):
                    assert (await inject(index)).status_code == 201
        finally:
            await asyncio.to_thread(server.stop)
