"""``switchboard messages``: list, inspect and tail the account's messages."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from switchboard.cli.connection import Server, client_command
from switchboard.cli.output import (
    Cell,
    json_option,
    make_console,
    one_line,
    print_fields,
    print_json,
    print_table,
    status_style,
    when,
    wide_option,
)
from switchboard.cli.webhooks import print_attempts
from switchboard.simclient import SimClientError

POLL_PAGE = 200  # messages per request while following
# The statuses a message is created with: a new message found in another one has moved on, and
# its timeline is fetched to print each step from the first.
FIRST_STATUSES = frozenset({"received", "queued", "accepted", "scheduled"})
MAX_POLL_PAGES = 10  # a burst larger than this between two polls is partly skipped


def fetch_messages(
    server: Server, filters: dict[str, str], limit: int, known: set[str] | None = None
) -> list[dict[str, Any]]:
    """Up to ``limit`` messages, newest first; with ``known``, pages of POLL_PAGE that stop at
    the first page holding a message already seen."""
    size = min(limit, 1000) if known is None else POLL_PAGE
    params: dict[str, str | int] = {**filters, "PageSize": size}
    page = server.client.request("GET", server.api("Messages.json"), params=params)
    found: list[dict[str, Any]] = []
    while True:
        found.extend(page["messages"])
        if len(found) >= limit or not page.get("next_page_uri"):
            return found[:limit]
        if known is not None and any(m["sid"] in known for m in page["messages"]):
            return found
        page = server.client.request("GET", page["next_page_uri"])


def _status(message: dict[str, Any]) -> tuple[str, str]:
    status = message["status"]
    error = message.get("error_code")
    return (f"{status} ({error})" if error else status, status_style(status))


def message_row(message: dict[str, Any], *, wide: bool) -> list[Cell]:
    return [
        message["sid"],
        when(message["date_created"]),
        message["direction"],
        message["from"],
        message["to"],
        _status(message),
        message["num_media"] if message["num_media"] != "0" else "",
        one_line(message["body"], None if wide else 40),
    ]


MESSAGE_HEADERS = ["SID", "CREATED (UTC)", "DIRECTION", "FROM", "TO", "STATUS", "MEDIA", "BODY"]


def print_messages(
    console: Console, messages: list[dict[str, Any]], title: str | None, wide: bool = False
) -> None:
    rows = [message_row(m, wide=wide or not console.is_terminal) for m in messages]
    print_table(console, MESSAGE_HEADERS, rows, title=title, empty="No messages.", wide=wide)


@click.group()
def messages() -> None:
    """List, inspect and follow messages."""


@messages.command("list")
@click.option("--to", help="Only messages to this address.")
@click.option("--from", "from_", help="Only messages from this address.")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="At most N messages (newest first).",
)
@click.option(
    "--follow",
    "-f",
    is_flag=True,
    help="Keep running: print new messages and status changes as they happen.",
)
@click.option(
    "--interval",
    default=0.5,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between polls with --follow.",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0),
    help="Stop following after this long (default: until Ctrl-C).",
)
@json_option
@wide_option
@client_command
def list_command(
    server: Server, to: str | None, from_: str | None, limit: int, follow: bool, interval: float,
    max_seconds: float | None, as_json: bool, wide: bool,
) -> None:  # fmt: skip
    """List messages, newest first, or tail them with --follow.

    \b
    With --follow the most recent messages (up to --limit) are printed oldest first, then one
    line per new message or status change; --json prints one JSON object per line.
    """
    filters = {k: v for k, v in (("To", to), ("From", from_)) if v}
    if follow:
        _Follower(server, filters, as_json).run(limit, interval, max_seconds)
        return
    found = fetch_messages(server, filters, limit)
    if as_json:
        print_json(found)
        return
    print_messages(make_console(), found, None, wide)


@messages.command("show", short_help="Show a message, its timeline, webhooks and replies.")
@click.argument("sid")
@json_option
@wide_option
@client_command
def show_command(server: Server, sid: str, as_json: bool, wide: bool) -> None:
    """Show message SID with its status timeline, webhook attempts and replies."""
    exchange = server.client.exchange(sid)
    if as_json:
        print_json(exchange)
        return
    console = make_console()
    message = exchange["message"]
    fields: list[tuple[str, Cell]] = [
        ("SID", message["sid"]),
        ("Direction", message["direction"]),
        ("From", message["from"]),
        ("To", message["to"]),
        ("Status", _status(message)),
        ("Body", message["body"]),
        ("Segments", message["num_segments"]),
        ("Media", message["num_media"]),
        ("Created", when(message["date_created"])),
        ("Sent", when(message["date_sent"]) or "-"),
    ]
    if message.get("error_message"):
        fields.append(("Error", (str(message["error_message"]), "red")))
    if message.get("messaging_service_sid"):
        fields.append(("Service", message["messaging_service_sid"]))
    choice = exchange.get("sender_choice")
    if choice:  # why the Messaging Service chose this sender
        fields.append(("Sender rule", f"{choice['rule']}: {choice['detail']}"))
    print_fields(console, fields)
    timeline: list[list[Cell]] = [
        [when(e["at"]), (e["status"], status_style(e["status"])), str(e["error_code"] or "")]
        for e in exchange["timeline"]
    ]
    print_table(console, ["AT (UTC)", "STATUS", "ERROR"], timeline, title="Timeline")
    print_attempts(console, exchange["webhooks"], "Webhooks", wide)
    if exchange["webhook_pending"]:
        console.print("(the webhook is still pending)", style="yellow", markup=False)
    print_messages(console, exchange["replies"], "Replies", wide)


class _Follower:
    """Polls the message list and prints what changed since the previous poll."""

    def __init__(self, server: Server, filters: dict[str, str], as_json: bool) -> None:
        self.server, self.filters, self.as_json = server, filters, as_json
        self.console = make_console()
        self.status: dict[str, str] = {}  # sid -> last status printed
        self.printed: dict[str, set[str]] = {}  # sid -> every status printed

    def run(self, limit: int, interval: float, max_seconds: float | None) -> None:
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        try:
            self.poll(limit, first=True)
            waiting = False
            while deadline is None or time.monotonic() < deadline:
                pause = interval if deadline is None else min(interval, deadline - time.monotonic())
                time.sleep(max(pause, 0))
                try:
                    self.poll(POLL_PAGE * MAX_POLL_PAGES, first=False)
                except SimClientError as error:  # e.g. the server restarting: keep trying
                    if not waiting:
                        click.echo(f"{error}; retrying...", err=True)
                    waiting = True
                else:
                    waiting = False
        except KeyboardInterrupt:
            pass

    def poll(self, limit: int, *, first: bool) -> None:
        found = fetch_messages(
            self.server, self.filters, limit, None if first else set(self.status)
        )
        # Newest first: unknown messages above the first known one are new; unknown ones
        # below it are older than the window printed at the start, and stay unprinted.
        boundary = next((i for i, m in enumerate(found) if m["sid"] in self.status), len(found))
        for index in reversed(range(len(found))):
            message = found[index]
            sid, status = message["sid"], message["status"]
            if sid not in self.status:
                if index > boundary:
                    continue
                if first or status in FIRST_STATUSES:
                    self.new_message(message, status)
                else:  # it moved on before this poll: from its first status, each step
                    events = self.timeline(sid)
                    self.new_message(message, events[0]["status"] if events else status)
                    self.status_changes(message, events)
            elif status != self.status[sid]:
                self.status_changes(message, self.timeline(sid))
            self.status[sid] = status

    def timeline(self, sid: str) -> list[dict[str, Any]]:
        try:
            events: list[dict[str, Any]] = self.server.client.exchange(sid)["timeline"]
        except SimClientError:  # gone (a reset) or unreachable: the status alone
            return []
        return events

    def new_message(self, message: dict[str, Any], status: str) -> None:
        """The message's line, with ``status``: its current one, or its first when it
        has moved on since it was created (the later ones follow as status lines)."""
        self.printed[message["sid"]] = {status}
        if self.as_json:
            self.emit({"event": "message", "message": message})
            return
        line = self._prefix(when(message["date_created"], time_only=True), message["sid"])
        # The error code belongs to the current status; an earlier one is shown without it.
        shown, style = _status(message if status == message["status"] else {"status": status})
        line.append(shown.ljust(12), style=style)
        line.append(f"{message['direction']}  {message['from']} → {message['to']}  ")
        line.append(one_line(message["body"]))
        self.console.print(line)

    def status_changes(self, message: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Every status the message went through since the last one printed, from its
        timeline ``events``."""
        seen = self.printed.setdefault(message["sid"], set())
        # Only what came after the last status already printed.
        last = max((i for i, e in enumerate(events) if e["status"] in seen), default=-1)
        missed = [e for e in events[last + 1 :] if e["status"] not in seen]
        if message["status"] not in seen and all(e["status"] != message["status"] for e in missed):
            missed.append({"status": message["status"], "at": message["date_updated"],
                           "error_code": message.get("error_code")})  # fmt: skip
        for event in missed:
            seen.add(event["status"])
            if self.as_json:
                self.emit({"event": "status", "sid": message["sid"], **event})
                continue
            line = self._prefix(when(event["at"], time_only=True), message["sid"])
            line.append(event["status"], style=status_style(event["status"]))
            if event["error_code"]:
                line.append(f"  error {event['error_code']}", style="red")
            self.console.print(line)

    @staticmethod
    def _prefix(at: str, sid: str) -> Text:
        line = Text()
        line.append(f"{at}  ", style="dim")
        line.append(f"{sid}  ")
        return line

    def emit(self, event: dict[str, Any]) -> None:
        click.echo(json.dumps(event, ensure_ascii=False))
