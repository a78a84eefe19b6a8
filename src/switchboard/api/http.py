"""HTTP plumbing shared by every handler: JSON responses, Twilio errors, Basic auth."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import Account
from switchboard.ports import StoreUnavailable
from switchboard.services.accounts import Principal, basic_credentials
from switchboard.services.container import Services

log = logging.getLogger("switchboard.api")

AUTH_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Twilio API"'}
RETRY_SOON = {"Retry-After": "1"}  # seconds; the SDKs' and HTTP clients' retry hint
HEADERS_BY_STATUS = {401: AUTH_CHALLENGE, 503: RETRY_SOON}


def json_response(data: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def base_url(request: Request) -> str:
    """The scheme and host the request was made to, without a trailing slash: the v1 APIs'
    absolute links (``url``, ``links``, paging ``meta``) carry it."""
    return str(request.base_url).rstrip("/")


def list_url(request: Request) -> str:
    """The absolute URL of the list being read, for a v1 page's ``meta``."""
    return f"{base_url(request)}{request.url.path}"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def public_error(request: Request, error: TwilioError) -> TwilioError:
    """The error as the caller sees it: a missing resource never says which one, or why."""
    if isinstance(error, NotFound) or error.code == 20404:
        return TwilioError(20404, f"The requested resource {request.url.path} was not found")
    return error


def unexpected_error(exc: Exception, where: str) -> TwilioError:
    """What an exception Twilio's format has no name for answers (``where``: the request, for
    the log): 20503 when the database refused a connection (nothing was written: the call can be
    retried as it was), else 20500 with the stack trace in the log, never on the wire."""
    if isinstance(exc, StoreUnavailable):
        log.warning("%s answered 20503: the database refused a connection (%s)", where, exc)
        return TwilioError(20503)
    log.error("unhandled error on %s", where, exc_info=exc)
    return TwilioError(20500)


def error_response(request: Request, error: TwilioError) -> Response:
    error = public_error(request, error)
    headers = HEADERS_BY_STATUS.get(error.http_status)
    return Response(
        orjson.dumps(error.to_json()),
        status_code=error.http_status,
        media_type="application/json",
        headers=headers,
    )


async def handle_twilio_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TwilioError)
    return error_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(request, NotFound())
    if exc.status_code == 405:
        return error_response(request, TwilioError(20004))
    error = TwilioError(21000, str(exc.detail), http_status=exc.status_code)
    return error_response(request, error)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Starlette's catch-all: only an error outside api/unexpected.py (in the request log or
    the host routing) still reaches it; a refused database answers 20503 here too."""
    where = f"{request.method} {request.url.path}"
    return error_response(request, unexpected_error(exc, where))


async def authenticate(request: Request) -> Principal:
    credentials = basic_credentials(request.headers.get("authorization", ""))
    principal = None
    if credentials is not None:
        principal = await services(request).accounts.authenticate(*credentials)
    if principal is None:
        raise TwilioError(20003)
    return principal


async def path_account(request: Request, name: str = "account_sid") -> Account:
    """The authenticated caller's view of the account named in the path."""
    principal = await authenticate(request)
    return await services(request).accounts.resolve(principal, request.path_params[name])


async def own_account(request: Request) -> Account:
    """For /v1 resources, which take the account from the credentials."""
    return (await authenticate(request)).account
