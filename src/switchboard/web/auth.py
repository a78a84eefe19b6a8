"""Who may use the dashboard.

On a loopback bind a request whose ``Host`` is a loopback address or ``localhost`` (the rule in
``switchboard.loopback``) acts as the main account without credentials: the developer's own
machine. Everything else -- a non-loopback bind, or a loopback bind reached under another name (a
tunnel, DNS rebinding) -- needs HTTP Basic auth with the main account's SID and auth token.

Requests that change something must also carry ``X-Switchboard-Dashboard: 1``: a custom header
cannot be sent cross-site without a CORS preflight, which this server never grants, so another
web page cannot drive the simulator. And when such a request says where it comes from
(``Origin``), that must be the origin it was sent to, a second lock should a browser ever let
the header through.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from switchboard.domain.models import Account
from switchboard.loopback import is_loopback_host, same_origin
from switchboard.services.accounts import basic_credentials
from switchboard.services.container import Services

REALM = 'Basic realm="switchboard"'
MUTATION_HEADER = "x-switchboard-dashboard"
SAFE_METHODS = frozenset({"GET", "HEAD"})

Handler = Callable[[Request, Account], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def dashboard_account(request: Request) -> Account | None:
    """The main account if this request may use the dashboard, else None."""
    svc = services(request)
    main: Account = request.app.state.main_account
    # Read through the short-lived cache so a rotated auth token takes effect.
    current = await svc.accounts.account(main.sid) or main
    if svc.runtime.config.is_loopback and is_loopback_host(request.headers.get("host", "")):
        return current
    credentials = basic_credentials(request.headers.get("authorization", ""))
    if credentials is None:
        return None
    username, password = credentials
    # Both comparisons always run, so timing does not tell which part was wrong.
    sid_ok = _same(username, current.sid)
    token_ok = _same(password, current.auth_token)
    return current if sid_ok and token_ok else None


def mutation_refusal(request: Request) -> str | None:
    """Why a request that changes state is refused (None: allowed, or it changes nothing)."""
    if request.method in SAFE_METHODS:
        return None
    if request.headers.get(MUTATION_HEADER) != "1":
        return f"dashboard requests that change state need the {MUTATION_HEADER} header\n"
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(origin, request.headers.get("host", "")):
        return "dashboard requests that change state must come from the dashboard's own origin\n"
    return None


def guarded(handler: Handler) -> Endpoint:
    """Wrap a dashboard handler with the access rules above."""

    async def endpoint(request: Request) -> Response:
        account = await dashboard_account(request)
        if account is None:
            return PlainTextResponse(
                "switchboard dashboard: sign in with the main account's SID and auth token\n",
                status_code=401,
                headers={"WWW-Authenticate": REALM},
            )
        refusal = mutation_refusal(request)
        if refusal is not None:
            return PlainTextResponse(refusal, status_code=403)
        return await handler(request, account)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
