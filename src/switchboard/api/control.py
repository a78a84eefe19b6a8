"""The simulator control plane (``/_sim``): handsets, the attempt log, reset.

Same Basic auth as the REST API; a caller sees its own account and its subaccounts. Only the
main account changes simulator-wide state (``require_main_account``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.http import authenticate, json_response, services
from switchboard.api.paging import whole_number
from switchboard.api.params import Params, read_body, read_params
from switchboard.api.render import iso8601, message_json
from switchboard.clock import ControllableClock
from switchboard.domain.callbacks import INBOUND_EXTRAS
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.jobs import JobKind
from switchboard.domain.models import WebhookAttempt
from switchboard.ports import AttemptFilter, PageRequest
from switchboard.services.accounts import Principal
from switchboard.services.inbound import InboundMedia, InboundMessage


async def _scope(request: Request) -> tuple[Principal, set[str]]:
    principal = await authenticate(request)
    subaccounts = await services(request).runtime.store.list_accounts(
        principal.account.sid, None, None, PageRequest(page_size=1000)
    )
    allowed = {principal.account.sid}
    if principal.key is None:
        allowed |= {a.sid for a in subaccounts.items}
    return principal, allowed


def require_main_account(principal: Principal, action: str) -> None:
    """Only the main account's own credentials change simulator-wide state (the clock, a
    reset, the scenarios every account shares): subaccounts and API keys get 403 (20403)."""
    if principal.key is not None or principal.account.is_subaccount:
        raise TwilioError(20403, f"Only the main account's credentials can {action}")


def attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "sid": attempt.sid,
        "account_sid": attempt.account_sid,
        "message_sid": attempt.message_sid,
        "kind": attempt.kind,
        "attempt": attempt.attempt,
        "url": attempt.url,
        "signed_url": attempt.signed_url,
        "method": attempt.method,
        "request": {"headers": attempt.request_headers, "body": attempt.request_body},
        "response": {
            "status": attempt.response_status,
            "headers": attempt.response_headers,
            "body": attempt.response_body,
        },
        "duration_ms": attempt.duration_ms,
        "error_code": attempt.error_code,
        "error_detail": attempt.error_detail,
        "idempotency_token": attempt.idempotency_token,
        "date_created": iso8601(attempt.date_created),
    }


def _inbound_from(params: Params) -> InboundMessage:
    urls = params.getlist("MediaUrl")
    types = params.getlist("MediaContentType")
    media = [
        InboundMedia(content_type=types[i] if i < len(types) else None, url=url)
        for i, url in enumerate(urls)
    ]
    extras = {name: params[name] for name in INBOUND_EXTRAS if name in params}
    return InboundMessage(
        from_=params.text("From") or "",
        to=params.text("To") or "",
        body=params.text("Body") or "",
        media=media,
        extras=extras,
    )


async def create_inbound(request: Request) -> Response:
    principal = await authenticate(request)
    params = await read_params(request, allow_json=True)
    inbound = _inbound_from(params)
    if params.files:
        uploads = [InboundMedia(content_type=f.content_type, content=f.data) for f in params.files]
        inbound = InboundMessage(
            inbound.from_, inbound.to, inbound.body, [*inbound.media, *uploads], inbound.extras
        )
    message = await services(request).inbound.receive(
        principal.account, principal.key is not None, inbound
    )
    return json_response(message_json(message), 201)


async def list_webhooks(request: Request) -> Response:
    _, allowed = await _scope(request)
    params = await read_params(request)
    limit = min(whole_number(params, "Limit", 200), 5000)
    attempts = await services(request).runtime.store.list_attempts(
        AttemptFilter(
            account_sids=sorted(allowed),
            message_sid=params.text("MessageSid") or None,
            limit=limit,
        )
    )
    return json_response({"webhooks": [attempt_json(a) for a in attempts]})


async def fetch_exchange(request: Request) -> Response:
    """A message with everything that happened to it: timeline, attempts, replies."""
    _, allowed = await _scope(request)
    store = services(request).runtime.store
    message = await store.find_message(request.path_params["sid"])
    if message is None or message.account_sid not in allowed:
        raise NotFound()
    # Pending first: a job finishing between these reads then shows as "still pending" with
    # partial results (harmless), never as "done" without its attempts and replies.
    pending = await store.pending_jobs(message.sid, JobKind.INCOMING)
    events = await store.list_status_events(message.sid)
    attempts = await store.list_attempts(AttemptFilter(message_sid=message.sid, limit=1000))
    replies = await store.list_replies(message.sid)
    return json_response(
        {
            "message": message_json(message),
            "timeline": [
                {"status": e.status, "at": iso8601(e.at), "error_code": e.error_code}
                for e in events
            ],
            "webhooks": [attempt_json(a) for a in attempts],
            "replies": [message_json(r) for r in replies],
            "webhook_pending": pending > 0,
        }
    )


async def fetch_webhook(request: Request) -> Response:
    _, allowed = await _scope(request)
    attempt = await services(request).runtime.store.get_attempt(request.path_params["sid"])
    if attempt is None or attempt.account_sid not in allowed:
        raise NotFound()
    return json_response(attempt_json(attempt))


async def replay_webhook(request: Request) -> Response:
    """Send a recorded attempt's request again; answers with the new attempt(s)."""
    _, allowed = await _scope(request)
    svc = services(request)
    attempt = await svc.runtime.store.get_attempt(request.path_params["sid"])
    if attempt is None or attempt.account_sid not in allowed:
        raise NotFound()
    if svc.replay is None:
        raise TwilioError(20500, "replay is not available in this process")
    attempts = await svc.replay(attempt)
    return json_response({"webhooks": [attempt_json(a) for a in attempts]}, 201)


async def _json_body(request: Request) -> Any:
    body = await read_body(request)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TwilioError(21000, "The request body must be JSON") from None


def _scenario_owner(principal: Principal, *, changing: bool) -> str | None:
    """Whose rules a caller sees and edits: a subaccount (its credentials or its keys) its own,
    which match only its messages; the main account the shared ones (None), which match every
    account's messages, so changing those is simulator-wide."""
    if principal.account.is_subaccount:
        return principal.account.sid
    if changing:
        require_main_account(principal, "change the scenarios every account shares")
    return None


async def list_scenarios(request: Request) -> Response:
    owner = _scenario_owner(await authenticate(request), changing=False)
    return json_response({"scenarios": await services(request).scenarios.documents(owner)})


async def add_scenario(request: Request) -> Response:
    """Append one scenario (a JSON object); rules match in order, first match wins."""
    owner = _scenario_owner(await authenticate(request), changing=True)
    document = await _json_body(request)
    scenarios = await services(request).scenarios.add(document, owner)
    return json_response({"scenarios": scenarios}, 201)


async def replace_scenarios(request: Request) -> Response:
    """Replace the caller's scenarios: a JSON list, or {"scenarios": [...]}."""
    owner = _scenario_owner(await authenticate(request), changing=True)
    document = await _json_body(request)
    if isinstance(document, dict):
        document = document.get("scenarios", [])
    if not isinstance(document, list):
        raise TwilioError(21000, 'Send a JSON list of scenarios or {"scenarios": [...]}')
    scenarios = await services(request).scenarios.replace(document, owner)
    return json_response({"scenarios": scenarios})


async def clear_scenarios(request: Request) -> Response:
    owner = _scenario_owner(await authenticate(request), changing=True)
    await services(request).scenarios.replace([], owner)
    return json_response({"scenarios": []})


def _clock_json(clock: ControllableClock) -> dict[str, Any]:
    return {"now": iso8601(clock.now()), "frozen": clock.virtual}


async def fetch_clock(request: Request) -> Response:
    await authenticate(request)
    return json_response(_clock_json(_controllable(request)))


async def update_clock(request: Request) -> Response:
    """Freeze=true|false, Advance=<seconds>, Set=<ISO 8601>: applied in that order, all or none."""
    require_main_account(await authenticate(request), "move the simulator's clock")
    clock = _controllable(request)
    params = await read_params(request, allow_json=True)
    try:
        frozen = params.boolean("Freeze") if params.text("Freeze") else None
        advance = float(params["Advance"]) if params.text("Advance") else None
        moment = None
        if params.text("Set"):
            moment = datetime.fromisoformat(params["Set"].replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        clock.move(frozen=frozen, advance=advance, to=moment)
    except ValueError as error:
        raise TwilioError(21000, f"Invalid clock change: {error}") from None
    services(request).runtime.outbox.wake()  # jobs may be due at the new time
    return json_response(_clock_json(clock))


def _controllable(request: Request) -> ControllableClock:
    clock = services(request).runtime.clock
    if not isinstance(clock, ControllableClock):
        raise TwilioError(21000, "this server's clock cannot be controlled")
    return clock


async def reset(request: Request) -> Response:
    require_main_account(await authenticate(request), "reset the simulator")
    params = await read_params(request, allow_json=True)
    keep_numbers = params.boolean("KeepNumbers", default=True)
    await services(request).runtime.store.reset(keep_numbers=keep_numbers)
    return json_response({"reset": True, "kept_numbers": keep_numbers})


CONTROL_ROUTES = [
    Route("/_sim/inbound", create_inbound, methods=["POST"]),
    Route("/_sim/webhooks", list_webhooks, methods=["GET"]),
    Route("/_sim/webhooks/{sid}", fetch_webhook, methods=["GET"]),
    Route("/_sim/webhooks/{sid}/replay", replay_webhook, methods=["POST"]),
    Route("/_sim/messages/{sid}", fetch_exchange, methods=["GET"]),
    Route("/_sim/scenarios", list_scenarios, methods=["GET"]),
    Route("/_sim/scenarios", add_scenario, methods=["POST"]),
    Route("/_sim/scenarios", replace_scenarios, methods=["PUT"]),
    Route("/_sim/scenarios", clear_scenarios, methods=["DELETE"]),
    Route("/_sim/clock", fetch_clock, methods=["GET"]),
    Route("/_sim/clock", update_clock, methods=["POST"]),
    Route("/_sim/reset", reset, methods=["POST"]),
]
