"""Accounts and API keys (2010-04-01)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import authenticate, json_response, no_content, path_account, services
from switchboard.api.paging import fetch_page, page_query, v2010_envelope
from switchboard.api.params import read_params
from switchboard.api.render import account_json, key_json
from switchboard.domain.models import Account
from switchboard.services.accounts import Principal


async def create_account(request: Request) -> Response:
    principal = await authenticate(request)
    params = await read_params(request)
    account = await services(request).accounts.create_subaccount(
        principal, params.text("FriendlyName")
    )
    return json_response(account_json(account), 201)


async def list_accounts(request: Request) -> Response:
    principal = await authenticate(request)
    params = await read_params(request)
    query = page_query(params)
    name, status = params.text("FriendlyName") or None, params.text("Status") or None
    accounts = services(request).accounts
    page = await fetch_page(
        query, lambda p: accounts.list_accounts(principal, name, status, p), lambda a: a.sid
    )
    filters = [(k, v) for k, v in (("FriendlyName", name), ("Status", status)) if v]
    body = v2010_envelope(
        "accounts", [account_json(a) for a in page.items], page, query,
        request.url.path, filters, lambda a: a.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_account(request: Request) -> Response:
    account = await path_account(request, "sid")
    return json_response(account_json(account))


async def _admin(request: Request, path_param: str) -> tuple[Principal, Account]:
    """The caller and the account named in the path, for account and key management (API keys
    may not)."""
    principal = await authenticate(request)
    services(request).accounts.require_account_admin(principal)
    account = await services(request).accounts.resolve(principal, request.path_params[path_param])
    return principal, account


async def _admin_account(request: Request, path_param: str = "account_sid") -> Account:
    return (await _admin(request, path_param))[1]


async def update_account(request: Request) -> Response:
    principal, account = await _admin(request, "sid")
    params = await read_params(request)
    updated = await services(request).accounts.update_account(
        principal, account, params.text("FriendlyName"), params.text("Status") or None
    )
    return json_response(account_json(updated))


async def create_new_key(request: Request) -> Response:
    account = await _admin_account(request)
    params = await read_params(request)
    key = await services(request).accounts.create_key(account, params.text("FriendlyName"))
    return json_response(key_json(key, with_secret=True), 201)


async def list_keys(request: Request) -> Response:
    account = await _admin_account(request)
    query = page_query(await read_params(request))
    accounts = services(request).accounts
    page = await fetch_page(query, lambda p: accounts.list_keys(account, p), lambda k: k.sid)
    body = v2010_envelope(
        "keys", [key_json(k) for k in page.items], page, query, request.url.path, [],
        lambda k: k.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_key(request: Request) -> Response:
    account = await _admin_account(request)
    key = await services(request).accounts.get_key(account, request.path_params["sid"])
    return json_response(key_json(key))


async def update_key(request: Request) -> Response:
    account = await _admin_account(request)
    params = await read_params(request)
    key = await services(request).accounts.update_key(
        account, request.path_params["sid"], params.text("FriendlyName")
    )
    return json_response(key_json(key))


async def delete_key(request: Request) -> Response:
    account = await _admin_account(request)
    await services(request).accounts.delete_key(account, request.path_params["sid"])
    return no_content()
