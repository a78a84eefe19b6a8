"""Benchmark: HTTP clients for the webhook transport, side by side against bench/receiver.py.

Each client sends ``--count`` signed form POSTs (the body and headers of a real incoming-message
webhook) to the minimal receiver with ``--concurrency`` requests in flight over a keep-alive
pool, reading each answer in full, redirects not followed, a timeout on every request. It
prints requests per second and the client process's CPU per request (``time.process_time``:
every thread of the process, so a client that works in threads of its own is charged for
them). The clients run one after the other, ``--rounds`` times in turn, each in a process of its
own so that none inherits another's state; read the CPU per request, since the wall-clock rate
drifts with the load of the shared machine.

    python bench/clients.py --count 5000
    python bench/clients.py --count 5000 --clients aiohttp,rnet

``transport`` is switchboard's own adapter (src/switchboard/transport.py) over aiohttp, with its
per-request timeouts, byte-exact URL and capped read; ``aiohttp`` is the bare library.

A client whose package is not installed prints as failed (``pip install -e '.[bench]'``
installs them; they are not switchboard's dependencies); aiohttp is the one switchboard uses
(src/switchboard/transport.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from inbound import wait_http  # bench/ is the script's folder

from switchboard.testing import free_port
from switchboard.webhooks.prepare import prepare_webhook

HERE = Path(__file__).parent
CLIENTS = ("transport", "aiohttp", "curl_cffi", "aiosonic", "pyreqwest", "rnet")
PARAMS = {
    "ToCountry": "US", "ToState": "CA", "SmsMessageSid": "SM" + "0" * 32, "NumMedia": "0",
    "ToCity": "", "FromZip": "", "SmsSid": "SM" + "0" * 32, "FromState": "CA",
    "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": "bench message",
    "FromCountry": "US", "To": "+15555550100", "ToZip": "", "NumSegments": "1",
    "MessageSid": "SM" + "0" * 32, "AccountSid": "AC" + "0" * 32, "From": "+14155550123",
    "ApiVersion": "2010-04-01",
}  # fmt: skip

Send = Callable[[], Awaitable[int]]


async def run(name: str, url: str, count: int, concurrency: int) -> dict[str, float]:
    prepared = prepare_webhook(url, "POST", PARAMS, "0" * 32, "token")
    body, headers = prepared.request.body, prepared.request.headers

    async def aiohttp_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        import aiohttp

        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(total=15, sock_connect=5),
        )

        async def send() -> int:
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as r:
                await r.read()
                return r.status

        return send, session.close

    async def transport_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        # switchboard's own adapter over aiohttp: its timeouts, byte-exact URL and capped read.
        from switchboard.transport import AiohttpTransport

        transport = AiohttpTransport(max_connections=concurrency)

        async def send() -> int:
            result = await transport.send(prepared.request, 5000, 15000, 15000)
            return result.status or 0

        return send, transport.aclose

    async def curl_cffi_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        from curl_cffi import requests as curl

        session = curl.AsyncSession(max_clients=concurrency, allow_redirects=False)

        async def send() -> int:
            response = await session.post(url, data=body, headers=headers, timeout=(5, 15))
            return int(response.status_code)

        return send, session.close

    async def aiosonic_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        import aiosonic
        from aiosonic.pools import PoolConfig

        pools = {":default": PoolConfig(size=concurrency)}
        client = aiosonic.HTTPClient(aiosonic.TCPConnector(pool_configs=pools))
        timeouts = aiosonic.Timeouts(sock_connect=5, request_timeout=15)

        async def send() -> int:
            response = await client.post(
                url, data=body, headers=headers, follow=False, timeouts=timeouts
            )
            await response.content()
            return int(response.status_code)

        async def close() -> None:
            await client.connector.cleanup()

        return send, close

    async def pyreqwest_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        from datetime import timedelta

        from pyreqwest.client import ClientBuilder

        client = (
            ClientBuilder()
            .max_connections(concurrency)
            .connect_timeout(timedelta(seconds=5))
            .timeout(timedelta(seconds=15))
            .follow_redirects(False)
            .build()
        )

        async def send() -> int:
            request = client.post(url).headers(headers).body_bytes(body).build()
            response = await request.send()
            await response.bytes()
            return int(response.status)

        return send, client.close

    async def rnet_client() -> tuple[Send, Callable[[], Awaitable[None]]]:
        import rnet

        client = rnet.Client(allow_redirects=False, timeout=15, connect_timeout=5)

        async def send() -> int:
            response = await client.post(url, body=body, headers=headers)
            await response.bytes()
            return int(response.status)

        async def close() -> None:
            return None

        return send, close

    makers: dict[str, Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]] = {
        "transport": transport_client,
        "aiohttp": aiohttp_client,
        "curl_cffi": curl_cffi_client,
        "aiosonic": aiosonic_client,
        "pyreqwest": pyreqwest_client,
        "rnet": rnet_client,
    }
    send, close = await makers[name]()
    for _ in range(concurrency):  # open the pool's connections before measuring
        await send()
    pending = count

    async def worker() -> None:
        nonlocal pending
        while pending > 0:
            pending -= 1
            status = await send()
            assert status == 200, status

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await close()
    return {"requests_per_s": count / wall, "cpu_us_per_request": cpu / count * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # NAME URL: run one client, print JSON
    args = parser.parse_args()
    if args.one:
        name, url = args.one.split(" ")
        import uvloop  # the event loop switchboard serve runs on (uvicorn's default)

        uvloop.install()
        print(json.dumps(asyncio.run(run(name, url, args.count, args.concurrency))))
        return

    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        receiver = subprocess.Popen(
            [sys.executable, str(HERE / "receiver.py"), str(port), f"{workdir}/received.txt"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/sms"
        try:
            wait_http(url)
            for round_ in range(1, args.rounds + 1):
                for name in args.clients.split(","):
                    one = [sys.executable, __file__, "--one", f"{name} {url}", "--count",
                           str(args.count), "--concurrency", str(args.concurrency)]  # fmt: skip
                    done = subprocess.run(one, capture_output=True, text=True)
                    if done.returncode != 0:
                        last = (done.stderr.strip().splitlines() or ["?"])[-1]
                        print(f"round {round_}  {name:10} failed: {last}")
                        continue
                    result: dict[str, Any] = json.loads(done.stdout)
                    print(f"round {round_}  {name:10} {result['requests_per_s']:8,.0f} requests/s"
                          f"  {result['cpu_us_per_request']:6.0f} us CPU per request")  # fmt: skip
        finally:
            receiver.terminate()
            receiver.wait(10)


if __name__ == "__main__":
    main()
