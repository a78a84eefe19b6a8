"""Nodes starting together on one database agree on the main account (no start-up crash)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from switchboard.clock import SystemClock
from switchboard.config import Config
from switchboard.domain.models import WebhookAttempt
from switchboard.domain.sids import SidFactory
from switchboard.services.container import Services
from switchboard.services.runtime import Runtime

ACCOUNT_SID = "AC" + "7" * 32


async def no_replay(attempt: WebhookAttempt) -> list[WebhookAttempt]:
    raise AssertionError("no webhook is replayed here")


async def test_concurrent_bootstraps_share_one_main_account(store: Any) -> None:
    def node(seed: int) -> Services:
        runtime = Runtime(store, SystemClock(), SidFactory(random.Random(seed).randbytes), Config())
        return Services.build(runtime, replay=no_replay)

    results = await asyncio.gather(
        *(
            node(seed).accounts.bootstrap_main_account(ACCOUNT_SID, "shared-token")
            for seed in range(4)
        )
    )
    assert {account.sid for account, _ in results} == {ACCOUNT_SID}
    assert sum(created for _, created in results) == 1
    stored = await store.get_account(ACCOUNT_SID)
    assert stored is not None
    assert stored.auth_token == "shared-token"
