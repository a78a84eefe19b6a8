"""A minimal webhook receiver for benchmarks: records (MessageSid, receipt time) and answers
an empty TwiML <Response/>. Run: python bench/receiver.py PORT OUTFILE (Ctrl-C writes OUTFILE).

Deliberately not ``switchboard.testing.TestReceiver``: the benchmark measures switchboard, so the
receiver must cost as little as possible and sit in a process of its own. This one is a bare
ASGI app under uvicorn (an event loop, no thread per connection, no signature check, no
per-request records beyond the SID), so it is never the bottleneck of bench/inbound.py."""

from __future__ import annotations

import signal
import sys
import time
from urllib.parse import parse_qsl

import uvicorn

RECEIVED: list[tuple[str, float]] = []
REPLY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        event = await receive()
        body += event.get("body", b"")
        more = event.get("more_body", False)
    sid = dict(parse_qsl(body.decode())).get("MessageSid", "")
    if sid:
        RECEIVED.append((sid, time.time()))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml")]})  # fmt: skip
    await send({"type": "http.response.body", "body": REPLY})


def main() -> None:
    port, outfile = int(sys.argv[1]), sys.argv[2]

    def dump(*_: object) -> None:
        with open(outfile, "w") as out:
            out.writelines(f"{sid} {at}\n" for sid, at in RECEIVED)

    # Idle keep-alive connections stay open: a server slowed down (by valgrind in
    # bench/instructions.py, or a busy machine) must not find them closed under it after
    # uvicorn's default 5 s (measured: 1-2% of the webhooks failed with 11205 and the run hung).
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off", timeout_keep_alive=3600)  # fmt: skip
    server = uvicorn.Server(config)
    signal.signal(signal.SIGUSR1, dump)
    server.run()
    dump()


if __name__ == "__main__":
    main()
