"""The carrier's scenario book: rules stored in the database, cached briefly per process."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from switchboard.carrier.scenarios import Scenario, parse_scenario
from switchboard.domain.errors import TwilioError
from switchboard.ports import Store

CACHE_SECONDS = 1.0  # other processes' changes are seen within this long


class ScenarioBook:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cached: tuple[float, list[Scenario], list[dict[str, Any]]] | None = None

    async def scenarios(self) -> list[Scenario]:
        return (await self._load())[0]

    async def documents(self) -> list[dict[str, Any]]:
        return (await self._load())[1]

    async def _load(self) -> tuple[list[Scenario], list[dict[str, Any]]]:
        now = time.monotonic()
        if self._cached is None or self._cached[0] < now:
            documents = await self._store.list_scenarios()
            parsed = [parse_scenario(doc) for doc in documents]
            self._cached = (now + CACHE_SECONDS, parsed, documents)
        return self._cached[1], self._cached[2]

    @staticmethod
    def validate(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
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

    async def replace(self, documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        checked = self.validate(documents)
        await self._store.replace_scenarios(checked)
        self._cached = None
        return checked

    async def add(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        return await self.replace([*await self.documents(), document])
