"""The dashboard's JSON endpoints (``/_dashboard/api/...``), all as the main account: adapters
over ``SimulatorService``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account
from switchboard.ports import Page
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
from switchboard.web.search import attempt_search, message_search, page_request


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


def _next(page: Page[Any], sid_of: Callable[[Any], str]) -> str | None:
    """The cursor of the page after this one (None: this is the last)."""
    return sid_of(page.items[-1]) if page.has_more and page.items else None


async def list_messages(request: Request, account: Account) -> Response:
    """A page of messages matching the query string's search, newest first, and the cursor
    of the next page (``search.py`` lists the parameters)."""
    simulator, scope = await dashboard_scope(request, account)
    query = request.query_params
    found = await simulator.browse_messages(scope, message_search(query), page_request(query))
    return json(
        {
            "messages": [message_json(m) for m in found.items],
            "next": _next(found, lambda m: m.sid),
        }
    )


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
    """A page of webhook attempts matching the query string's search, newest first."""
    simulator, scope = await dashboard_scope(request, account)
    query = request.query_params
    found = await simulator.browse_attempts(scope, attempt_search(query), page_request(query))
    return json(
        {
            "attempts": [attempt_summary(a) for a in found.items],
            "next": _next(found, lambda a: a.sid),
        }
    )


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


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TwilioError(21000, "The request body is not JSON") from None
    if not isinstance(data, dict):
        raise TwilioError(21000, "Send a JSON object")
    return data


async def replay_attempts(request: Request, account: Account) -> Response:
    """Bulk replay: ``{"sids": [...]}`` replays those attempts; without SIDs, the newest
    attempts matching the query string's search (at most ``MAX_BULK_REPLAY`` either way)."""
    simulator, scope = await dashboard_scope(request, account)
    sids = (await _json_body(request)).get("sids")
    if sids is None:
        new, more = await simulator.replay_matching(scope, attempt_search(request.query_params))
    elif isinstance(sids, list) and all(isinstance(sid, str) for sid in sids):
        new, more = await simulator.replay_many(scope, sids), False
    else:
        raise TwilioError(21000, '"sids" is a list of webhook attempt SIDs')
    return json({"attempts": [attempt_summary(a) for a in new], "more": more}, 201)


async def reset(request: Request, account: Account) -> Response:
    """Clear the simulator (the dashboard acts as the main account); ``{"keep_numbers":
    false}`` deletes the numbers and services too."""
    simulator = services(request).simulator

    async def keep_numbers() -> bool:
        keep = (await _json_body(request)).get("keep_numbers", True)
        if not isinstance(keep, bool):
            raise TwilioError(21000, '"keep_numbers" is true or false')
        return keep

    kept = await simulator.reset(Principal(account), keep_numbers)
    return json({"reset": True, "keep_numbers": kept})
