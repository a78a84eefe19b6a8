"""An error no handler knew (a bug): Twilio's 20500 on the wire without a stack trace, the
traceback logged once, and the keep-alive connection still serving (api/unexpected.py)."""

from __future__ import annotations

import base64
import logging
import socket
from typing import Any

import orjson
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, live_server

LIST = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json"
CREDENTIALS = base64.b64encode(f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}".encode()).decode()
AUTH = f"Authorization: Basic {CREDENTIALS}"


def _answer(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """The next answer on ``sock`` (head, body), by its Content-Length."""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    del buffer[: len(head) + 4 + length]
    return head, rest[:length]


def test_a_bug_answers_20500_once_logged_and_the_connection_serves_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with live_server() as server:

        async def broken(*_: Any) -> Any:
            raise RuntimeError("a bug in the list")

        monkeypatch.setattr(server.app.state.services.messages, "list", broken)
        caplog.set_level(logging.INFO)
        with socket.create_connection(("127.0.0.1", server.config.port), timeout=30) as sock:
            request = f"GET {LIST} HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}\r\n\r\n".encode()
            buffer = bytearray()
            sock.sendall(request)
            head, body = _answer(sock, buffer)
            assert head.startswith(b"HTTP/1.1 500")
            assert orjson.loads(body) == {
                "code": 20500,
                "message": "Internal server error",
                "more_info": "https://www.twilio.com/docs/errors/20500",
                "status": 500,
            }
            # The same connection answers the next request.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head, _ = _answer(sock, buffer)
            assert head.startswith(b"HTTP/1.1 200")
    tracebacks = [
        r for r in caplog.records if r.exc_info and "a bug in the list" in str(r.exc_info[1])
    ]
    assert len(tracebacks) == 1, [r.getMessage() for r in tracebacks]
    assert tracebacks[0].getMessage() == f"unhandled error on GET {LIST}"
