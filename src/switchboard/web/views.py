"""The dashboard's JSON endpoints (``/_dashboard/api/...``), all as the main account."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from switchboard import __version__
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.jobs import JobKind
from switchboard.domain.models import Account
from switchboard.ports import PageRequest
from switchboard.web.auth import services
from switchboard.web.inspector import inspect
from switchboard.web.reader import DashboardReader, Scope
from switchboard.web.render import (
    attempt_json,
    attempt_summary,
    event_json,
    media_json,
    message_json,
    number_json,
    service_json,
)


def json(data: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def _reader(request: Request, account: Account) -> tuple[DashboardReader, Scope]:
    reader = DashboardReader(services(request))
    return reader, await reader.scope(account)


async def overview_data(reader: DashboardReader, scope: Scope) -> dict[str, Any]:
    """Who we are, our numbers and our Messaging Services."""
    pools = await reader.messaging_services(scope)
    pooled = {entry.sid: service.sid for service, pool in pools for entry in pool}
    return {
        "account": {
            "sid": scope.main.sid,
            "friendly_name": scope.main.friendly_name,
            "auth_token": scope.main.auth_token,
        },
        "numbers": [number_json(n, pooled.get(n.sid)) for n in await reader.numbers(scope)],
        "services": [service_json(service, pool) for service, pool in pools],
        "version": __version__,
    }


async def overview(request: Request, account: Account) -> Response:
    reader, scope = await _reader(request, account)
    data = await overview_data(reader, scope)
    config = services(request).runtime.config
    data["server"] = {"base_url": config.base_url, "loopback": config.is_loopback}
    return json(data)


async def list_messages(request: Request, account: Account) -> Response:
    reader, scope = await _reader(request, account)
    messages = await reader.recent_messages(scope)
    return json({"messages": [message_json(m) for m in messages]})


async def fetch_message(request: Request, account: Account) -> Response:
    """A message with its status timeline, webhook attempts, replies and media."""
    reader, scope = await _reader(request, account)
    message = await reader.message(scope, request.path_params["sid"])
    store = services(request).runtime.store
    events = await store.list_status_events(message.sid)
    attempts = await reader.attempts_for(scope, message.sid)
    replies = await store.list_replies(message.sid)
    media = await store.list_media(message.account_sid, message.sid, PageRequest(100))
    pending = await store.pending_jobs(message.sid, JobKind.INCOMING)
    return json(
        {
            "message": message_json(message),
            "timeline": [event_json(e) for e in events],
            "attempts": [attempt_summary(a) for a in attempts],
            "replies": [message_json(r) for r in replies],
            "media": [media_json(m) for m in media.items],
            "webhook_pending": pending > 0,
        }
    )


async def fetch_media(request: Request, account: Account) -> Response:
    reader, scope = await _reader(request, account)
    message = await reader.message(scope, request.path_params["sid"])
    owner = await reader.account(message.account_sid)
    media, content = await services(request).messages.media_content(
        owner, message.sid, request.path_params["media_sid"]
    )
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
    reader, scope = await _reader(request, account)
    attempts = await reader.recent_attempts(scope)
    return json({"attempts": [attempt_summary(a) for a in attempts]})


async def fetch_attempt(request: Request, account: Account) -> Response:
    reader, scope = await _reader(request, account)
    return json(attempt_json(await reader.attempt(scope, request.path_params["sid"])))


async def inspect_signature(request: Request, account: Account) -> Response:
    """The signature inspector; ``?url=`` and ``&signature=`` check what the receiver saw."""
    reader, scope = await _reader(request, account)
    attempt = await reader.attempt(scope, request.path_params["sid"])
    owner = await reader.account(attempt.account_sid)
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
    reader, scope = await _reader(request, account)
    attempt = await reader.attempt(scope, request.path_params["sid"])
    replay = services(request).replay
    if replay is None:
        raise TwilioError(20500, "replay is not available in this process")
    attempts = await replay(attempt)
    return json({"attempts": [attempt_summary(a) for a in attempts]}, 201)
