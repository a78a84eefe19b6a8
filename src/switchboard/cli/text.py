"""``switchboard text``: be a handset, text one of your numbers, print the app's replies."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.console import Console

from switchboard.cli.connection import Server, client_command
from switchboard.cli.output import make_console
from switchboard.simclient import SimClient


def wait_for_exchange(client: SimClient, sid: str, timeout: float) -> dict[str, Any]:
    """Poll until the inbound message's webhook (and any redirects/fallback) has finished."""
    deadline = time.monotonic() + timeout
    while True:
        exchange = client.exchange(sid)
        if not exchange["webhook_pending"] or time.monotonic() > deadline:
            return exchange
        time.sleep(0.05)


def print_exchange(console: Console, exchange: dict[str, Any]) -> bool:
    """Print replies and webhook errors; True when every webhook attempt succeeded."""
    ok = True
    for attempt in exchange["webhooks"]:
        if attempt["error_code"]:
            ok = False
            status = attempt["response"]["status"] or "no response"
            console.print(
                f"[red]webhook error {attempt['error_code']}[/] {attempt['kind']} "
                f"{attempt['method']} {attempt['url']} -> {status}: {attempt['error_detail']}"
            )
    replies = exchange["replies"]
    if not exchange["webhooks"]:
        console.print("[yellow]no webhook is configured for this number; nothing was sent[/]")
    elif not replies:
        console.print("[dim](no reply)[/]")
    for reply in replies:
        media = int(reply["num_media"])
        suffix = f" [dim]+{media} media[/]" if media else ""
        console.print(f"[bold]{reply['from']}[/] → {reply['to']}: {reply['body']}{suffix}")
    return ok


@click.command()
@click.option("--from", "from_", required=True, help="The handset's number, e.g. +14155550123.")
@click.option("--to", required=True, help="One of your numbers.")
@click.option("--media-url", multiple=True, help="Attach media by URL (repeatable).")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for replies.")
@click.argument("body", required=False, default="")
@client_command
def text(
    server: Server, from_: str, to: str, media_url: tuple[str, ...], timeout: float, body: str
) -> None:
    """Send BODY to one of your numbers as a handset would, then print the app's replies."""
    console = make_console()
    message = server.client.inbound(from_, to, body, media_urls=media_url)
    exchange = wait_for_exchange(server.client, message["sid"], timeout)
    if not print_exchange(console, exchange):
        raise SystemExit(1)
