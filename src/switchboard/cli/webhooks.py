"""``switchboard webhooks``: the log of every HTTP request switchboard made to your app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import click
from rich.console import Console
from rich.text import Text

from switchboard.cli.connection import Server, client_command
from switchboard.cli.exits import Failed
from switchboard.cli.output import (
    Cell,
    http_style,
    in_twilios_words,
    json_option,
    make_console,
    one_line,
    print_fields,
    print_json,
    print_table,
    section,
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
from switchboard.domain.models import ATTEMPT_KINDS
from switchboard.services.search import MAX_ATTEMPTS

F = TypeVar("F", bound=Callable[..., Any])

ATTEMPT_HEADERS = ["SID", "TIME", "KIND", "MESSAGE", "REQUEST", "HTTP", "MS", "ERROR"]


def attempt_row(attempt: dict[str, Any], *, wide: bool) -> list[Cell]:
    status = attempt["response"]["status"]
    error = attempt["error_code"]
    base, _, query = attempt["url"].partition("?")
    request = f"{attempt['method']} {base}{'?…' if query else ''}"
    return [
        attempt["sid"],
        when(attempt["date_created"], time_only=True),
        attempt["kind"],
        attempt["message_sid"] or "-",
        request if wide else one_line(request, 60),
        (str(status) if status is not None else "-", http_style(status)),
        f"{attempt['duration_ms']:.0f}",
        (str(error), "red") if error else "",
    ]


def print_attempts(
    console: Console, attempts: list[dict[str, Any]], title: str | None, wide: bool = False
) -> None:
    rows = [attempt_row(a, wide=wide or not console.is_terminal) for a in attempts]
    print_table(console, ATTEMPT_HEADERS, rows, title=title, empty="No webhook attempts.",
                wide=wide)  # fmt: skip


def _headers(console: Console, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        line = Text()
        line.append(name, style="cyan")
        line.append(f": {value}")
        console.print(line)


def _body(console: Console, body: str, content_type: str) -> None:
    if not body:
        console.print("(empty body)", style="dim", markup=False)
    elif "x-www-form-urlencoded" in content_type:
        for name, value in parse_qsl(body, keep_blank_values=True):
            console.print(f"{name}={value}", markup=False)
    else:
        console.print(body, markup=False)


def _content_type(headers: dict[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == "content-type"), "")


def print_attempt(console: Console, attempt: dict[str, Any]) -> None:
    """One attempt in full: what was sent, what came back, what went wrong."""
    status = attempt["response"]["status"]
    error, detail = attempt["error_code"], attempt["error_detail"]
    # Without an error code the detail is a note (a replay's origin, a TwiML warning, a
    # followed redirect), not an error.
    outcome: list[tuple[str, Cell]] = [("Error", (in_twilios_words(error, detail), "red"))]
    if not error:
        outcome = [("Error", "-"), *([("Note", detail)] if detail else [])]
    # Each redirect hop is its own attempt; its Location says where the next one went.
    location = attempt["response"]["headers"].get("location")
    print_fields(
        console,
        [
            ("SID", attempt["sid"]),
            ("Kind", f"{attempt['kind']} (attempt {attempt['attempt']})"),
            ("Message", attempt["message_sid"] or "-"),
            ("Time", when(attempt["date_created"])),
            ("Duration", f"{attempt['duration_ms']:.1f} ms"),
            ("HTTP status", (str(status) if status is not None else "no response",
                             http_style(status))),
            *([("Redirected to", location)] if location else []),
            *outcome,
            ("Idempotency", attempt["idempotency_token"] or "-"),
        ],
    )  # fmt: skip
    request, response = attempt["request"], attempt["response"]
    section(console, "Request")
    console.print(f"{attempt['method']} {attempt['url']}", markup=False)
    _headers(console, request["headers"])
    console.print()
    base, _, query = attempt["url"].partition("?")
    if attempt["method"] == "GET" and query:  # the parameters travel in the query string
        console.print(f"(query parameters of {base})", style="dim", markup=False)
        _body(console, query, "x-www-form-urlencoded")
    else:
        _body(console, request["body"], _content_type(request["headers"]))
    section(console, "Response")
    if status is None:
        console.print("(no response)", style="dim", markup=False)
        return
    console.print(f"HTTP {status}", style=http_style(status), markup=False)
    _headers(console, response["headers"])
    console.print()
    _body(console, response["body"], "")


@click.group()
def webhooks() -> None:
    """Inspect and replay the webhooks and callbacks sent to your app."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What ``list`` and ``wait`` filter on: ``GET /_sim/webhooks``'s parameters."""

    message_sid: str | None = None
    kind: str | None = None
    url: str | None = None
    status: int | None = None
    error_code: int | None = None
    failed: bool = False
    since: datetime | None = None

    def searcher(self, server: Server) -> Search:
        """``search`` from a given moment, for the waits."""
        return lambda moment, limit, wait: replace(self, since=moment).search(server, limit, wait)

    def search(self, server: Server, limit: int, wait: float = 0.0) -> list[dict[str, Any]]:
        """The newest ``limit`` matching attempts, oldest first."""
        found: list[dict[str, Any]] = server.client.webhooks(
            self.message_sid, limit, kind=self.kind, url=self.url, status=self.status,
            error_code=self.error_code, failed=self.failed, since=self.since, wait=wait,
        )["webhooks"]  # fmt: skip
        return found


def filter_options(command: F) -> F:
    """The assertion API's attempt filters, shared by ``list`` and ``wait``."""
    options = [
        click.option("--message", "message_sid",
                     help="Only the attempts for this message (SM/MM sid)."),
        click.option("--kind", type=click.Choice(ATTEMPT_KINDS),
                     help="Only attempts of this kind."),
        # Not --url: that names the server (the connection options).
        click.option("--request-url", help="Only attempts to this URL, exactly."),
        click.option("--status", type=click.IntRange(100, 599),
                     help="Only attempts answered with this HTTP status."),
        click.option("--error-code", type=int, help="Only attempts with this error code."),
        click.option("--failed", is_flag=True,
                     help="Only attempts that failed: an error code, no answer, or HTTP 400+."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@webhooks.command("list")
@filter_options
@since_option("Only attempts made at or after TIME: now, 30s, 10m, 2h, 1d back, or a time "
              "such as 2026-05-01T12:00:00Z (UTC unless it has an offset).")  # fmt: skip
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, MAX_ATTEMPTS),
              help="The most recent N attempts.")  # fmt: skip
@json_option
@wide_option
@client_command
def list_command(
    server: Server, message_sid: str | None, kind: str | None, request_url: str | None,
    status: int | None, error_code: int | None, failed: bool, since: Since | None, limit: int,
    as_json: bool, wide: bool,
) -> None:  # fmt: skip
    """List webhook and status-callback attempts, oldest first."""
    filters = Filters(message_sid, kind, request_url, status, error_code, failed,
                      resolve_since(server, since))  # fmt: skip
    attempts = filters.search(server, limit)
    if as_json:
        print_json(attempts)
        return
    print_attempts(make_console(), attempts, None, wide)


@webhooks.command("wait", short_help="Wait for a webhook attempt to be made; print it.")
@filter_options
@since_option("Match attempts made at or after TIME (default: now, so only a new one): "
              "30s, 10m, 2h, 1d back, or a time such as 2026-05-01T12:00:00Z.",
              default="now")  # fmt: skip
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait before giving up (exit 4).")  # fmt: skip
@json_option
@wide_option
@client_command
def wait_command(
    server: Server, message_sid: str | None, kind: str | None, request_url: str | None,
    status: int | None, error_code: int | None, failed: bool, since: Since, timeout: float,
    as_json: bool, wide: bool,
) -> None:  # fmt: skip
    """Wait until an attempt matching the filters has been made, then print it (the newest
    one; --json: the attempt's JSON, as `webhooks show --json` prints it).

    Exits 4, saying so on one line, when none matches within --timeout seconds.
    """
    filters = Filters(message_sid, kind, request_url, status, error_code, failed,
                      resolve_since(server, since))  # fmt: skip
    assert filters.since is not None  # resolved from --since, which has a default
    found = wait_matching(server, filters.searcher(server), since, filters.since, timeout)
    if not found:
        fields = {"message": message_sid, "kind": kind, "url": request_url, "status": status,
                  "error code": error_code, "failed": failed}  # fmt: skip
        click.echo(f"No webhook attempt matched within {timeout:g} s "
                   f"({described(fields, filters.since)}).", err=True)  # fmt: skip
        raise Failed
    newest = found[-1]  # the attempts are listed oldest first
    if as_json:
        print_json(newest)
        return
    print_attempts(make_console(), [newest], None, wide)


@webhooks.command("show", short_help="Show one attempt: request, response, error.")
@click.argument("sid")
@json_option
@client_command
def show_command(server: Server, sid: str, as_json: bool) -> None:
    """Show attempt SID (NO...): request headers and body, response, error."""
    attempt = server.client.webhook(sid)
    if as_json:
        print_json(attempt)
        return
    print_attempt(make_console(), attempt)


@webhooks.command("replay", short_help="Send an attempt's request again.")
@click.argument("sid")
@json_option
@client_command
def replay_command(server: Server, sid: str, as_json: bool) -> None:
    """Send attempt SID's request again (re-signed, fresh idempotency token) and show the result.

    The response is recorded but not carried out: no replies are sent. Exits 4 when the
    new attempt fails.
    """
    attempts = server.client.replay(sid)["webhooks"]
    if as_json:
        print_json(attempts)
    else:
        console = make_console()
        for attempt in attempts:
            print_attempt(console, attempt)
    if any(a["error_code"] for a in attempts):
        raise Failed
