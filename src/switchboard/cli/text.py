"""``switchboard text``: be a handset, text one of your numbers, print the app's replies."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from switchboard.cli.connection import Server, client_command
from switchboard.cli.exits import Failed
from switchboard.cli.output import BAD, in_twilios_words, make_console
from switchboard.cli.waiting import wait_for
from switchboard.config import DEFAULT_HANDSET
from switchboard.simclient import SimClient

FAILURE_MARK = "✗"
RECHECK_SECONDS = 0.05  # between two reads of an exchange whose webhook is being retried


def wait_for_exchange(client: SimClient, sid: str, timeout: float) -> dict[str, Any]:
    """The inbound message's exchange once its webhook (and any redirects/fallback) has
    finished, or at ``timeout``.

    Most exchanges end with their first attempt, committed with the job that made it: that one
    is waited for through the assertion API (``GET /_sim/webhooks`` with ``Wait``, answered
    the moment it is stored). "Finished" is not a search the assertion API has, so a retry or
    a fallback still to come after it is watched by reading the exchange again.
    """
    deadline = time.monotonic() + timeout
    exchange = client.exchange(sid)
    if exchange["webhook_pending"] and not exchange["webhooks"]:
        left = max(deadline - time.monotonic(), 0.0)
        wait_for(lambda wait: client.webhooks(sid, 1, wait=wait)["webhooks"], left)
        exchange = client.exchange(sid)
    while exchange["webhook_pending"] and time.monotonic() < deadline:
        time.sleep(RECHECK_SECONDS)
        exchange = client.exchange(sid)
    return exchange


def attempt_failure(attempt: dict[str, Any]) -> str:
    """One failed attempt: which one (kind, number, request) and why, in Twilio's words."""
    return (
        f"{FAILURE_MARK} {attempt['kind']} attempt {attempt['attempt']} "
        f"{attempt['method']} {attempt['url']} failed "
        f"{in_twilios_words(attempt['error_code'], attempt['error_detail'])}"
    )


def reply_line(reply: dict[str, Any]) -> Text:
    """A reply as the handset would see it; a reply that went nowhere is marked with its
    status and error code."""
    line = Text()
    line.append(reply["from"], style="bold")
    line.append(f" → {reply['to']}: {reply['body']}")
    media = int(reply["num_media"])
    if media:
        line.append(f" +{media} media", style="dim")
    if reply["status"] in BAD:
        code = reply.get("error_code")
        why = f" {in_twilios_words(int(code))}" if code else ""
        line.append(f"  {FAILURE_MARK} {reply['status']}{why}", style="red")
    return line


def print_exchange(console: Console, exchange: dict[str, Any], timeout: float) -> bool:
    """Print failed webhook attempts and the replies; True when nothing failed."""
    ok = True
    for attempt in exchange["webhooks"]:
        if attempt["error_code"]:
            ok = False
            console.print(attempt_failure(attempt), style="red", markup=False)
    if exchange["webhook_pending"]:
        ok = False
        console.print(f"{FAILURE_MARK} the webhook was still pending after {timeout:g} s",
                      style="red", markup=False)  # fmt: skip
    replies = exchange["replies"]
    if not exchange["webhooks"]:
        console.print("no webhook is configured for this number; nothing was sent",
                      style="yellow", markup=False)  # fmt: skip
    elif not replies:
        console.print("(no reply)", style="dim", markup=False)
    for reply in replies:
        ok = ok and reply["status"] not in BAD
        console.print(reply_line(reply))
    return ok


@click.command()
@click.option("--from", "from_", default=DEFAULT_HANDSET, show_default=True,
              help="The handset's number (the dashboard's phone's by default).")  # fmt: skip
@click.option("--to", required=True, help="One of your numbers.")
@click.option("--media-url", multiple=True, help="Attach media by URL (repeatable).")
@click.option("--reply-to", default=None, metavar="SID",
              help="Answer this message of yours (OriginalRepliedMessageSid).")  # fmt: skip
@click.option("--button", default=None, metavar="ID",
              help="With --reply-to: tap the button or list item with this id of that "
              "message's template (ButtonPayload); the body is its label.")  # fmt: skip
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for replies.")
@click.argument("body", required=False, default="")
@client_command
def text(
    server: Server,
    from_: str,
    to: str,
    media_url: tuple[str, ...],
    reply_to: str | None,
    button: str | None,
    timeout: float,
    body: str,
) -> None:
    """Send BODY to one of your numbers as a handset would, then print the app's replies.

    Exits 4 when a webhook attempt failed, a reply failed, or the webhook was still pending
    at --timeout.
    """
    console = make_console()
    if button is not None and reply_to is None:
        raise click.UsageError("--button needs --reply-to: the message whose button is tapped")
    extras = {}
    if reply_to is not None:
        extras["OriginalRepliedMessageSid"] = reply_to
    if button is not None:
        extras["ButtonPayload"] = button
    message = server.client.inbound(from_, to, body, media_urls=media_url, **extras)
    exchange = wait_for_exchange(server.client, message["sid"], timeout)
    if not print_exchange(console, exchange, timeout):
        raise Failed
