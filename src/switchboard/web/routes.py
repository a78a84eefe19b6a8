"""The dashboard's routes: the page at ``/``, its assets, the JSON API and the event stream.

The page is one static HTML file with vanilla JavaScript and CSS shipped in the package; no build
step. Every route goes through ``auth.guarded``.
"""

from __future__ import annotations

import re
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.domain.errors import NotFound
from switchboard.domain.models import Account
from switchboard.web import charts, events, numbers, simulator, views
from switchboard.web.auth import guarded

ASSET_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
ASSET_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css|svg|png)$")

# Scripts and styles only from this origin, no inline code, never framed: user content that
# slipped past the JavaScript's textContent discipline still could not run.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob: http: https:; media-src 'self' blob: http: https:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _static(name: str) -> bytes:
    return resources.files("switchboard.web").joinpath("static", name).read_bytes()


async def index(request: Request, account: Account) -> Response:
    return Response(_static("index.html"), media_type="text/html", headers=PAGE_HEADERS)


async def asset(request: Request, account: Account) -> Response:
    name = request.path_params["name"]
    match = ASSET_NAME.match(name)
    if match is None:
        raise NotFound()
    try:
        content = _static(name)
    except FileNotFoundError:
        raise NotFound() from None
    return Response(content, media_type=ASSET_TYPES[match[1]], headers=PAGE_HEADERS)


API = "/_dashboard/api"

DASHBOARD_ROUTES = [
    Route("/", guarded(index), methods=["GET"]),
    Route("/_dashboard/static/{name}", guarded(asset), methods=["GET"]),
    Route("/_dashboard/events", guarded(events.stream_events), methods=["GET"]),
    Route(f"{API}/overview", guarded(views.overview), methods=["GET"]),
    Route(f"{API}/messages", guarded(views.list_messages), methods=["GET"]),
    Route(f"{API}/messages/{{sid}}", guarded(views.fetch_message), methods=["GET"]),
    Route(
        f"{API}/messages/{{sid}}/media/{{media_sid}}", guarded(views.fetch_media), methods=["GET"]
    ),
    Route(f"{API}/inbound", guarded(simulator.send_inbound), methods=["POST"]),
    Route(f"{API}/attempts", guarded(views.list_attempts), methods=["GET"]),
    Route(f"{API}/attempts/replay", guarded(views.replay_attempts), methods=["POST"]),
    Route(f"{API}/attempts/{{sid}}", guarded(views.fetch_attempt), methods=["GET"]),
    Route(f"{API}/attempts/{{sid}}/signature", guarded(views.inspect_signature), methods=["GET"]),
    Route(f"{API}/attempts/{{sid}}/replay", guarded(views.replay_attempt), methods=["POST"]),
    Route(f"{API}/stats", guarded(charts.stats), methods=["GET"]),
    Route(f"{API}/numbers", guarded(numbers.create_number), methods=["POST"]),
    Route(f"{API}/numbers/{{sid}}", guarded(numbers.update_number), methods=["POST"]),
    Route(f"{API}/services", guarded(numbers.create_service), methods=["POST"]),
    Route(f"{API}/services/{{sid}}/numbers", guarded(numbers.add_service_number), methods=["POST"]),
    Route(
        f"{API}/services/{{sid}}/numbers/{{number_sid}}",
        guarded(numbers.remove_service_number),
        methods=["DELETE"],
    ),
    Route(f"{API}/reset", guarded(views.reset), methods=["POST"]),
]
