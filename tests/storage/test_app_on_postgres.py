"""The whole server on PostgreSQL: ``--database postgresql://...`` selects PostgresStore."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from switchboard.config import Config
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, live_server, sdk_client

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
