"""``switchboard load``: drive many handset messages at one of your numbers and measure the app.

See :mod:`switchboard.cli.loadgen` for how messages are paced and results collected.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from switchboard.cli.connection import Server, client_command
from switchboard.cli.exits import Failed
from switchboard.cli.output import (
    Cell,
    json_option,
    make_console,
    print_fields,
    print_json,
    print_table,
)


def print_summary(console: Console, report: dict[str, Any]) -> None:
    latency = report["latency_ms"]
    rate = f" ({report['send_rate']}/s)" if report["send_rate"] else ""
    fields: list[tuple[str, Cell]] = [
        ("Messages sent", f"{report['messages_sent']} in {report['send_seconds']:.2f} s{rate}"),
        ("Webhook attempts", str(report["webhook_attempts"])),
        ("Latency (ms)", "  ".join(f"{k} {v:.1f}" for k, v in latency.items())),
        ("Replies", str(report["replies"])),
    ]
    if report["send_errors"]:
        fields.insert(1, ("Send failures", (str(sum(report["send_errors"].values())), "red")))
    if report["webhooks_pending"]:
        fields.insert(2, ("Still pending", (str(report["webhooks_pending"]), "red")))
    if not report["errors"]:
        fields.append(("Webhook errors", ("none", "green")))
    console.print()
    print_fields(console, fields)
    for text, count in report["send_errors"].items():
        console.print(f"send error ×{count}: {text}", style="red", markup=False)
    errors = [
        [(code, "red"), str(e["count"]), e["example"]] for code, e in report["errors"].items()
    ]
    if errors:
        print_table(console, ["ERROR", "COUNT", "EXAMPLE"], errors, title="Webhook errors")
    if report["webhook_attempts"] == 0 and report["messages_sent"]:
        console.print(f"No webhook was sent: does {report['to']} have an SMS URL?",
                      style="yellow", markup=False)  # fmt: skip


@click.command(short_help="Load-test your app with many inbound messages.")
@click.option("--to", required=True, help="Your number under test (its app gets the webhooks).")
@click.option(
    "--from-prefix",
    default="+1555",  # the fictional area code: valid handsets (docs/api.md)
    show_default=True,
    help="Senders are this prefix padded with digits: one handset per message.",
)
@click.option(
    "--count",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many messages to send.",
)
@click.option(
    "--rate",
    default=50.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Messages per second (0: as fast as the server takes them).",
)
@click.option(
    "--per-message",
    is_flag=True,
    help="A request per message instead of one NDJSON stream for them all.",
)
@click.option(
    "--concurrency",
    default=16,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Requests in flight at most (with --per-message; and while collecting the webhooks).",
)
@click.option(
    "--body",
    default="load test {n}",
    show_default=True,
    help="Message text; {n} becomes the message's number.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds to wait for the webhooks after the last message.",
)
@json_option
@client_command
def load(
    server: Server, to: str, from_prefix: str, count: int, rate: float, per_message: bool,
    concurrency: int, body: str, timeout: float, as_json: bool,
) -> None:  # fmt: skip
    """Send COUNT handset messages to --to at --rate per second and summarise the webhooks.

    The messages go in one request (POST /_sim/inbound, application/x-ndjson), each line
    written when its time comes at --rate, or a request each with --per-message.

    Prints messages sent, webhook attempts, latency percentiles (the attempts' durations),
    errors by code and replies. Exits 4 if a message could not be sent, a webhook attempt
    failed or a webhook was still pending at --timeout.

    \b
    Example:
      switchboard load --to +15555550100 --count 1000 --rate 200 --concurrency 32
    """
    from switchboard.cli.loadgen import Driver, Plan, summary

    connection = server.connection
    plan = Plan(to, from_prefix, count, rate, concurrency, body, per_message)
    console = make_console()
    if not as_json:
        pace = f"{rate:g}/s" if rate else "full speed"
        how = f"{concurrency} at a time" if per_message else "in one stream"
        console.print(f"Sending {count} messages to {to} at {pace}, {how}", markup=False)
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    progress = Progress(*columns, console=console, disable=as_json or not console.is_terminal)
    with progress:
        results = asyncio.run(Driver(connection, plan, progress).run(timeout))
    report = summary(plan, results)
    if as_json:
        print_json(report)
    else:
        print_summary(console, report)
    if not report["ok"]:
        raise Failed
