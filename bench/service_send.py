"""Benchmark: the store work a send through a Messaging Service adds to a send from a number.

A send with ``From`` is created ``queued`` and goes straight to the carrier. A send with
``MessagingServiceSid`` and no ``From`` is created ``accepted``; its first carrier step reads
the service, the pool, the recipient's sticky mapping and the scenarios, records the decision
(and the mapping) and moves the message to ``queued``. This script runs both in one process on
a SQLite file (no HTTP: that part is the same for both), counts the statements each send runs
through the store's connector, by name, and times each part, alternating the kinds so that a
busy machine slows both alike.

    python bench/service_send.py --count 300
    python bench/service_send.py --count 300 --pool 20    # a bigger pool

Prints, per kind: statements per send (reads outside transactions, statements inside write
transactions, transactions) for the create call and for the sender-choosing step, and the
median time of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from switchboard.compose import compose
from switchboard.config import Config
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Account
from switchboard.services.container import Services
from switchboard.services.messages import CreateMessage
from switchboard.storage.connector import Connector, Statements
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

T = TypeVar("T")


class Counted:
    """Statements by name: ``read:<name>`` outside a transaction, ``tx:<name>`` inside one."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def take(self) -> Counter[str]:
        seen, self.seen = self.seen, Counter()
        return seen


class CountingStatements:
    def __init__(self, inner: Statements, counted: Counted, prefix: str) -> None:
        self._inner, self._counted, self._prefix = inner, counted, prefix

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if name not in ("execute", "execute_many", "insert", "fetch_one", "fetch_all"):
            return method

        async def counted(query: str, *args: Any) -> Any:
            # execute_many runs its statement once per parameter set (none for an empty list).
            runs = len(args[0]) if name == "execute_many" else 1
            if runs:
                self._counted.seen[f"{self._prefix}:{query}"] += runs
            return await method(query, *args)

        return counted


class CountingConnector:
    """The store's connector, counting what goes through it (the bench's only change)."""

    def __init__(self, inner: Connector, counted: Counted) -> None:
        self._inner, self._counted = inner, counted

    @property
    def queries(self) -> Mapping[str, str]:
        return self._inner.queries

    async def execute(self, name: str, params: Mapping[str, Any]) -> int:
        self._counted.seen[f"write:{name}"] += 1
        return await self._inner.execute(name, params)

    async def fetch_one(self, name: str, params: Mapping[str, Any]) -> Any:
        self._counted.seen[f"read:{name}"] += 1
        return await self._inner.fetch_one(name, params)

    async def fetch_all(self, name: str, params: Mapping[str, Any]) -> list[Any]:
        self._counted.seen[f"read:{name}"] += 1
        return await self._inner.fetch_all(name, params)

    async def transaction(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        self._counted.seen["transaction"] += 1
        return await self._inner.transaction(
            lambda tx: work(CountingStatements(tx, self._counted, "tx"))
        )

    async def snapshot(self, work: Callable[[Statements], Awaitable[T]]) -> T:
        self._counted.seen["snapshot"] += 1
        return await self._inner.snapshot(
            lambda tx: work(CountingStatements(tx, self._counted, "read"))
        )

    async def close(self) -> None:
        await self._inner.close()


async def setup(services: Services, pool: int) -> tuple[Account, str, str]:
    """The main account, a service whose pool holds ``pool`` numbers (one of them 415), and
    the number a direct send goes from."""
    account, _ = await services.accounts.bootstrap_main_account(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    service = await services.messaging_services.create(account, {"FriendlyName": "bench"})
    numbers = [f"+1{area}5550100" for area in range(201, 201 + pool - 1)] + ["+14155550100"]
    for raw in numbers:
        number = await services.numbers.create(account, {"PhoneNumber": raw})
        await services.messaging_services.add_number(account, service.sid, number.sid)
    direct = await services.numbers.create(account, {"PhoneNumber": "+14155550999"})
    return account, service.sid, direct.phone_number


async def one_send(
    services: Services, counted: Counted, account: Account, request: CreateMessage
) -> tuple[Counter[str], float, Counter[str], float]:
    """Create one message, then run its first carrier step when it is the sender choice."""
    store = services.runtime.store
    counted.take()
    started = time.perf_counter()
    message = await services.messages.create(account, request)
    created = time.perf_counter() - started
    create_counts = counted.take()
    step_counts: Counter[str] = Counter()
    step = 0.0
    if message.status is MessageStatus.ACCEPTED:
        jobs = await store.claim_jobs(services.runtime.clock.now(), 100, 60)
        (job,) = [j for j in jobs if j.message_sid == message.sid and j.kind == "carrier"]
        counted.take()
        started = time.perf_counter()
        outcome = await services.timeline.advance(job, message)
        await store.finish_job(job, outcome)
        step = time.perf_counter() - started
        step_counts = counted.take()
        (updated,) = outcome.message_updates
        assert updated.status is MessageStatus.QUEUED, updated
    return create_counts, created, step_counts, step


def summary(name: str, counts: Sequence[Counter[str]], times: Sequence[float]) -> str:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    n = len(counts)
    reads = sum(v for k, v in total.items() if k.startswith(("read:", "write:"))) / n
    in_tx = sum(v for k, v in total.items() if k.startswith("tx:")) / n
    txs = total["transaction"] / n
    detail = ", ".join(f"{k} {v / n:g}" for k, v in sorted(total.items()))
    median = statistics.median(times) * 1000 if times else 0.0
    return (
        f"{name}: {reads:g} single statements + {txs:g} transactions ({in_tx:g} statements),"
        f" median {median:.3f} ms\n    {detail}"
    )


async def run(count: int, pool: int) -> None:
    with tempfile.TemporaryDirectory(prefix="switchboard-service-send-") as workdir:
        config = Config(database=str(Path(workdir) / "bench.db"), deliver=False)
        async with compose(config) as system:
            store: Any = system.store
            counted = Counted()
            store._db = CountingConnector(store._db, counted)  # the bench's probe
            services = system.services
            account, service, direct = await setup(services, pool)
            kinds = {
                "direct (From)": lambda i: CreateMessage(
                    to=f"+1415555{i:04d}", from_=direct, body="bench"
                ),
                "service (MessagingServiceSid)": lambda i: CreateMessage(
                    to=f"+1415555{i:04d}", messaging_service_sid=service, body="bench"
                ),
            }
            results: dict[str, list[tuple[Counter[str], float, Counter[str], float]]] = {
                k: [] for k in kinds
            }
            for i in range(count):  # alternate, so load drifts hit both alike
                for name, make in kinds.items():
                    results[name].append(await one_send(services, counted, account, make(i)))
            warm = count // 10  # leave out the first sends (caches, the first page of SQLite)
            for name, rows in results.items():
                rows = rows[warm:]
                counts, times = [r[0] for r in rows], [r[1] for r in rows]
                print(summary(f"{name} create", counts, times))
                if any(r[2] for r in rows):
                    counts, times = [r[2] for r in rows], [r[3] for r in rows]
                    print(summary(f"{name} sender step", counts, times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--pool", type=int, default=5, help="numbers in the service's pool")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.pool))


if __name__ == "__main__":
    main()
