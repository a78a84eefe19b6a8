"""Editing numbers and Messaging Services from the dashboard.

The browser sends a JSON object with the REST API's parameter names (``PhoneNumber``,
``SmsUrl``, ``SmsMethod``, ...); the handlers call the same services as the REST API, so the
validation and the Twilio error codes are the same (rendered as Twilio's error JSON, which the
page shows beside the form). Each answers with the fresh overview the sidebar renders.

The dashboard acts as the main account and sees its subaccounts: a new number or service
belongs to the main account; an existing one is changed as the account that owns it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account
from switchboard.web.auth import services
from switchboard.web.render import overview_json
from switchboard.web.views import dashboard_scope, json

MAX_BODY_BYTES = 64 * 1024  # a handful of URLs

T = TypeVar("T")


async def _params(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TwilioError(21000, "The request body is too large", http_status=413)
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise TwilioError(21000, "The request body must be JSON") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TwilioError(21000, "Send a JSON object of parameter names to string values")
    return data


async def _as_owner(
    request: Request, account: Account, find: Callable[[Account], Awaitable[T]]
) -> tuple[Account, T]:
    """The account in the dashboard's scope for which ``find`` succeeds, and what it found."""
    simulator, scope = await dashboard_scope(request, account)
    for sid in scope.account_sids:
        owner = scope.account if sid == scope.account.sid else await simulator.account(sid)
        try:
            return owner, await find(owner)
        except NotFound:
            continue
    raise NotFound()


async def _overview(request: Request, account: Account, status_code: int = 200) -> Response:
    simulator, scope = await dashboard_scope(request, account)
    return json(overview_json(await simulator.overview(scope)), status_code)


async def create_number(request: Request, account: Account) -> Response:
    await services(request).numbers.create(account, await _params(request))
    return await _overview(request, account, 201)


async def update_number(request: Request, account: Account) -> Response:
    numbers = services(request).numbers
    sid = request.path_params["sid"]
    params = await _params(request)
    owner, _ = await _as_owner(request, account, lambda a: numbers.get(a, sid))
    await numbers.update(owner, sid, params)
    return await _overview(request, account)


async def create_service(request: Request, account: Account) -> Response:
    await services(request).messaging_services.create(account, await _params(request))
    return await _overview(request, account, 201)


async def add_service_number(request: Request, account: Account) -> Response:
    """Put a number in a service's sender pool (``PhoneNumberSid``), as the service's owner."""
    pools = services(request).messaging_services
    service_sid = request.path_params["sid"]
    params = await _params(request)
    owner, _ = await _as_owner(request, account, lambda a: pools.get(a, service_sid))
    await pools.add_number(owner, service_sid, params.get("PhoneNumberSid", "").strip())
    return await _overview(request, account, 201)


async def remove_service_number(request: Request, account: Account) -> Response:
    pools = services(request).messaging_services
    service_sid = request.path_params["sid"]
    owner, _ = await _as_owner(request, account, lambda a: pools.get(a, service_sid))
    await pools.remove_number(owner, service_sid, request.path_params["number_sid"])
    return await _overview(request, account)
