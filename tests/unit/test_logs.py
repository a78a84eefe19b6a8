"""serve's log lines: coloured on a terminal, nothing enabled when quiet."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator

import pytest

from switchboard import logs


def record(**fields: object) -> logging.LogRecord:
    made = logging.LogRecord("switchboard.http", logging.INFO, __file__, 1, "x", None, None)
    made.fields = {"event": "request", "method": "POST", "path": "/p", "duration_ms": 1.25,
                   "error_code": None, **fields}  # fmt: skip
    return made


def test_the_status_is_coloured_on_a_terminal() -> None:
    coloured = logs.TextFormatter(colour=True)
    assert "\x1b[32m201  1.2 ms" in coloured.format(record(status=201))
    assert "\x1b[31m401  1.2 ms  20003" in coloured.format(record(status=401, error_code=20003))
    plain = logs.TextFormatter(colour=False).format(record(status=201))
    assert plain.endswith("  POST /p  201  1.2 ms")


@pytest.fixture
def restored() -> Iterator[None]:
    root = logging.getLogger("switchboard")
    saved = (list(root.handlers), root.level, root.propagate, logs.HTTP.level, logs.WEBHOOKS.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    root.propagate = saved[2]
    logs.HTTP.setLevel(saved[3])
    logs.WEBHOOKS.setLevel(saved[4])


def test_quiet_enables_no_request_or_webhook_line(
    restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(logs.LOG_ENV, raising=False)
    logs.configure("json", quiet=True)
    assert not logs.HTTP.isEnabledFor(logging.INFO)
    assert not logs.WEBHOOKS.isEnabledFor(logging.INFO)
    assert logs.SERVER.isEnabledFor(logging.INFO)
    logs.configure("text")
    assert logs.HTTP.isEnabledFor(logging.INFO)


def test_buffered_lines_are_written_in_order_by_the_handlers_thread() -> None:
    stream = io.StringIO()
    handler = logs.BufferedStreamHandler(stream)
    handler.setFormatter(logs.TextFormatter(colour=False))
    for status in (200, 201, 404):
        handler.handle(record(status=status))
    deadline = time.monotonic() + 20
    while stream.getvalue().count("\n") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the condition asserted, not for a time
    lines = stream.getvalue().splitlines()
    assert [line.split()[3] for line in lines] == ["200", "201", "404"], lines


def test_flush_writes_every_waiting_line_at_once() -> None:
    stream = io.StringIO()
    handler = logs.BufferedStreamHandler(stream)
    handler.setFormatter(logs.TextFormatter(colour=False))
    for status in range(200, 300):
        handler.handle(record(status=status))
    handler.flush()  # logging.shutdown does this at exit
    assert [int(line.split()[3]) for line in stream.getvalue().splitlines()] == list(
        range(200, 300)
    )
