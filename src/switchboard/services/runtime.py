"""What every service needs, bundled once by the composition root."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from switchboard.config import Config
from switchboard.domain.models import NewJob
from switchboard.domain.sids import SidFactory
from switchboard.ports import Clock, JobClaim, Outbox, Store


def random_token() -> str:
    return secrets.token_hex(16)


class NoOutbox:
    """The outbox of a process that delivers nothing itself (``serve --no-deliver``): the jobs
    it writes wait in the database for the processes that do."""

    @contextlib.contextmanager
    def handoff(self, jobs: Sequence[NewJob]) -> Iterator[JobClaim | None]:
        yield None

    def wake(self) -> None:
        pass


@dataclass
class Runtime:
    store: Store
    clock: Clock
    new_sid: SidFactory
    config: Config
    new_token: Callable[[], str] = random_token
    # Told about every job written, so due work starts without polling (the dispatcher).
    outbox: Outbox = field(default_factory=NoOutbox)
