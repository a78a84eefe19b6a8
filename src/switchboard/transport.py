"""Sending one webhook HTTP request: the only place switchboard talks to users' apps.

Theory of operation. ``send`` makes one attempt under a connection policy (connect timeout,
read timeout, and the remaining total budget) and classifies the outcome into a
:class:`Failure` with its Twilio error code; it never raises for a misbehaving receiver.
Response bodies are read only up to 64 kB + 1 byte, so a 10 MB answer costs us 64 kB.

Two adapters: :class:`AiohttpTransport` for the network (keep-alive pools per origin; chosen
over httpx because it measured 4-12x more requests per second under concurrency, see
docs/performance.md) and :class:`InProcessTransport` (httpx's ASGI/WSGI transports) for apps
called inside the test process. :class:`RoutingTransport` picks one by origin.

Neither follows redirects: a 3xx answer is returned as it came, and the webhook layer follows it
by Twilio's rules (``webhooks/delivery.py``, ``domain/redirects.py``), each hop a request it
signs and records. A client following them itself would turn a POST into a body-less GET after
301/302 and hide the hops from the attempt log.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import httpx
from yarl import URL

from switchboard.config import CLIENT_IDLE_SECONDS

MAX_RESPONSE_BYTES = 64 * 1024


class Failure(StrEnum):
    """Why an attempt failed; the value is the retry-policy class it belongs to (or none)."""

    CONNECT = "ct"  # refused, reset, unreachable, TLS handshake, connect timeout
    READ = "rt"  # no (complete) response within the read timeout
    TOTAL = "tt"  # the total-time budget ran out
    HTTP_4XX = "4xx"
    HTTP_5XX = "5xx"
    OTHER = "other"  # protocol violation, too large, 3xx: never retried


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class HttpResult:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    duration_ms: float = 0.0
    failure: Failure | None = None
    error_code: int | None = None
    error_detail: str = ""
    truncated: bool = False
    set_cookies: tuple[str, ...] = ()  # every Set-Cookie header, in order

    @property
    def ok(self) -> bool:
        return self.failure is None


class Transport(Protocol):
    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult: ...

    async def aclose(self) -> None: ...


def failed(kind: Failure, code: int, detail: str, started: float) -> HttpResult:
    return HttpResult(
        status=None,
        duration_ms=(time.perf_counter() - started) * 1000,
        failure=kind,
        error_code=code,
        error_detail=detail,
    )


def answered(
    status: int,
    headers: dict[str, str],
    body: bytes,
    truncated: bool,
    started: float,
    set_cookies: tuple[str, ...] = (),
) -> HttpResult:
    """Classify a response that arrived: 2xx is success; anything else is Twilio's 11200 until
    the webhook layer decides about a 3xx (followed, or 11215/11216)."""
    duration = (time.perf_counter() - started) * 1000
    failure, code, detail = None, None, ""
    if truncated:
        failure, code = Failure.OTHER, 11750
        detail = f"the response body is larger than {MAX_RESPONSE_BYTES} bytes"
    elif not 200 <= status < 300:
        failure = (
            Failure.HTTP_4XX
            if 400 <= status < 500
            else Failure.HTTP_5XX
            if status >= 500
            else Failure.OTHER
        )
        code, detail = 11200, f"the application answered HTTP {status}"
    return HttpResult(
        status, headers, body, duration, failure, code, detail, truncated, set_cookies
    )


class AiohttpTransport:
    """Real HTTP with keep-alive connection pools."""

    def __init__(self, max_connections: int = 512) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                ttl_dns_cache=300,
                keepalive_timeout=CLIENT_IDLE_SECONDS,
            )
            # No client-wide cookie jar: cookies belong to one conversation each, and the
            # incoming-webhook exchange sends and keeps them itself (domain/cookies.py).
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult:
        started = time.perf_counter()
        if budget_ms <= 0:
            return failed(Failure.TOTAL, 11203, "the total time budget was exhausted", started)
        try:
            async with asyncio.timeout(budget_ms / 1000):
                return await self._attempt(request, connect_ms, read_ms, started)
        except TimeoutError:
            return failed(
                Failure.TOTAL, 11203, "HTTP communication total time out triggered", started
            )

    async def _attempt(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, started: float
    ) -> HttpResult:
        limits = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_ms / 1000, sock_read=read_ms / 1000
        )
        try:
            # encoded=True: the URL goes out byte for byte as it was signed.
            async with self._client().request(
                request.method,
                URL(request.url, encoded=True),
                headers=dict(request.headers),
                data=request.body or None,
                timeout=limits,
                allow_redirects=False,  # followed by the webhook layer (module docstring)
            ) as response:
                try:
                    if (
                        length := response.content_length
                    ) is not None and length <= MAX_RESPONSE_BYTES:
                        # Most answers declare a length within the cap: read at once.
                        body, truncated = await response.read(), False
                    else:
                        body, truncated = await read_capped(response.content.iter_chunked(16384))
                except aiohttp.SocketTimeoutError:
                    # A response that started and then stalled is not retried (SPEC §2).
                    detail = f"HTTP {response.status} response stalled after it started"
                    return failed(Failure.OTHER, 11205, detail, started)
                headers = {k.lower(): v for k, v in response.headers.items()}
                cookies = tuple(response.headers.getall("Set-Cookie", ()))
                return answered(response.status, headers, body, truncated, started, cookies)
        except aiohttp.ConnectionTimeoutError as exc:
            return failed(Failure.CONNECT, 11205, f"TCP connect timed out: {exc}", started)
        except aiohttp.SocketTimeoutError:
            return failed(Failure.READ, 11205, "no response within the read timeout", started)
        except aiohttp.ClientConnectorDNSError as exc:
            return failed(Failure.OTHER, 11210, connector_error_text(exc), started)
        except (aiohttp.ClientConnectorSSLError, aiohttp.ClientSSLError) as exc:
            detail = f"TLS handshake failed: {connector_error_text(exc)}"
            return failed(Failure.CONNECT, 11220, detail, started)
        except aiohttp.ClientConnectorError as exc:
            return failed(Failure.CONNECT, 11205, connector_error_text(exc), started)
        except aiohttp.InvalidURL as exc:
            return failed(Failure.OTHER, 11100, f"invalid URL: {exc}", started)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            return failed(Failure.OTHER, 11206, f"HTTP protocol violation: {exc}", started)
        except aiohttp.ClientResponseError as exc:
            return failed(Failure.OTHER, 11206, f"HTTP protocol violation: {exc.message}", started)
        except (aiohttp.ClientError, OSError) as exc:
            return failed(Failure.CONNECT, 11205, f"HTTP connection failure: {exc}", started)


def connector_error_text(exc: aiohttp.ClientConnectorError) -> str:
    """``cannot connect to HOST:PORT: reason``, for the attempt log and everything showing it.

    aiohttp's own text (``Cannot connect to host H:P ssl:default [Connect call failed (...)]``)
    names the TLS context it would have used even for plain http, and wraps the reason in
    asyncio's words; the OS's words for the errno say it plainly ("connection refused")."""
    cause = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None)
    plain = isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError)
    errno = cause.errno if plain and isinstance(cause, OSError) else None
    if errno is not None and errno > 0:
        reason = os.strerror(errno).lower()
    elif isinstance(cause, OSError) and cause.strerror:  # a DNS failure (negative errno)
        reason = cause.strerror
    else:
        reason = str(cause) if cause is not None else "connection failed"
    return f"cannot connect to {exc.host}:{exc.port}: {reason}"


async def read_capped(body: AsyncIterator[bytes]) -> tuple[bytes, bool]:
    """Up to MAX_RESPONSE_BYTES + 1 bytes of a body, and whether it was longer than the cap."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in body:
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return b"".join(chunks)[: MAX_RESPONSE_BYTES + 1], True
    return b"".join(chunks), False


class InProcessTransport:
    """Calls ASGI/WSGI apps mounted by origin inside this process (httpx transports)."""

    def __init__(self, mounts: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        # follow_redirects=False: the webhook layer follows them (module docstring).
        self._client = httpx.AsyncClient(mounts=dict(mounts), follow_redirects=False)
        # Keep no cookies client-wide (they belong to one conversation each, see
        # AiohttpTransport): a policy that accepts no domain keeps httpx's jar empty.
        self._client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(max(budget_ms, 1) / 1000):
                async with self._client.stream(
                    request.method,
                    request.url,
                    headers=dict(request.headers),
                    content=request.body or None,
                ) as response:
                    body, truncated = await read_capped(response.aiter_bytes())
                    headers = {k.lower(): v for k, v in response.headers.items()}
                    cookies = tuple(response.headers.get_list("set-cookie"))
                    return answered(
                        response.status_code, headers, body, truncated, started, cookies
                    )
        except TimeoutError:
            return failed(
                Failure.TOTAL, 11203, "HTTP communication total time out triggered", started
            )
        except httpx.HTTPError as exc:
            return failed(Failure.CONNECT, 11205, f"HTTP connection failure: {exc}", started)
        except Exception as exc:  # the app under test raised: Twilio would have seen a 500
            detail = f"the application raised {type(exc).__name__}: {exc}"
            return failed(Failure.HTTP_5XX, 11200, detail, started)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class RoutingTransport:
    """In-process apps for their mounted origins, the network for everything else."""

    def __init__(
        self, network: Transport, mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None
    ) -> None:
        self._network = network
        self._local: dict[str, InProcessTransport] = {}
        for origin, transport in (mounts or {}).items():
            self.mount(origin, transport)

    def mount(self, origin: str, transport: httpx.AsyncBaseTransport) -> None:
        """Route requests for ``origin`` (``scheme://host[:port]``) to an in-process app."""
        key = _origin(origin)
        self._local[key] = InProcessTransport({key: transport})

    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult:
        local = self._local.get(_origin(request.url))
        if local is not None:
            return await local.send(request, connect_ms, read_ms, budget_ms)
        return await self._network.send(request, connect_ms, read_ms, budget_ms)

    async def aclose(self) -> None:
        await self._network.aclose()
        for local in self._local.values():
            await local.aclose()
