"""``GET /healthz``: whether this process can serve, found by doing what every request does.

A process that answers but cannot read its clock or its database fails every real request, so
a load balancer must hear 503 from it, not 200. The check is one clock reading and one indexed
read of the main account; the reason says which failed (the log keeps the details).
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from switchboard import __version__
from switchboard.api.http import services

log = logging.getLogger("switchboard.api")


async def health(request: Request) -> Response:
    svc = services(request)
    try:
        svc.runtime.clock.now()
    except Exception:
        log.exception("health check: the clock cannot be read")
        return _unavailable("the clock cannot be read")
    timeout = svc.runtime.config.health_timeout_seconds  # how long the database may take to answer
    try:
        async with asyncio.timeout(timeout):
            await svc.accounts.stored_account(request.app.state.main_account.sid)
    except TimeoutError:
        return _unavailable(f"the database did not answer within {timeout:g} s")
    except Exception:
        log.exception("health check: the database cannot be read")
        return _unavailable("the database cannot be read")
    return JSONResponse({"status": "ok", "version": __version__})


def _unavailable(reason: str) -> Response:
    body = {"status": "unavailable", "reason": reason, "version": __version__}
    return JSONResponse(body, status_code=503)
