"""IncomingPhoneNumbers (2010-04-01)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import json_response, no_content, path_account, services
from switchboard.api.paging import fetch_page, page_query, v2010_envelope
from switchboard.api.params import read_params
from switchboard.api.render import phone_number_json


async def create_incoming_phone_number(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    number = await services(request).numbers.create(account, params)
    return json_response(phone_number_json(number), 201)


async def list_incoming_phone_numbers(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    query = page_query(params)
    phone, name = params.text("PhoneNumber") or None, params.text("FriendlyName") or None
    numbers = services(request).numbers
    page = await fetch_page(query, lambda p: numbers.list(account, phone, name, p), lambda n: n.sid)
    filters = [(k, v) for k, v in (("PhoneNumber", phone), ("FriendlyName", name)) if v]
    body = v2010_envelope(
        "incoming_phone_numbers", [phone_number_json(n) for n in page.items], page, query,
        request.url.path, filters, lambda n: n.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_incoming_phone_number(request: Request) -> Response:
    account = await path_account(request)
    number = await services(request).numbers.get(account, request.path_params["sid"])
    return json_response(phone_number_json(number))


async def update_incoming_phone_number(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    number = await services(request).numbers.update(account, request.path_params["sid"], params)
    return json_response(phone_number_json(number))


async def delete_incoming_phone_number(request: Request) -> Response:
    account = await path_account(request)
    await services(request).numbers.delete(account, request.path_params["sid"])
    return no_content()
