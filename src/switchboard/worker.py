"""``switchboard worker``: a process that only delivers (the outbox, no HTTP)."""

from __future__ import annotations

import asyncio

from switchboard.compose import compose
from switchboard.config import Config


async def run_worker(config: Config, stop: asyncio.Event) -> None:
    """Run the outbox until ``stop``: webhooks, status callbacks and carrier steps.

    It shares the database with ``switchboard serve`` nodes and claims jobs like they do, so
    adding workers adds delivery capacity without adding API endpoints.
    """
    async with compose(config) as system:
        system.start_delivering()
        await stop.wait()
