"""The phone simulator: a handset sends a message to one of our numbers.

The browser posts a multipart form (uploaded media are file parts named ``Media``); it becomes
the same ``InboundMessage`` that ``/_sim/inbound`` builds, so the webhook that follows is
exactly what a real inbound message causes.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from switchboard.domain.callbacks import INBOUND_EXTRAS
from switchboard.domain.models import Account
from switchboard.services.inbound import MAX_MEDIA, InboundMedia, InboundMessage
from switchboard.web.auth import services
from switchboard.web.render import message_json
from switchboard.web.views import json


async def send_inbound(request: Request, account: Account) -> Response:
    config = services(request).runtime.config
    text: dict[str, str] = {}
    media: list[InboundMedia] = []
    # A malformed or oversized body raises HTTPException(400): Twilio error JSON, like the API.
    # The context manager closes the uploads' temporary files.
    async with request.form(
        max_files=MAX_MEDIA + 1, max_fields=200, max_part_size=config.max_request_bytes
    ) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                if name == "Media" and (content or value.filename):
                    media.append(InboundMedia(content_type=value.content_type, content=content))
            elif name == "MediaUrl" and value.strip():
                media.append(InboundMedia(url=value.strip()))
            elif value.strip():
                text[name] = value if name == "Body" else value.strip()
    extras = {name: text[name] for name in INBOUND_EXTRAS if name in text}
    inbound = InboundMessage(
        from_=text.get("From", ""),
        to=text.get("To", ""),
        body=text.get("Body", ""),
        media=media,
        extras=extras,
    )
    message = await services(request).inbound.receive(account, False, inbound)
    return json(message_json(message), 201)
