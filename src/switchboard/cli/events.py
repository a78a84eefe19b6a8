"""``switchboard events``: the Event Streams events sent to your Sinks, listed or tailed.

The events are read from the attempt log (``GET /_sim/webhooks?Kind=event``): each attempt
carries a JSON array of CloudEvents. An event sent several times (a retry, a chaos duplicate,
a batch) is one line, with the number of attempts that carried it and the HTTP status of the
last one.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import click

from switchboard.cli.connection import Server, client_command
from switchboard.cli.output import (
    Cell,
    http_style,
    json_option,
    make_console,
    print_table,
    wide_option,
)

EVENT_ATTEMPTS = 5000  # the most /_sim/webhooks lists at once
HEADERS = ["TIME", "TYPE", "MESSAGE", "SINK", "ID", "SENT", "HTTP"]
_SINK = re.compile(r"Sink (DG[0-9a-f]{32})")
_PREFIX = "com.twilio."


@dataclass
class SentEvent:
    event: dict[str, Any]
    sink_sid: str
    attempts: int
    last_status: int | None

    @property
    def key(self) -> tuple[str, str]:
        return self.event.get("id", ""), self.sink_sid

    def to_json(self) -> dict[str, Any]:
        return {
            "sink_sid": self.sink_sid,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "event": self.event,
        }


def collect(attempts: list[dict[str, Any]]) -> list[SentEvent]:
    """One entry per (event id, Sink), in the order first sent (attempts come oldest first)."""
    found: dict[tuple[str, str], SentEvent] = {}
    for attempt in attempts:
        matched = _SINK.search(attempt.get("error_detail") or "")
        sink = matched.group(1) if matched else "-"
        try:
            events = json.loads(attempt["request"]["body"] or "[]")
        except ValueError:
            continue
        for event in events if isinstance(events, list) else []:
            key = (str(event.get("id", "")), sink)
            entry = found.get(key)
            if entry is None:
                found[key] = SentEvent(event, sink, 1, attempt["response"]["status"])
            else:
                entry.attempts += 1
                entry.last_status = attempt["response"]["status"]
    return list(found.values())


def _matches(entry: SentEvent, message_sid: str | None, type_: str | None) -> bool:
    data = entry.event.get("data") or {}
    if message_sid and data.get("messageSid") != message_sid:
        return False
    return (
        not type_
        or entry.event.get("type") == type_
        or entry.event.get("type", "").endswith(f".{type_}")
    )


def _row(entry: SentEvent) -> list[Cell]:
    event = entry.event
    status = entry.last_status
    return [
        str(event.get("time", "")),
        str(event.get("type", "")).removeprefix(_PREFIX),
        (event.get("data") or {}).get("messageSid") or "-",
        entry.sink_sid,
        str(event.get("id", "")),
        str(entry.attempts),
        (str(status) if status is not None else "-", http_style(status)),
    ]


def _fetch(server: Server, message_sid: str | None, type_: str | None) -> list[SentEvent]:
    attempts = server.client.webhooks(message_sid or None, EVENT_ATTEMPTS, kind="event")
    return [e for e in collect(attempts["webhooks"]) if _matches(e, message_sid, type_)]


@click.command()
@click.option("--message", "message_sid", help="Only this message's events (SM/MM sid).")
@click.option("--type", "type_", help="Only this type (e.g. delivered, or the full name).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 5000),
              help="The most recent N events.")  # fmt: skip
@click.option("--follow", "-f", is_flag=True, help="Keep running: print events as they are sent.")
@click.option("--interval", default=0.5, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds between polls with --follow.")  # fmt: skip
@click.option("--max-seconds", type=click.FloatRange(min=0),
              help="Stop following after this long (default: until Ctrl-C).")  # fmt: skip
@json_option
@wide_option
@client_command
def events(
    server: Server, message_sid: str | None, type_: str | None, limit: int, follow: bool,
    interval: float, max_seconds: float | None, as_json: bool, wide: bool,
) -> None:  # fmt: skip
    """List the Event Streams events sent to your Sinks, oldest first, or tail them with
    --follow (--json: one JSON object per event, with its Sink and attempts)."""
    found = _fetch(server, message_sid, type_)[-limit:]
    console = make_console()
    if not follow:
        if as_json:
            click.echo(json.dumps([e.to_json() for e in found], indent=2, ensure_ascii=False))
            return
        print_table(console, HEADERS, [_row(e) for e in found], title=None,
                    empty="No events.", wide=wide)  # fmt: skip
        return
    seen: set[tuple[str, str]] = set()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    try:
        while True:
            fresh = [e for e in found if e.key not in seen]
            for entry in fresh:
                seen.add(entry.key)
                if as_json:
                    click.echo(json.dumps(entry.to_json(), ensure_ascii=False))
                else:
                    click.echo(
                        "  ".join(str(c if isinstance(c, str) else c[0]) for c in _row(entry))
                    )
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(interval)
            found = _fetch(server, message_sid, type_)
    except KeyboardInterrupt:
        return
