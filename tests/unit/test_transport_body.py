"""The answer's body, read by the network transport over real HTTP: whole when it declares a
length within the 64 kB cap, cut at the cap (11750) when it is longer, declared or not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from switchboard.transport import MAX_RESPONSE_BYTES, AiohttpTransport, OutboundRequest

SMALL = b"<Response><Message>hi</Message></Response>"


async def _declared(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * int(request.query["size"]), content_type="text/xml")


async def _chunked(request: web.Request) -> web.StreamResponse:
    # No Content-Length: the body arrives in chunks until the server is done.
    response = web.StreamResponse(headers={"Content-Type": "text/xml"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    remaining = int(request.query["size"])
    while remaining > 0:
        piece = min(remaining, 10_000)
        await response.write(b"y" * piece)
        remaining -= piece
    await response.write_eof()
    return response


@pytest.fixture
async def origin(unused_tcp_port: int) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/declared", _declared)
    app.router.add_get("/chunked", _chunked)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    yield f"http://127.0.0.1:{unused_tcp_port}"
    await runner.cleanup()


@pytest.mark.parametrize("path", ["declared", "chunked"])
@pytest.mark.parametrize(
    ("size", "truncated"),
    [(len(SMALL), False), (MAX_RESPONSE_BYTES, False), (MAX_RESPONSE_BYTES + 1, True),
     (5 * MAX_RESPONSE_BYTES, True)],
)  # fmt: skip
async def test_body_is_read_whole_within_the_cap_and_cut_beyond_it(
    origin: str, path: str, size: int, truncated: bool
) -> None:
    transport = AiohttpTransport()
    try:
        request = OutboundRequest("GET", f"{origin}/{path}?size={size}", {})
        result = await transport.send(request, 5000, 5000, 10000)
    finally:
        await transport.aclose()
    assert result.truncated is truncated
    assert len(result.body) == min(size, MAX_RESPONSE_BYTES + 1)
    assert result.error_code == (11750 if truncated else None)
