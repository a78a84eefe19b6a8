"""The dashboard's JSON endpoints (``/_dashboard/api/...``), all as the main account: adapters
over ``SimulatorService``."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from switchboard.domain.errors import NotFound
from switchboard.domain.models import Account
from switchboard.services.accounts import Principal
from switchboard.services.simulator import Scope, SimulatorService
from switchboard.web.auth import services
from switchboard.web.inspector import inspect
from switchboard.web.render import (
    attempt_json,
    attempt_summary,
    exchange_json,
    message_json,
    overview_json,
)


def json(data: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def dashboard_scope(request: Request, account: Account) -> tuple[SimulatorService, Scope]:
    """The simulator and what the dashboard sees: the main account and its subaccounts."""
    simulator = services(request).simulator
    return simulator, await simulator.scope(Principal(account))


async def overview(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    data = overview_json(await simulator.overview(scope))
    config = services(request).runtime.config
    data["server"] = {"base_url": config.base_url, "loopback": config.is_loopback}
    return json(data)


async def list_messages(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    messages = await simulator.recent_messages(scope)
    return json({"messages": [message_json(m) for m in messages]})


async def fetch_message(request: Request, account: Account) -> Response:
    """A message with its status timeline, webhook attempts, replies and media."""
    simulator, scope = await dashboard_scope(request, account)
    return json(exchange_json(await simulator.exchange(scope, request.path_params["sid"])))


async def fetch_media(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    params = request.path_params
    media, content = await simulator.media_content(scope, params["sid"], params["media_sid"])
    if content is not None:
        # Uploaded bytes are served as data, never run as a page of this origin.
        return Response(
            content,
            media_type=media.content_type,
            headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
        )
    if media.source_url and media.source_url.startswith(("http://", "https://")):
        return RedirectResponse(media.source_url, status_code=302)
    raise NotFound()


async def list_attempts(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    attempts = await simulator.attempts(scope)
    return json({"attempts": [attempt_summary(a) for a in attempts]})


async def fetch_attempt(request: Request, account: Account) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    return json(attempt_json(await simulator.attempt(scope, request.path_params["sid"])))


async def inspect_signature(request: Request, account: Account) -> Response:
    """The signature inspector; ``?url=`` and ``&signature=`` check what the receiver saw."""
    simulator, scope = await dashboard_scope(request, account)
    attempt = await simulator.attempt(scope, request.path_params["sid"])
    owner = await simulator.account(attempt.account_sid)
    query = request.query_params
    inspection = inspect(
        attempt,
        owner.auth_token,
        received_url=query.get("url", "").strip() or None,
        their_signature=query.get("signature", "").strip() or None,
    )
    return json(dataclasses.asdict(inspection))


async def replay_attempt(request: Request, account: Account) -> Response:
    """Send a recorded request again; answers with the new attempt(s)."""
    simulator, scope = await dashboard_scope(request, account)
    attempts = await simulator.replay(scope, request.path_params["sid"])
    return json({"attempts": [attempt_summary(a) for a in attempts]}, 201)
