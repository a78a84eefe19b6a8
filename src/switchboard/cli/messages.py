"""``switchboard messages``: list, inspect and tail the account's messages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from switchboard.cli.connection import Server, client_command
from switchboard.cli.exits import Failed
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
from switchboard.cli.waiting import (
    Search,
    Since,
    described,
    resolve_since,
    since_option,
    wait_matching,
)
from switchboard.cli.webhooks import print_attempts
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction
from switchboard.services.search import MAX_MESSAGES
from switchboard.simclient import SimClientError

F = TypeVar("F", bound=Callable[..., Any])

POLL_PAGE = 200  # the newest messages read by each poll while following
# The statuses a message is created with: a new message found in another one has moved on, and
# its timeline is fetched to print each step from the first.
FIRST_STATUSES = frozenset({"received", "queued", "accepted", "scheduled"})
REST_PAGE = 1000  # the REST API's largest PageSize


@dataclass(frozen=True, slots=True)
class Filters:
    """What ``list``, ``--follow`` and ``wait`` filter on: ``GET /_sim/messages``'s parameters."""

    to: str | None = None
    from_: str | None = None
    status: str | None = None
    direction: str | None = None
    body: str | None = None  # a regular expression
    since: datetime | None = None

    def searcher(self, server: Server) -> Search:
        """``search`` from a given moment, for the waits."""
        return lambda moment, limit, wait: replace(self, since=moment).search(server, limit, wait)

    def search(self, server: Server, limit: int, wait: float = 0.0) -> list[dict[str, Any]]:
        """The newest ``limit`` (at most MAX_MESSAGES) matches, newest first."""
        found: list[dict[str, Any]] = server.client.messages(
            to=self.to, from_=self.from_, status=self.status, direction=self.direction,
            body=self.body, since=self.since, limit=limit, wait=wait,
        )["messages"]  # fmt: skip
        return found

    @property
    def rest_only(self) -> bool:
        """Whether the REST API's Messages.json can apply them all (To and From)."""
        return not (self.status or self.direction or self.body or self.since)


def fetch_messages(server: Server, filters: Filters, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages, newest first, from the assertion API; more than it answers
    (MAX_MESSAGES) from the REST API's pages, which filter on To and From only."""
    if limit <= MAX_MESSAGES:
        return filters.search(server, limit)
    params = {"To": filters.to, "From": filters.from_, "PageSize": REST_PAGE}
    page = server.client.request("GET", server.api("Messages.json"), params=params)
    found: list[dict[str, Any]] = []
    while True:
        found.extend(page["messages"])
        if len(found) >= limit or not page.get("next_page_uri"):
            return found[:limit]
        page = server.client.request("GET", page["next_page_uri"])


def poll_messages(server: Server, filters: Filters, known: set[str]) -> list[dict[str, Any]]:
    """The newest POLL_PAGE messages, or MAX_MESSAGES when none of those is known yet (a
    burst since the previous poll)."""
    found = filters.search(server, POLL_PAGE)
    if len(found) == POLL_PAGE and not any(m["sid"] in known for m in found):
        found = filters.search(server, MAX_MESSAGES)
    return found


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


def filter_options(command: F) -> F:
    """The assertion API's message filters, shared by ``list`` and ``wait``."""
    options = [
        click.option("--to", help="Only messages to this address."),
        click.option("--from", "from_", help="Only messages from this address."),
        click.option("--status", type=click.Choice([s.value for s in MessageStatus]),
                     help="Only messages in this status now."),
        click.option("--direction", type=click.Choice([d.value for d in Direction]),
                     help="Only messages in this direction."),
        click.option("--body", metavar="REGEX", callback=_regex,
                     help="Only messages whose body matches this regular expression "
                          "(Python's syntax, searched anywhere; (?i) ignores case)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _regex(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise click.BadParameter(f"not a regular expression: {error}") from None
    return value


@messages.command("list")
@filter_options
@since_option("Only messages created at or after TIME: now, 30s, 10m, 2h, 1d back, or a "
              "time such as 2026-05-01T12:00:00Z (UTC unless it has an offset).")  # fmt: skip
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help=f"At most N messages (newest first); above {MAX_MESSAGES}, with --to/--from only.",
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
    server: Server, to: str | None, from_: str | None, status: str | None,
    direction: str | None, body: str | None, since: Since | None, limit: int, follow: bool,
    interval: float, max_seconds: float | None, as_json: bool, wide: bool,
) -> None:  # fmt: skip
    """List messages, newest first, or tail them with --follow.

    \b
    With --follow the most recent messages (up to --limit) are printed oldest first, then one
    line per new message or status change; --json prints one JSON object per line.
    """
    filters = Filters(to, from_, status, direction, body, resolve_since(server, since))
    if limit > MAX_MESSAGES and not filters.rest_only:
        raise click.BadParameter(
            f"above {MAX_MESSAGES}, messages are listed with --to and --from only "
            "(narrow the search with --since instead)",
            param_hint="--limit",
        )
    if follow:
        _Follower(server, filters, as_json).run(limit, interval, max_seconds)
        return
    found = fetch_messages(server, filters, limit)
    if as_json:
        print_json(found)
        return
    print_messages(make_console(), found, None, wide)


@messages.command("wait", short_help="Wait for a message to arrive; print it or a part of it.")
@filter_options
@since_option("Match messages created at or after TIME (default: now, so only a new one): "
              "30s, 10m, 2h, 1d back, or a time such as 2026-05-01T12:00:00Z.",
              default="now")  # fmt: skip
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait before giving up (exit 4).")  # fmt: skip
@click.option(
    "--extract",
    type=click.IntRange(min=0),
    metavar="N",
    help="Print only capture group N of --body's match (0: the whole match).",
)
@json_option
@client_command
def wait_command(
    server: Server, to: str | None, from_: str | None, status: str | None,
    direction: str | None, body: str | None, since: Since, timeout: float,
    extract: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Wait until a message matching the filters exists, then print it: its line, the
    message JSON with --json, or with --extract one capture group of --body, e.g.

    \b
      code=$(switchboard messages wait --to +15555550123 --body 'code: (\\d+)' --extract 1)

    Exits 4, saying so on one line, when none matches within --timeout seconds.
    """
    if extract is not None:
        if body is None:
            raise click.BadParameter("needs --body, the regular expression to extract from",
                                     param_hint="--extract")  # fmt: skip
        if extract > re.compile(body).groups:
            raise click.BadParameter(f"--body has {re.compile(body).groups} capture group(s)",
                                     param_hint="--extract")  # fmt: skip
    filters = Filters(to, from_, status, direction, body, resolve_since(server, since))
    assert filters.since is not None  # resolved from --since, which has a default
    found = wait_matching(server, filters.searcher(server), since, filters.since, timeout)
    if not found:
        fields = {"to": to, "from": from_, "status": status, "direction": direction,
                  "body": body and f"/{body}/"}  # fmt: skip
        click.echo(f"No message matched within {timeout:g} s "
                   f"({described(fields, filters.since)}).", err=True)  # fmt: skip
        raise Failed
    message = found[0]  # the newest
    if extract is not None:
        assert body is not None
        match = re.search(body, message["body"] or "")
        click.echo(match.group(extract) or "" if match else "")
    elif as_json:
        print_json(message)
    else:
        make_console().print(message_line(message, message["status"]))


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


def _prefix(at: str, sid: str) -> Text:
    line = Text()
    line.append(f"{at}  ", style="dim")
    line.append(f"{sid}  ")
    return line


def message_line(message: dict[str, Any], status: str) -> Text:
    """``time  sid  status  direction  from → to  body`` on one line, the message shown with
    ``status`` (its current one, or an earlier one while following)."""
    line = _prefix(when(message["date_created"], time_only=True), message["sid"])
    # The error code belongs to the current status; an earlier one is shown without it.
    shown, style = _status(message if status == message["status"] else {"status": status})
    line.append(shown.ljust(12), style=style)
    line.append(f"{message['direction']}  {message['from']} → {message['to']}  ")
    line.append(one_line(message["body"]))
    return line


class _Follower:
    """Polls the message list and prints what changed since the previous poll."""

    def __init__(self, server: Server, filters: Filters, as_json: bool) -> None:
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
                    self.poll(0, first=False)
                except SimClientError as error:  # e.g. the server restarting: keep trying
                    if not waiting:
                        click.echo(f"{error}; retrying...", err=True)
                    waiting = True
                else:
                    waiting = False
        except KeyboardInterrupt:
            pass

    def poll(self, limit: int, *, first: bool) -> None:
        """``first``: the newest ``limit``; then the newest few, more after a burst."""
        if first:
            found = fetch_messages(self.server, self.filters, limit)
        else:
            found = poll_messages(self.server, self.filters, set(self.status))
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
        self.console.print(message_line(message, status))

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
        return _prefix(at, sid)

    def emit(self, event: dict[str, Any]) -> None:
        click.echo(json.dumps(event, ensure_ascii=False))
