"""The media bytes behind ``MediaUrlN`` (the Media URL without ``.json``).

Twilio serves media publicly by default; switchboard does so only on a loopback bind and asks
for the account's credentials otherwise. Media given by URL redirects to its source.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from switchboard.api.http import path_account, services
from switchboard.domain.errors import NotFound


async def fetch_media_content(request: Request) -> Response:
    svc = services(request)
    path = request.path_params
    if svc.runtime.config.is_loopback and "authorization" not in request.headers:
        account = await svc.accounts.stored_account(path["account_sid"])
        if account is None:
            raise NotFound()
    else:
        account = await path_account(request)
    media, content = await svc.messages.media_content(account, path["message_sid"], path["sid"])
    if content is not None:
        return Response(content, media_type=media.content_type)
    if media.source_url:
        return RedirectResponse(media.source_url, status_code=302)
    raise NotFound()
