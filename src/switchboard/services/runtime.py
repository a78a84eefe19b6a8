"""What every service needs, bundled once by the composition root."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from switchboard.config import Config
from switchboard.domain.sids import SidFactory
from switchboard.ports import Clock, Outbox, Store
from switchboard.wakeup import WakingOutbox


def random_token() -> str:
    return secrets.token_hex(16)


@dataclass
class Runtime:
    store: Store
    clock: Clock
    new_sid: SidFactory
    config: Config
    new_token: Callable[[], str] = random_token
    # Told about every job written, so due work starts without polling (the dispatcher).
    outbox: Outbox = field(default_factory=WakingOutbox)
