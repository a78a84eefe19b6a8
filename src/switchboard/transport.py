"""Sending one webhook HTTP request: the only place switchboard talks to users' apps.

Theory of operation. ``HttpxTransport.send`` makes one attempt under a connection policy
(connect timeout, read timeout, and the remaining total budget) and classifies what happened
into a :class:`Failure` with its Twilio error code, never raising for a misbehaving receiver.
Response bodies are read only up to 64 kB + 1 byte, so a 10 MB answer costs us 64 kB. Keep-alive
pools are per origin (httpx's pool). ``mounts`` route chosen origins to in-process ASGI/WSGI
apps, which is how the pytest plugin calls an app without a port.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

MAX_RESPONSE_BYTES = 64 * 1024


class Failure(StrEnum):
    """Why an attempt failed; the value is the retry-policy class it belongs to (or none)."""

    CONNECT = "ct"  # refused, reset, unreachable, TLS handshake, connect timeout
    READ = "rt"  # no (complete) response within the read timeout
    TOTAL = "tt"  # the total-time budget ran out
    HTTP_4XX = "4xx"
    HTTP_5XX = "5xx"
    OTHER = "other"  # protocol violation, too large, bad redirect: never retried


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

    @property
    def ok(self) -> bool:
        return self.failure is None


def _failure(kind: Failure, code: int, detail: str, started: float) -> HttpResult:
    return HttpResult(
        status=None,
        duration_ms=(time.perf_counter() - started) * 1000,
        failure=kind,
        error_code=code,
        error_detail=detail,
    )


class HttpxTransport:
    def __init__(
        self,
        *,
        mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        max_connections: int = 512,
    ) -> None:
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=10,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            mounts=dict(mounts or {}),
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self, request: OutboundRequest, connect_ms: int, read_ms: int, budget_ms: float
    ) -> HttpResult:
        started = time.perf_counter()
        if budget_ms <= 0:
            return _failure(Failure.TOTAL, 11203, "the total time budget was exhausted", started)
        limits = httpx.Timeout(
            connect=connect_ms / 1000,
            read=read_ms / 1000,
            write=read_ms / 1000,
            pool=connect_ms / 1000,
        )
        try:
            async with asyncio.timeout(budget_ms / 1000):
                return await self._attempt(request, limits, started)
        except TimeoutError:
            return _failure(
                Failure.TOTAL, 11203, "HTTP communication total time out triggered", started
            )

    async def _attempt(
        self, request: OutboundRequest, limits: httpx.Timeout, started: float
    ) -> HttpResult:
        try:
            async with self._client.stream(
                request.method,
                request.url,
                headers=dict(request.headers),
                content=request.body or None,
                timeout=limits,
            ) as response:
                body, truncated = await _read_capped(response)
                status = response.status_code
                headers = dict(response.headers.items())
        except httpx.ConnectTimeout as exc:
            return _failure(Failure.CONNECT, 11205, f"TCP connect timed out: {exc}", started)
        except httpx.ConnectError as exc:
            text = str(exc)
            if _is_dns_failure(exc):
                return _failure(Failure.OTHER, 11210, f"bad host name: {text}", started)
            if isinstance(exc.__cause__, ssl.SSLError) or "SSL" in text:
                return _failure(Failure.CONNECT, 11220, f"TLS handshake failed: {text}", started)
            return _failure(Failure.CONNECT, 11205, f"connection failed: {text}", started)
        except httpx.ReadTimeout:
            return _failure(Failure.READ, 11205, "no response within the read timeout", started)
        except (httpx.WriteTimeout, httpx.PoolTimeout) as exc:
            return _failure(
                Failure.CONNECT, 11205, f"timed out sending the request: {exc}", started
            )
        except httpx.TooManyRedirects as exc:
            return _failure(Failure.OTHER, 11215, f"too many redirects: {exc}", started)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return _failure(Failure.OTHER, 11216, f"invalid redirect or URL: {exc}", started)
        except (httpx.RemoteProtocolError, httpx.LocalProtocolError, httpx.DecodingError) as exc:
            return _failure(Failure.OTHER, 11206, f"HTTP protocol violation: {exc}", started)
        except httpx.ReadError as exc:
            return _failure(Failure.READ, 11205, f"connection lost while reading: {exc}", started)
        except httpx.HTTPError as exc:
            return _failure(Failure.CONNECT, 11205, f"HTTP connection failure: {exc}", started)
        except Exception as exc:  # an in-process app raising: record it like a 500
            detail = f"{type(exc).__name__}: {exc}"
            return _failure(Failure.OTHER, 11200, f"the application raised {detail}", started)
        duration = (time.perf_counter() - started) * 1000
        failure, code = None, None
        if truncated:
            failure, code = Failure.OTHER, 11750
        elif 400 <= status < 500:
            failure, code = Failure.HTTP_4XX, 11200
        elif status >= 500:
            failure, code = Failure.HTTP_5XX, 11200
        elif not 200 <= status < 300:
            failure, code = Failure.OTHER, 11200
        detail = "" if failure is None else _describe(status, truncated)
        return HttpResult(status, headers, body, duration, failure, code, detail, truncated)


def _describe(status: int, truncated: bool) -> str:
    if truncated:
        return f"the response body is larger than {MAX_RESPONSE_BYTES} bytes"
    return f"the application answered HTTP {status}"


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return b"".join(chunks)[: MAX_RESPONSE_BYTES + 1], True
    return b"".join(chunks), False


def _is_dns_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("name or service not known", "nodename nor servname", "name resolution",
                       "getaddrinfo", "no address associated")
    )  # fmt: skip
