"""The simulator control plane (``/_sim``): handsets, the attempt log, the clock, reset.

Same Basic auth as the REST API. An adapter over ``SimulatorService`` (scope and permission
rules live there); the JSON shapes here are this API's own, read by the CLI and the tests.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api import ndjson
from switchboard.api.http import (
    authenticate,
    base_url,
    json_response,
    public_error,
    services,
    unexpected_error,
)
from switchboard.api.ndjson import NDJSON, NdjsonStream
from switchboard.api.params import Params, json_params, media_type, read_body, read_params
from switchboard.api.render import (
    approval_fetch_json,
    channel_sender_json,
    iso8601,
    message_json,
    short_code_json,
)
from switchboard.api.sim_search import attempt_search, message_search
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import WebhookAttempt
from switchboard.services.accounts import Principal
from switchboard.services.handset import Part, Upload
from switchboard.services.simulator import (
    ClockChange,
    ClockState,
    Exchange,
    Scope,
    SimulatorService,
)


def _simulator(request: Request) -> SimulatorService:
    return services(request).simulator


async def _scope(request: Request) -> Scope:
    return await _simulator(request).scope(await authenticate(request))


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


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    choice = exchange.sender_choice  # why the Messaging Service chose this sender
    return {
        "message": message_json(exchange.message),
        "timeline": [
            {"status": e.status, "at": iso8601(e.at), "error_code": e.error_code}
            for e in exchange.timeline
        ],
        "webhooks": [attempt_json(a) for a in exchange.attempts],
        "replies": [message_json(r) for r in exchange.replies],
        "webhook_pending": exchange.webhook_pending,
        "sender_choice": None
        if choice is None
        else {
            "rule": choice.rule,
            "sender": choice.sender,
            "detail": choice.detail,
            "mms_converted": choice.converted,
        },
    }


async def create_inbound(request: Request) -> Response:
    """A handset's message (form, JSON or multipart): ``201`` with its Message JSON. With
    ``application/x-ndjson``, one message per line: the answers stream back, a line each."""
    principal = await authenticate(request)
    if media_type(request) == NDJSON:
        answer = functools.partial(_inbound_line, request, principal)
        body = ndjson.lines(request.stream())
        return NdjsonStream(ndjson.answers(body, answer, stop=request.app.state.shutdown))
    params = await read_params(request, allow_json=True)
    return json_response(await _inbound(request, principal, params), 201)


async def _inbound(request: Request, principal: Principal, params: Params) -> dict[str, Any]:
    """The one path of every inbound message: its fields → the service → its Message JSON."""
    parts: list[Part] = [*params.pairs()]
    parts += [(f.field, Upload(f.filename, f.content_type, f.data)) for f in params.files]
    return message_json(await _simulator(request).send_inbound(principal, parts))


async def _inbound_line(request: Request, principal: Principal, line: ndjson.Line) -> bytes:
    """One line of an NDJSON stream: its Message JSON, or the Twilio error the form version
    would have answered for the same fields (a bad line spoils no other)."""
    try:
        if isinstance(line, ndjson.TooLong):
            limit = ndjson.MAX_LINE_BYTES
            raise TwilioError(21000, f"The line exceeds {limit} bytes", http_status=413)
        answer = await _inbound(request, principal, json_params(line))
    except TwilioError as error:
        answer = public_error(request, error).to_json()
    except Exception as error:  # answered as a form body's would be; the stream goes on
        where = f"a line of {request.method} {request.url.path}"
        answer = unexpected_error(error, where).to_json()
    return orjson.dumps(answer) + b"\n"


async def list_webhooks(request: Request) -> Response:
    """The attempt log, filtered; with ``Wait``, held until an attempt matches (or 408)."""
    scope = await _scope(request)
    search = attempt_search(await read_params(request))
    attempts = await _simulator(request).search_attempts(scope, search)
    return json_response({"webhooks": [attempt_json(a) for a in attempts]})


async def list_messages(request: Request) -> Response:
    """Messages in Twilio's JSON, newest first; with ``Wait``, held until one matches (or 408)."""
    scope = await _scope(request)
    search = message_search(await read_params(request))
    messages = await _simulator(request).search_messages(scope, search)
    return json_response({"messages": [message_json(m) for m in messages]})


async def fetch_exchange(request: Request) -> Response:
    """A message with everything that happened to it: timeline, attempts, replies."""
    scope = await _scope(request)
    exchange = await _simulator(request).exchange(scope, request.path_params["sid"])
    return json_response(exchange_json(exchange))


async def fetch_webhook(request: Request) -> Response:
    scope = await _scope(request)
    attempt = await _simulator(request).attempt(scope, request.path_params["sid"])
    return json_response(attempt_json(attempt))


async def replay_webhook(request: Request) -> Response:
    """Send a recorded attempt's request again; answers with the new attempt(s)."""
    scope = await _scope(request)
    attempts = await _simulator(request).replay(scope, request.path_params["sid"])
    return json_response({"webhooks": [attempt_json(a) for a in attempts]}, 201)


def _json_body(request: Request) -> Any:
    async def read() -> Any:
        body = await read_body(request)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise TwilioError(21000, "The request body must be JSON") from None

    return read


async def list_scenarios(request: Request) -> Response:
    scenarios = await _simulator(request).scenarios(await authenticate(request))
    return json_response({"scenarios": scenarios})


async def add_scenario(request: Request) -> Response:
    principal = await authenticate(request)
    scenarios = await _simulator(request).add_scenario(principal, _json_body(request))
    return json_response({"scenarios": scenarios}, 201)


async def replace_scenarios(request: Request) -> Response:
    principal = await authenticate(request)
    scenarios = await _simulator(request).replace_scenarios(principal, _json_body(request))
    return json_response({"scenarios": scenarios})


async def clear_scenarios(request: Request) -> Response:
    scenarios = await _simulator(request).clear_scenarios(await authenticate(request))
    return json_response({"scenarios": scenarios})


async def fetch_opt_out(request: Request) -> Response:
    """A Messaging Service's Advanced Opt-Out settings (Twilio sets them in its Console)."""
    principal = await authenticate(request)
    sid = request.path_params["sid"]
    settings = await services(request).messaging_services.opt_out(principal.account, sid)
    return json_response({"service_sid": sid, **settings.to_json()})


async def replace_opt_out(request: Request) -> Response:
    principal = await authenticate(request)
    sid = request.path_params["sid"]
    document = await _json_body(request)()
    if not isinstance(document, dict):
        raise TwilioError(21000, "The opt-out settings must be a JSON object")
    messaging_services = services(request).messaging_services
    settings = await messaging_services.set_opt_out(principal.account, sid, document)
    return json_response({"service_sid": sid, **settings.to_json()})


async def update_content_approval(request: Request) -> Response:
    """The simulated WhatsApp review: ``Status=approved|rejected`` (``RejectionReason``) for a
    template of the caller's scope; answers the template's approval as the Content API does."""
    scope = await _scope(request)
    params = await read_params(request, allow_json=True)
    content, approval = await services(request).contents.decide(
        scope.account_sids,
        request.path_params["sid"],
        params.text("Status"),
        params.text("RejectionReason"),
    )
    return json_response(approval_fetch_json(content, approval, base_url(request)))


def _clock_json(clock: ClockState) -> dict[str, Any]:
    return {"now": iso8601(clock.now), "frozen": clock.frozen}


async def fetch_clock(request: Request) -> Response:
    await authenticate(request)
    return json_response(_clock_json(_simulator(request).clock()))


async def update_clock(request: Request) -> Response:
    """Freeze=true|false, Advance=<seconds>, Set=<ISO 8601>: applied in that order, all or none."""

    async def change() -> ClockChange:
        params = await read_params(request, allow_json=True)
        frozen = params.boolean("Freeze") if params.text("Freeze") else None
        advance = float(params["Advance"]) if params.text("Advance") else None
        moment = None
        if params.text("Set"):
            moment = datetime.fromisoformat(params["Set"].replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return ClockChange(frozen, advance, moment)

    principal = await authenticate(request)
    return json_response(_clock_json(await _simulator(request).move_clock(principal, change)))


async def reset(request: Request) -> Response:
    async def keep_numbers() -> bool:
        params = await read_params(request, allow_json=True)
        return params.boolean("KeepNumbers", default=True)

    kept = await _simulator(request).reset(await authenticate(request), keep_numbers)
    return json_response({"reset": True, "kept_numbers": kept})


async def create_short_code(request: Request) -> Response:
    """Provision a short code for the caller's account: ``ShortCode`` (5 or 6 digits), optional
    ``IsoCountry`` (default US) and ``FriendlyName``; answers the 2010 ShortCode JSON."""
    principal = await authenticate(request)
    params = await read_params(request, allow_json=True)
    held = services(request).held_senders
    code = await held.provision_short_code(
        principal.account, params.text("ShortCode"), params.text("IsoCountry")
    )
    if params.text("FriendlyName") or params.text("SmsUrl"):
        code = await held.update_short_code(principal.account, code.sid, params)
    return json_response(short_code_json(code), 201)


async def create_channel_sender(request: Request) -> Response:
    """Provision a channel sender (``Sender=whatsapp:+1...`` or ``rcs:<agent>``): its ``XE...``
    sid is what a Messaging Service's ChannelSenders take."""
    principal = await authenticate(request)
    params = await read_params(request, allow_json=True)
    sender = await services(request).held_senders.provision_channel_sender(
        principal.account, params.text("Sender")
    )
    return json_response(channel_sender_json(sender), 201)


CONTROL_ROUTES = [
    Route("/_sim/short-codes", create_short_code, methods=["POST"]),
    Route("/_sim/channel-senders", create_channel_sender, methods=["POST"]),
    Route("/_sim/inbound", create_inbound, methods=["POST"]),
    Route("/_sim/webhooks", list_webhooks, methods=["GET"]),
    Route("/_sim/webhooks/{sid}", fetch_webhook, methods=["GET"]),
    Route("/_sim/webhooks/{sid}/replay", replay_webhook, methods=["POST"]),
    Route("/_sim/messages", list_messages, methods=["GET"]),
    Route("/_sim/messages/{sid}", fetch_exchange, methods=["GET"]),
    Route("/_sim/scenarios", list_scenarios, methods=["GET"]),
    Route("/_sim/scenarios", add_scenario, methods=["POST"]),
    Route("/_sim/scenarios", replace_scenarios, methods=["PUT"]),
    Route("/_sim/scenarios", clear_scenarios, methods=["DELETE"]),
    Route("/_sim/services/{sid}/opt-out", fetch_opt_out, methods=["GET"]),
    Route("/_sim/services/{sid}/opt-out", replace_opt_out, methods=["PUT"]),
    Route("/_sim/content/{sid}/approval", update_content_approval, methods=["POST"]),
    Route("/_sim/clock", fetch_clock, methods=["GET"]),
    Route("/_sim/clock", update_clock, methods=["POST"]),
    Route("/_sim/reset", reset, methods=["POST"]),
]
