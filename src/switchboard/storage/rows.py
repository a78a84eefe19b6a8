"""Conversions between stored column values and domain values, shared by the SQL adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson


def to_micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, tz=UTC)


def opt_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def opt_from_micros(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def load_json(text: str | bytes) -> Any:
    return orjson.loads(text)
