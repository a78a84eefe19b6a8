"""The short codes an account holds: SMS/ShortCodes (2010-04-01): list, fetch, update."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import json_response, path_account, services
from switchboard.api.paging import fetch_page, page_query, v2010_envelope
from switchboard.api.params import read_params
from switchboard.api.render import short_code_json
from switchboard.domain.models import SenderKind


async def list_short_code(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    query = page_query(params)
    code, name = params.text("ShortCode") or None, params.text("FriendlyName") or None
    held = services(request).held_senders
    page = await fetch_page(
        query,
        lambda p: held.list(account, SenderKind.SHORT_CODE, p, short_code=code, friendly_name=name),
        lambda s: s.sid,
    )
    filters = [(k, v) for k, v in (("ShortCode", code), ("FriendlyName", name)) if v]
    body = v2010_envelope(
        "short_codes", [short_code_json(s) for s in page.items], page, query,
        request.url.path, filters, lambda s: s.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_short_code(request: Request) -> Response:
    account = await path_account(request)
    held = await services(request).held_senders.get(
        account, SenderKind.SHORT_CODE, request.path_params["sid"]
    )
    return json_response(short_code_json(held))


async def update_short_code(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    held = await services(request).held_senders.update_short_code(
        account, request.path_params["sid"], params
    )
    return json_response(short_code_json(held))
