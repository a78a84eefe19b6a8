"""One message's status callbacks go out one at a time, in the order their jobs started."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from switchboard.domain.models import Job
from switchboard.transport import HttpResult
from switchboard.webhooks.delivery import Deliverer, Delivery, Target
from switchboard.webhooks.status import StatusCallbacks

NOW = datetime(2026, 12, 2, tzinfo=UTC)


class SlowFirstDeliverer:
    """Records when each callback starts and ends; the first one waits until released."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release = asyncio.Event()

    async def deliver(
        self, target: Target, params: Mapping[str, str], auth_token: str, token: str
    ) -> Delivery:
        status = params["MessageStatus"]
        self.events.append(f"start {status}")
        if status == "sent":
            await self.release.wait()
        self.events.append(f"end {status}")
        return Delivery(HttpResult(status=200), [])


def _job(job_id: int, message_sid: str, status: str) -> Job:
    payload: dict[str, Any] = {"url": "http://app.test/status", "params": {"MessageStatus": status}}
    return Job(job_id, "status_callback", NOW, payload, "AC1", message_sid, attempts=1)


async def _token(account_sid: str) -> str:
    return "token"


async def test_a_later_status_waits_for_the_earlier_callback_of_its_message() -> None:
    deliverer = SlowFirstDeliverer()
    callbacks = StatusCallbacks(_token, cast(Deliverer, deliverer))
    sent = asyncio.create_task(callbacks.run(_job(1, "SM1", "sent")))
    delivered = asyncio.create_task(callbacks.run(_job(2, "SM1", "delivered")))
    other = asyncio.create_task(callbacks.run(_job(3, "SM2", "delivered")))
    await other  # another message's callbacks are not held up
    for _ in range(5):
        await asyncio.sleep(0)
    assert deliverer.events == ["start sent", "start delivered", "end delivered"]

    deliverer.release.set()
    await asyncio.gather(sent, delivered)
    assert deliverer.events[3:] == ["end sent", "start delivered", "end delivered"]
