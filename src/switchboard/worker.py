"""``switchboard worker``: a process that only delivers (the outbox, no HTTP)."""

from __future__ import annotations

import asyncio

from switchboard.compose import compose
from switchboard.config import Config
from switchboard.heap import settle_server_process


async def run_worker(config: Config, stop: asyncio.Event, *, server_process: bool = False) -> None:
    """Run the outbox until ``stop``: webhooks, status callbacks and carrier steps.

    It shares the database with ``switchboard serve`` nodes and claims jobs like they do, so
    adding workers adds delivery capacity without adding API endpoints. ``server_process``: the
    worker owns its process (``switchboard worker``), whose garbage collector is tuned (heap.py).
    """
    async with compose(config, serves_api=False) as system:
        if server_process:
            settle_server_process()
        system.start_delivering()
        await stop.wait()
