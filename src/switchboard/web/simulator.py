"""The phone simulator: a handset sends a message to one of our numbers.

The browser posts a multipart form (uploaded media are file parts named ``Media``); the
simulator service reads it by the same rule as ``/_sim/inbound``, so the webhook that follows
is exactly what a real inbound message causes.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from switchboard.domain.models import Account
from switchboard.services.accounts import Principal
from switchboard.services.handset import Part, Upload
from switchboard.services.inbound import MAX_MEDIA
from switchboard.web.auth import services
from switchboard.web.render import message_json
from switchboard.web.views import json


async def send_inbound(request: Request, account: Account) -> Response:
    config = services(request).runtime.config
    parts: list[Part] = []
    # A malformed or oversized body raises HTTPException(400): Twilio error JSON, like the API.
    # The context manager closes the uploads' temporary files.
    async with request.form(
        max_files=MAX_MEDIA + 1, max_fields=200, max_part_size=config.max_request_bytes
    ) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                upload = Upload(value.filename or "", value.content_type, await value.read())
                parts.append((name, upload))
            else:
                parts.append((name, value))
    message = await services(request).simulator.send_inbound(Principal(account), parts)
    return json(message_json(message), 201)
