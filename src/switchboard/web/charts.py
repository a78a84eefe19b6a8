"""The dashboard's charts: the store's aggregates as JSON (the page draws them as inline SVG).

The page asks again when the event stream reports new messages or attempts, so the charts
follow the store live; the counting is done by the database (``SimulatorService.stats``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from switchboard.domain.models import Account
from switchboard.services.simulator import Stats
from switchboard.web.render import when
from switchboard.web.views import dashboard_scope, json


def stats_json(stats: Stats) -> dict[str, Any]:
    counts: dict[int, dict[str, int]] = {}
    for minute, status, n in stats.store.per_minute:
        counts.setdefault(minute, {})[status] = n
    first = int(stats.since.timestamp()) // 60
    last = int(stats.now.timestamp()) // 60
    latency = stats.store.latency
    return {
        "now": when(stats.now),
        # Every minute of the window, the quiet ones too, oldest first.
        "per_minute": [
            {
                "at": when(stats.since + timedelta(minutes=m - first)),
                "counts": counts.get(m, {}),
            }
            for m in range(first, last + 1)
        ],
        "delivery": {
            "reached": stats.reached,
            "not_reached": stats.not_reached,
            "rate": stats.delivery_rate,
        },
        "error_codes": [
            {"source": source, "code": code, "count": n}
            for source, code, n in stats.store.error_codes
        ],
        "latency": {
            "count": latency.count,
            "p50": latency.p50,
            "p90": latency.p90,
            "p99": latency.p99,
            "max": latency.max,
        },
    }


async def stats(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    return json(stats_json(await simulator.stats(scope)))
