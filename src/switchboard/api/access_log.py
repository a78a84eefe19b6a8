"""One log line per HTTP request: method, path, status, duration and Twilio's error code.

A pure ASGI middleware (it sees every answer, the error handlers' too, and keeps streaming
answers such as the dashboard's events streaming). When ``switchboard.http`` is not enabled for
INFO (``serve --quiet``, the in-process test server) a request costs one level check.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.logs import HTTP, line

ERROR_BODY_LIMIT = 64 * 1024  # an error answer's body is read for its code up to this size


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not HTTP.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        error_body = bytearray()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status and status >= 400 and len(error_body) < ERROR_BODY_LIMIT:
                error_body.extend(message.get("body", b""))  # a response.body message
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500
            raise
        finally:
            _log(scope, status, time.perf_counter() - started, _error_code(error_body))


def _error_code(body: bytes | bytearray) -> int | None:
    if not body:
        return None
    try:
        answer: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, int) else None


def _log(scope: Scope, status: int | None, seconds: float, error_code: int | None) -> None:
    query = scope.get("query_string", b"")
    path = scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
    fields = {
        "event": "request", "method": scope["method"], "path": path, "status": status,
        "duration_ms": round(seconds * 1000, 3), "error_code": error_code,
    }  # fmt: skip
    line(HTTP, fields, "%s %s %s", scope["method"], path, status)
