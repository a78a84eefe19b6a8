"""``switchboard reset``: start from a clean slate between test runs."""

from __future__ import annotations

import sys

import click

from switchboard.cli.connection import Server, client_command


@click.command()
@click.option(
    "--all", "everything", is_flag=True, help="Also delete phone numbers and Messaging Services."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@client_command
def reset(server: Server, everything: bool, yes: bool) -> None:
    """Delete all messages, webhook attempts and pending jobs.

    Phone numbers and Messaging Services stay unless --all is given. Asks first when run on a
    terminal; pass --yes in scripts (piped, it does not ask). Needs the main account's
    credentials (not an API key or a subaccount).
    """
    url = server.connection.url  # no credentials: say so before asking
    what = "messages, webhook attempts and pending jobs"
    if everything:
        what += ", phone numbers and Messaging Services"
    if not yes and sys.stdin.isatty():
        click.confirm(f"Delete all {what} on {url}?", abort=True)
    server.client.reset(keep_numbers=not everything)
    kept = "" if everything else " Phone numbers and Messaging Services were kept."
    click.echo(f"Deleted all {what}.{kept}")
