"""The scale-out tests' webhook receiver: a bare ASGI app under uvicorn, run as a subprocess.

    python tests/scaleout/receiver.py PORT [SLOW_SECONDS]

Every request is recorded when it arrives (path, MessageSid, MessageStatus, the
I-Twilio-Idempotency-Token header); ``GET /records`` returns them as JSON.

- ``POST /sms`` answers TwiML with one reply whose status callbacks go to ``/status``
  (``<Message action="/status">``, resolved against this URL);
- ``POST /status`` answers 204;
- ``POST /slow`` holds the request SLOW_SECONDS and answers ``<Response/>``; it also records
  how each request ended: ``answered``, or ``aborted`` when the client went away first (its
  node was killed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

REPLY = b'<?xml version="1.0" encoding="UTF-8"?><Response><Message action="/status">re</Message></Response>'  # noqa: E501
EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
RECORDS: list[dict[str, Any]] = []
SLOW_SECONDS = 8.0

Scope = dict[str, Any]


async def _body(receive: Any) -> bytes:
    body = b""
    more = True
    while more:
        event = await receive()
        if event["type"] == "http.disconnect":
            return body
        body += event.get("body", b"")
        more = event.get("more_body", False)
    return body


async def _answer(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _slow(record: dict[str, Any], receive: Any, send: Any) -> None:
    """Hold the request; note whether the client stayed (answered) or vanished (aborted)."""
    disconnected = asyncio.ensure_future(receive())  # completes only at http.disconnect
    done, _ = await asyncio.wait({disconnected}, timeout=SLOW_SECONDS)
    if done:
        record["end"] = "aborted"
        return
    disconnected.cancel()
    record["end"] = "answered"
    await _answer(send, 200, EMPTY, b"text/xml")


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if scope["method"] == "GET":
        if path == "/records":
            await _answer(send, 200, json.dumps(RECORDS).encode(), b"application/json")
        else:
            await _answer(send, 200, b"ok", b"text/plain")
        return
    params = dict(parse_qsl((await _body(receive)).decode()))
    headers = dict(scope["headers"])
    record = {
        "path": path,
        "sid": params.get("MessageSid", ""),
        "status": params.get("MessageStatus", ""),
        "token": headers.get(b"i-twilio-idempotency-token", b"").decode(),
        "at": time.time(),
    }
    RECORDS.append(record)
    if path == "/sms":
        await _answer(send, 200, REPLY, b"text/xml")
    elif path == "/slow":
        await _slow(record, receive, send)
    else:
        await _answer(send, 204, b"", b"text/plain")


def main() -> None:
    global SLOW_SECONDS
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        SLOW_SECONDS = float(sys.argv[2])
    # Idle keep-alive connections stay open longer than switchboard's client pool keeps them
    # (aiohttp: 15 s). With uvicorn's default 5 s, a node now and then reuses a connection the
    # receiver is closing, and the attempt fails with 11205 ("Can not write request body"):
    # a transport weakness of its own, kept out of the crash-safety figures.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off", backlog=4096,
                            timeout_keep_alive=75)  # fmt: skip
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
