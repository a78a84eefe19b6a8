"""The HTTP server of ``serve --twilio-hosts``: uvicorn's, with the proxy and the optional TLS
listener served beside its port by the same application, in the same process and event loop.

Connections from the proxy and the TLS listener are served by uvicorn's own HTTP protocol
class, made exactly as uvicorn makes it for its port (its configuration, its server state, the
application's lifespan state), over the application wrapped in ``TwilioHostsOnly``. They count
among the server's connections, so a shutdown closes them as it closes the others.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn

from switchboard.edge.proxy import HANDSHAKE_TIMEOUT, TLS_SHUTDOWN_TIMEOUT, ProxyFront
from switchboard.edge.routing import ASGIApp, TwilioHostsOnly
from switchboard.edge.tls import LeafContexts


class TwilioHostsServer(uvicorn.Server):
    def __init__(
        self,
        config: uvicorn.Config,
        *,
        app: ASGIApp,
        contexts: LeafContexts,
        proxy: socket.socket,
        tls: socket.socket | None = None,
    ) -> None:
        super().__init__(config)
        self._app = app
        self._contexts = contexts
        self._proxy = proxy
        self._tls = tls
        self._tunnels: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.started:
            return
        # The application itself, without uvicorn's proxy-headers wrapper: what a request
        # through the proxy names is decided from the request alone.
        edge = uvicorn.Config(
            TwilioHostsOnly(self._app),
            lifespan="off",
            http=self.config.http,
            proxy_headers=False,
            access_log=False,
            log_level=self.config.log_level,
            timeout_keep_alive=self.config.timeout_keep_alive,
        )
        edge.load()

        def serve() -> asyncio.Protocol:
            made: Any = edge.http_protocol_class(  # type: ignore[call-arg]
                config=edge, server_state=self.server_state, app_state=self.lifespan.state
            )
            protocol: asyncio.Protocol = made
            return protocol

        loop = asyncio.get_running_loop()
        proxy = await loop.create_server(
            lambda: ProxyFront(serve, self._contexts, self._tunnels), sock=self._proxy
        )
        self.servers.append(proxy)
        if self._tls is not None:
            listener = await loop.create_server(
                serve,
                sock=self._tls,
                ssl=self._contexts.sni_context(),
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
                ssl_shutdown_timeout=TLS_SHUTDOWN_TIMEOUT,
            )
            self.servers.append(listener)


__all__ = ["TwilioHostsServer"]
