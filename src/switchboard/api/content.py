"""The Content API (``content.twilio.com/v1``): templates, their WhatsApp approval requests, and
the lists that show them with their approval (SPEC §16.1). Requests are JSON bodies."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import (
    base_url,
    json_response,
    list_url,
    no_content,
    own_account,
    services,
)
from switchboard.api.paging import fetch_page, page_query, v1_envelope
from switchboard.api.params import read_json, read_params
from switchboard.api.render import (
    approval_fetch_json,
    approval_json,
    content_and_approvals_json,
    content_json,
)
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Content
from switchboard.ports import Page


async def create_content(request: Request) -> Response:
    account = await own_account(request)
    body = await read_json(request)
    content = await services(request).contents.create(account, body)
    return json_response(content_json(content, base_url(request)), 201)


async def list_content(request: Request) -> Response:
    account = await own_account(request)
    query = page_query(await read_params(request))
    contents = services(request).contents
    page = await fetch_page(query, lambda p: contents.list(account, p), lambda c: c.sid)
    records = [content_json(c, base_url(request)) for c in page.items]
    return json_response(v1_envelope("contents", records, page, query, list_url(request), _sid))


async def fetch_content(request: Request) -> Response:
    account = await own_account(request)
    content = await services(request).contents.get(account, request.path_params["sid"])
    return json_response(content_json(content, base_url(request)))


async def update_content(request: Request) -> Response:
    account = await own_account(request)
    body = await read_json(request)
    content = await services(request).contents.update(account, request.path_params["sid"], body)
    return json_response(content_json(content, base_url(request)))


async def delete_content(request: Request) -> Response:
    account = await own_account(request)
    await services(request).contents.delete(account, request.path_params["sid"])
    return no_content()


async def create_approval_create(request: Request) -> Response:
    account = await own_account(request)
    body = await read_json(request)
    approval = await services(request).contents.request_approval(
        account, request.path_params["content_sid"], body
    )
    return json_response(approval_json(approval), 201)


async def fetch_approval_fetch(request: Request) -> Response:
    account = await own_account(request)
    content, approval = await services(request).contents.approval(
        account, request.path_params["sid"]
    )
    return json_response(approval_fetch_json(content, approval, base_url(request)))


async def list_content_and_approvals(request: Request) -> Response:
    account = await own_account(request)
    query = page_query(await read_params(request))
    contents = services(request).contents
    page = await fetch_page(query, lambda p: contents.list(account, p), lambda c: c.sid)
    paired = await contents.with_approvals(page.items)
    records = [content_and_approvals_json(c, a) for c, a in paired]
    return json_response(v1_envelope("contents", records, page, query, list_url(request), _sid))


async def list_legacy_content(request: Request) -> Response:
    """Templates migrated from WhatsApp's legacy template system: switchboard never had that
    system, so the list is always empty (a real, pageable empty list)."""
    await own_account(request)
    query = page_query(await read_params(request))
    if query.token is not None:  # an empty list issues no tokens
        raise TwilioError(21481, f"Invalid PageToken {query.token!r}")
    empty: Page[Content] = Page([], False)
    return json_response(v1_envelope("contents", [], empty, query, list_url(request), _sid))


def _sid(content: Content) -> str:
    return content.sid
