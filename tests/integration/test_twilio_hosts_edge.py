"""The Twilio-hosts edge in-process (edge/): the proxy's decisions on the wire, TLS from the
local CA, and the host routing, over the real application on asyncio's own event loop (the
subprocess tests in tests/sdks run it on uvloop, as ``serve`` does)."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from switchboard.app import create_app
from switchboard.config import Config
from switchboard.edge.server import TwilioHostsServer
from switchboard.edge.tls import LeafContexts
from switchboard.localca import load_or_create
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

AUTH = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)


@dataclass
class Edge:
    proxy_port: int
    tls_port: int
    ca_file: str

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def trusting(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    async def exchange(self, data: bytes, *, port: int | None = None) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port or self.proxy_port)
        writer.write(data)
        answer = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        return answer


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    ca = load_or_create(tmp_path / "ca")
    listeners = []
    for _ in range(2):
        sock = socket.create_server(("127.0.0.1", 0))
        listeners.append(sock)
    proxy, tls = listeners
    config = Config(
        database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN,
        twilio_hosts=True, proxy_port=proxy.getsockname()[1], tls_port=tls.getsockname()[1],
        ca_dir=str(ca.directory),
    )  # fmt: skip
    app = create_app(config)
    uvicorn_config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", loop="asyncio"
    )
    uvicorn_config.load()
    server = TwilioHostsServer(
        uvicorn_config, app=app, contexts=LeafContexts(ca), proxy=proxy, tls=tls
    )
    server.lifespan = uvicorn_config.lifespan_class(uvicorn_config)
    await server.startup()
    try:
        yield Edge(proxy.getsockname()[1], tls.getsockname()[1], str(ca.cert_path))
    finally:
        await server.shutdown()


async def test_a_tunnel_to_a_twilio_host_serves_the_api(edge: Edge) -> None:
    async with httpx.AsyncClient(proxy=edge.proxy_url, verify=edge.trusting(), auth=AUTH) as c:
        account = await c.get(f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ACCOUNT_SID}.json")
        services = await c.get("https://messaging.dublin.ie1.twilio.com/v1/Services")
        elsewhere = await c.get("https://events.twilio.com/v1/Services")
    assert account.status_code == 200
    assert account.json()["sid"] == TEST_ACCOUNT_SID
    assert services.status_code == 200
    assert services.json()["meta"]["url"].startswith("https://messaging.dublin.ie1.twilio.com/")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == 20404


async def test_inside_a_tunnel_only_twilio_hosts_are_answered(edge: Edge) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.proxy_port)
    writer.write(b"CONNECT api.twilio.com:443 HTTP/1.1\r\nHost: api.twilio.com:443\r\n\r\n")
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200 ")
    await writer.start_tls(edge.trusting(), server_hostname="api.twilio.com")
    writer.write(b"GET /_sim/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 421 ")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"CONNECT example.com:443 HTTP/1.1\r\n\r\n", b"403"),
        (b"CONNECT api.twilio.com:22 HTTP/1.1\r\n\r\n", b"403"),
        (b"GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", b"403"),
        (b"GET http://api.twilio.com:8080/ HTTP/1.1\r\nHost: api.twilio.com\r\n\r\n", b"403"),
        (b"GET http://[bad/ HTTP/1.1\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"400"),
        # A client that sends TLS before the CONNECT is answered.
        (b"CONNECT api.twilio.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01", b"400"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 20000, b"431"),
    ],
)
async def test_the_proxy_refuses_everything_else(
    edge: Edge, request_bytes: bytes, status: bytes
) -> None:
    answer = await edge.exchange(request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer[:200]
    assert b"connection: close" in answer


async def test_absolute_form_requests_are_served(edge: Edge) -> None:
    """``GET https://api.twilio.com/...`` sent to the proxy itself, as some clients do."""
    credentials = base64.b64encode(f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}".encode()).decode()
    request = (
        f"GET https://api.twilio.com/2010-04-01/Accounts/{TEST_ACCOUNT_SID}.json HTTP/1.1\r\n"
        f"Host: api.twilio.com\r\nAuthorization: Basic {credentials}\r\n"
        "Connection: close\r\n\r\n"
    )
    answer = await edge.exchange(request.encode())
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert TEST_ACCOUNT_SID.encode() in answer


async def test_a_client_that_does_not_trust_the_ca_gets_no_answer(edge: Edge) -> None:
    untrusting = ssl.create_default_context()  # the system's roots only
    async with httpx.AsyncClient(proxy=edge.proxy_url, verify=untrusting) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("https://api.twilio.com/2010-04-01/Accounts.json")
    # The proxy is still serving afterwards.
    async with httpx.AsyncClient(proxy=edge.proxy_url, verify=edge.trusting(), auth=AUTH) as c:
        assert (await c.get("https://api.twilio.com/2010-04-01/Accounts.json")).status_code == 200


async def test_the_tls_listener_picks_the_certificate_by_name(edge: Edge) -> None:
    for name in ("api.twilio.com", "content.sydney.au1.twilio.com"):
        _, writer = await asyncio.open_connection(
            "127.0.0.1", edge.tls_port, ssl=edge.trusting(), server_hostname=name
        )
        certificate = writer.get_extra_info("peercert")
        writer.close()
        assert ("DNS", name) in certificate["subjectAltName"]
