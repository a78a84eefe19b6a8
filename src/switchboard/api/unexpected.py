"""The last word on an error no handler knew: Twilio's 20500, the traceback logged once, and
the connection kept open.

Starlette's own catch-all (``ServerErrorMiddleware``, outermost) answers through the app's
``Exception`` handler and then re-raises, for the server to see: uvicorn then logs the
traceback a second time and closes the keep-alive connection, so a client's pool loses a
connection to every such error. This middleware sits inside the app's others (the request log
sees its 500) and ends the matter there. An error after the answer has started cannot be
answered any more: it goes on up, and closing the connection is the only way to end that answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.api.http import error_response, unexpected_error


class UnexpectedErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            where = f"{scope['method']} {scope['path']}"
            response = error_response(Request(scope), unexpected_error(exc, where))
            await response(scope, receive, send)
