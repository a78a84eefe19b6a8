"""The carrier's scenario book: rules stored in the database, cached briefly per process.

Rules belong to an account. The main account's rules are shared: they apply to every account's
messages. A subaccount's rules apply only to its own messages, and are checked before the
shared ones, so each tenant (a test suite on its own subaccount) can shape its carrier without
touching anyone else's. A subaccount's stored rules carry its SID under ``OWNER``; the shared
rules carry none (so rules stored before accounts owned them stay shared).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from switchboard.carrier.scenarios import Scenario, parse_scenario
from switchboard.config import DEFAULTS
from switchboard.domain.errors import TwilioError
from switchboard.ports import Store

OWNER = "account_sid"  # a stored rule's owning subaccount (a rule a client sends cannot set it)

Documents = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Rule:
    owner: str | None  # None: shared
    scenario: Scenario
    document: dict[str, Any]  # as the client sent it


def _rule(stored: Mapping[str, Any]) -> _Rule:
    document = {k: v for k, v in stored.items() if k != OWNER}
    return _Rule(stored.get(OWNER), parse_scenario(document), document)


class ScenarioBook:
    def __init__(
        self, store: Store, *, cache_seconds: float = DEFAULTS.scenario_cache_seconds
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds  # other processes' changes are seen within this long
        self._cached: tuple[float, list[_Rule]] | None = None
        self._writing = asyncio.Lock()  # one read-modify-write at a time in this process

    async def scenarios(self, account_sid: str) -> list[Scenario]:
        """The rules for a message of ``account_sid``, in matching order: its own, then shared."""
        rules = await self._load()
        own = [r.scenario for r in rules if r.owner == account_sid]
        return own + [r.scenario for r in rules if r.owner is None]

    async def documents(self, owner: str | None) -> Documents:
        """The rules ``owner`` set (None: the shared ones), as they were sent."""
        return [r.document for r in await self._load() if r.owner == owner]

    async def _load(self) -> list[_Rule]:
        now = time.monotonic()
        if self._cached is None or self._cached[0] < now:
            rules = [_rule(stored) for stored in await self._store.list_scenarios()]
            self._cached = (now + self._cache_seconds, rules)
        return self._cached[1]

    @staticmethod
    def validate(documents: Sequence[Mapping[str, Any]]) -> Documents:
        checked = []
        for index, document in enumerate(documents):
            if not isinstance(document, Mapping):
                raise TwilioError(21000, f"scenario {index} must be a JSON object")
            try:
                parse_scenario(document)
            except ValueError as error:
                raise TwilioError(21000, f"scenario {index}: {error}") from None
            checked.append(dict(document))
        return checked

    async def replace(
        self, documents: Sequence[Mapping[str, Any]], owner: str | None = None
    ) -> Documents:
        """Replace ``owner``'s rules (None: the shared ones); other accounts' stay."""
        checked = self.validate(documents)
        return await self._rewrite(owner, lambda _: checked)

    async def add(self, document: Mapping[str, Any], owner: str | None = None) -> Documents:
        """Append one rule to ``owner``'s; answers all of ``owner``'s rules."""
        checked = self.validate([document])
        return await self._rewrite(owner, lambda own: [*own, *checked])

    async def _rewrite(
        self, owner: str | None, change: Callable[[Documents], Documents]
    ) -> Documents:
        async with self._writing:
            # Read afresh, not from the cache: another process may have changed its rules since.
            stored = await self._store.list_scenarios()
            others = [doc for doc in stored if doc.get(OWNER) != owner]
            own = [_rule(doc).document for doc in stored if doc.get(OWNER) == owner]
            changed = change(own)
            tagged = [doc if owner is None else {**doc, OWNER: owner} for doc in changed]
            await self._store.replace_scenarios([*others, *tagged])
            self._cached = None
        return changed
