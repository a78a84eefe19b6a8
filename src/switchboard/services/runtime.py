"""What every service needs, bundled once by the composition root."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from switchboard.config import Config
from switchboard.domain.sids import SidFactory
from switchboard.ports import Clock, Store


def random_token() -> str:
    return secrets.token_hex(16)


@dataclass
class Runtime:
    store: Store
    clock: Clock
    new_sid: SidFactory
    config: Config
    new_token: Callable[[], str] = random_token
    # Called after work was added to the outbox, so the dispatcher wakes without polling.
    on_new_jobs: Callable[[], None] = field(default=lambda: None)
