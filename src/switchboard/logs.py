"""The server's log: one line per API request and per webhook attempt, and one on shutdown.

Library code logs through the standard :mod:`logging` module and never prints: the request
line from :class:`switchboard.api.access_log.RequestLog` (logger ``switchboard.http``), the
webhook-attempt line where attempts are recorded (``switchboard.webhooks``, in
``webhooks/delivery.py``), the shutdown line from ``switchboard serve`` (``switchboard.server``).
Each record carries its fields in ``record.fields`` (a dict), so a formatter needs no parsing.

Only :func:`configure` (called by ``switchboard serve``) adds handlers. Without it nothing below
WARNING is enabled, and the code that logs checks ``logger.isEnabledFor(INFO)`` before building
anything: the in-process test server, ``switchboard worker`` and ``serve --quiet`` format
nothing. ``serve --workers N`` processes are started afresh by uvicorn; they read the choice
from the environment variable :data:`LOG_ENV` (:func:`configure_from_env`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Literal, TextIO

HTTP: Final = logging.getLogger("switchboard.http")
WEBHOOKS: Final = logging.getLogger("switchboard.webhooks")
SERVER: Final = logging.getLogger("switchboard.server")
LOG_ENV: Final = "SWITCHBOARD_LOG"

Format = Literal["text", "json"]
FORMATS: Final = ("text", "json")
FLUSH_SECONDS: Final = 0.1  # how long a line may wait in the buffer before it is written

_RESET, _DIM, _GREEN, _YELLOW, _RED = "\x1b[0m", "\x1b[2m", "\x1b[32m", "\x1b[33m", "\x1b[31m"


def _status_colour(status: int | None, error_code: int | None) -> str:
    if error_code or status is None or status >= 400:
        return _RED
    return _YELLOW if status >= 300 else _GREEN


class Seconds:
    """A time stamp to the second, formatted once per second rather than once per line."""

    def __init__(self, pattern: str, convert: Callable[[float], time.struct_time]) -> None:
        self.pattern, self.convert = pattern, convert
        self.last: tuple[int, str] = (-1, "")

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self.last[0]:
            self.last = (second, time.strftime(self.pattern, self.convert(second)))
        return self.last[1]


class TextFormatter(logging.Formatter):
    """``12:00:01.234  POST /path  201  3.2 ms`` (a webhook: its kind first, then the URL;
    an error code last), the status coloured when ``colour``."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour
        self.second = Seconds("%H:%M:%S", time.localtime)

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        stamp = f"{self.second(record.created)}.{int(record.msecs):03d}"
        if fields is None or "status" not in fields:
            return f"{stamp}  {record.getMessage()}"
        status, code = fields["status"], fields.get("error_code")
        where = fields.get("path") or fields.get("url")
        what = f"{fields['method']} {where}"
        if fields["event"] == "webhook":
            what = f"webhook {fields['kind']} {what}"
        result = f"{status if status is not None else '-'}  {fields['duration_ms']:.1f} ms"
        if code:
            result += f"  {code}"
        if not self.colour:
            return f"{stamp}  {what}  {result}"
        colour = _status_colour(status, code)
        return f"{_DIM}{stamp}{_RESET}  {what}  {colour}{result}{_RESET}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601, UTC), ``event`` and the record's fields."""

    def __init__(self) -> None:
        super().__init__()
        self.second = Seconds("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.second(record.created)
        line: dict[str, Any] = {"time": f"{stamp}.{int(record.msecs):03d}Z"}
        fields = getattr(record, "fields", None)
        line.update(fields if fields else {"event": "log", "message": record.getMessage()})
        return json.dumps(line, ensure_ascii=False)


def line(logger: logging.Logger, fields: dict[str, Any], message: str, *args: object) -> None:
    """Log one INFO line carrying ``fields`` (the caller has checked the level). The record is
    made directly: the formatters never show where a line was logged, so the stack walk that
    ``logger.info`` does to find its caller is skipped."""
    record = logger.makeRecord(logger.name, logging.INFO, "", 0, message, args, None)
    record.fields = fields
    logger.handle(record)


class BufferedStreamHandler(logging.StreamHandler[TextIO]):
    """A stream handler that gathers lines and writes them together, at most
    :data:`FLUSH_SECONDS` after the first of them, from a thread of its own: the event loop
    formats a line and appends it, and no longer makes a system call per request and per
    webhook attempt. ``flush()`` writes what is waiting; ``logging.shutdown`` calls it at exit
    (and the server calls :func:`flush` after its last line), so no line is lost on exit."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._writing = threading.Lock()  # one writer at a time, so lines keep their order
        self._wake = threading.Event()
        threading.Thread(target=self._flush_soon, name="log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:  # called with self.lock held
        try:
            self._pending.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if len(self._pending) == 1:
            self._wake.set()

    def flush(self) -> None:
        with self._writing:
            with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
                lines, self._pending = self._pending, []
            if not lines or self.stream is None:
                return
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):
                pass  # stderr closed or gone: the lines are dropped, as logging drops them

    def _flush_soon(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()


def flush() -> None:
    """Write every line still waiting in the server's log handler."""
    for handler in logging.getLogger("switchboard").handlers:
        handler.flush()


def configure(log_format: Format = "text", *, quiet: bool = False) -> None:
    """Log to stderr (the banner is on stdout) in ``log_format``; ``quiet``: no request or
    webhook lines, only the shutdown line and warnings. Colour when stderr is a terminal."""
    os.environ[LOG_ENV] = f"{log_format}{':quiet' if quiet else ''}"
    handler = BufferedStreamHandler(sys.stderr)
    colour = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(colour))
    root = logging.getLogger("switchboard")
    for existing in list(root.handlers):
        existing.flush()
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    # Where a line was logged from, and the thread and process that logged it, are never shown:
    # not gathered for each record (logging's documented optimisation switches).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for logger in (HTTP, WEBHOOKS):
        logger.setLevel(logging.WARNING if quiet else logging.NOTSET)


def configure_from_env() -> None:
    """In a ``serve --workers N`` process: the choice the ``serve`` command made, if any."""
    choice = os.environ.get(LOG_ENV)
    if not choice:
        return
    log_format, _, quiet = choice.partition(":")
    configure("json" if log_format == "json" else "text", quiet=quiet == "quiet")
