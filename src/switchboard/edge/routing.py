"""Two ASGI wrappers around the application, applying the rule of ``domain/hosts.py``.

:class:`TwilioHostRouting` wraps the whole application in Twilio-hosts mode: a request whose
``Host`` is a Twilio host is served only for that product's paths (anything else is Twilio's
404 JSON, as on Twilio's own hosts); requests to switchboard's own name pass untouched.

:class:`TwilioHostsOnly` is the application as the proxy and the TLS listener serve it: there,
only Twilio hosts are answered (a request naming any other host gets 421), and the request is
seen as the ``https://`` request the client made, so the links v1 resources carry
(``https://messaging.twilio.com/v1/Services/MG...``) point back at the host that was called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from switchboard.domain.errors import TwilioError
from switchboard.domain.hosts import HTTPS_PORT, TwilioHost, twilio_host
from switchboard.loopback import split_authority

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def request_host(scope: Scope) -> TwilioHost | None:
    """The Twilio host named by a request's ``Host`` header (None: another name, or none)."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            # Any port: a hosts-file user may reach the TLS listener on one other than 443.
            parts = split_authority(value.decode("latin-1"))
            return twilio_host(parts[0]) if parts is not None else None
    return None


async def _answer(send: Send, status: int, body: bytes, media_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TwilioHostRouting:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = request_host(scope)
            if host is not None and not host.serves(scope["path"]):
                error = TwilioError(20404, f"The requested resource {scope['path']} was not found")
                body = orjson.dumps(error.to_json())
                await _answer(send, 404, body, b"application/json")
                return
        await self.app(scope, receive, send)


class TwilioHostsOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no websockets or lifespan through the proxy
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        host = request_host(scope)
        if host is None:
            text = b"switchboard's Twilio-hosts listener answers only for Twilio's API hosts\n"
            await _answer(send, 421, text, b"text/plain; charset=utf-8")
            return
        seen = {**scope, "scheme": "https", "server": (host.name, HTTPS_PORT)}
        await self.app(seen, receive, send)


__all__ = ["TwilioHostRouting", "TwilioHostsOnly", "request_host"]
