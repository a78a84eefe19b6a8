"""The Twilio-only HTTPS proxy: clients set ``HTTPS_PROXY`` to it and reach switchboard as
``https://api.twilio.com`` with no change to their code.

Theory of operation. The proxy reads the head of a connection's first request and decides:

* ``CONNECT host:443`` where host is a Twilio host (``domain/hosts.py``): it answers 200, then
  ends TLS itself (``loop.start_tls``) with a certificate for that host issued by the local CA,
  and hands the decrypted connection to the HTTP server's protocol, serving the application.
* an absolute-form request (``POST https://api.twilio.com/2010-04-01/... HTTP/1.1``, as some
  clients send to a proxy) for a Twilio host: the connection goes to the same HTTP protocol with
  those bytes, which serves it.
* anything else (``CONNECT example.com:443``, another port, an ordinary request) is refused with
  403 or 400 and the connection closed.

It never opens a connection of its own: every answer comes from this process's application,
so it cannot be an open proxy whatever a client sends. On the connections it hands over, the
application is wrapped in ``routing.TwilioHostsOnly``, which answers only requests whose
``Host`` is a Twilio host.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Final, cast
from urllib.parse import urlsplit

from switchboard.domain.hosts import PRODUCTS, TwilioHost, connect_target, twilio_host
from switchboard.edge.tls import LeafContexts

log = logging.getLogger("switchboard.edge")

MAX_HEAD: Final = 16 * 1024  # a request head bigger than this is not an SDK's
HEAD_TIMEOUT: Final = 15.0  # seconds a client has to send its first request head
HANDSHAKE_TIMEOUT: Final = 15.0
# How long closing a TLS connection waits for the client's close_notify. A client idle in its
# keep-alive pool reads nothing, so it never answers: asyncio's default (30 s) would hold every
# shutdown of the server that long.
TLS_SHUTDOWN_TIMEOUT: Final = 1.0
ONLY_TWILIO: Final = (
    "switchboard's proxy serves only Twilio's API hosts ("
    + ", ".join(f"{product}.twilio.com" for product in PRODUCTS)
    + " and their edge/region forms) on port 443; it forwards nothing anywhere else. "
    "Leave other hosts out of the proxy with NO_PROXY.\n"
)

ProtocolFactory = Callable[[], asyncio.Protocol]


def _reply(status: str, text: str) -> bytes:
    body = text.encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class _Pending(asyncio.Protocol):
    """Stands in for the HTTP protocol while the TLS handshake completes: the TLS layer may
    pass on decrypted bytes (the client's first request) before ``start_tls`` returns."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.eof = False
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.received.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True


class ProxyFront(asyncio.Protocol):
    """One client connection to the proxy, until it is handed over or refused."""

    def __init__(
        self, serve: ProtocolFactory, contexts: LeafContexts, tunnels: set[asyncio.Task[None]]
    ) -> None:
        self._serve = serve
        self._contexts = contexts
        # The server's set of tunnels being set up: a task nothing refers to may be collected
        # mid-handshake.
        self._tunnels = tunnels
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._decided = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._transport = cast(asyncio.Transport, transport)
        self._timer = asyncio.get_running_loop().call_later(HEAD_TIMEOUT, self._transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        if self._decided:  # bytes after a CONNECT, before TLS starts: a client that did not wait
            self._refuse("400 Bad Request", "send TLS only after the CONNECT is answered\n")
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                self._refuse("431 Request Header Fields Too Large", "request head too large\n")
            return
        self._decided = True
        self._cancel_timer()
        line = bytes(self._buffer[: self._buffer.find(b"\r\n")]).decode("latin-1")
        method, _, rest = line.partition(" ")
        target = rest.partition(" ")[0]
        if method == "CONNECT":
            self._connect(target, leftover=len(self._buffer) > end + 4)
        elif target.startswith(("https://", "http://")):
            self._absolute(target)
        else:
            self._refuse(
                "400 Bad Request",
                "this is switchboard's Twilio-hosts proxy: set HTTPS_PROXY to it "
                "(`switchboard env --sdk NAME` prints the settings)\n",
            )

    def _refuse(self, status: str, text: str) -> None:
        assert self._transport is not None
        self._decided = True
        self._cancel_timer()
        self._transport.write(_reply(status, text))
        self._transport.close()

    def _connect(self, target: str, *, leftover: bool) -> None:
        host = connect_target(target)
        if host is None:
            log.info("proxy refused CONNECT %s", target[:200])
            self._refuse("403 Forbidden", ONLY_TWILIO)
            return
        if leftover:  # a ClientHello sent before our answer cannot be handed to TLS
            self._refuse("400 Bad Request", "send TLS only after the CONNECT is answered\n")
            return
        assert self._transport is not None
        self._transport.pause_reading()
        self._transport.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        task = asyncio.get_running_loop().create_task(self._tunnel(self._transport, host))
        self._tunnels.add(task)
        task.add_done_callback(self._tunnels.discard)

    async def _tunnel(self, transport: asyncio.Transport, host: TwilioHost) -> None:
        pending = _Pending()
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(
                transport,
                pending,
                self._contexts.for_host(host),
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
                ssl_shutdown_timeout=TLS_SHUTDOWN_TIMEOUT,
            )
        except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as e:
            # A client that does not trust the CA ends the handshake here: say so in the log.
            log.info("TLS for %s through the proxy failed: %s", host.name, e)
            transport.close()
            return
        if tls is None or pending.lost:
            transport.close()
            return
        protocol = self._serve()
        protocol.connection_made(tls)
        tls.set_protocol(protocol)
        for chunk in pending.received:
            protocol.data_received(chunk)
        if pending.eof:
            protocol.eof_received()

    def _absolute(self, target: str) -> None:
        try:
            parts = urlsplit(target)
            port = parts.port
        except ValueError:
            self._refuse("400 Bad Request", "not a URL\n")
            return
        host = twilio_host(parts.hostname or "")
        if host is None or port not in (None, 443, 80):
            log.info("proxy refused %s", target[:200])
            self._refuse("403 Forbidden", ONLY_TWILIO)
            return
        assert self._transport is not None
        protocol = self._serve()
        protocol.connection_made(self._transport)
        self._transport.set_protocol(protocol)
        protocol.data_received(bytes(self._buffer))


__all__ = ["HANDSHAKE_TIMEOUT", "ONLY_TWILIO", "TLS_SHUTDOWN_TIMEOUT", "ProxyFront"]
