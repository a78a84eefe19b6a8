"""``switchboard reset``: start from a clean slate between test runs."""

from __future__ import annotations

import sys

import click

from switchboard.cli.connection import call, connection_options, resolve_connection


@click.command()
@click.option(
    "--all", "everything", is_flag=True, help="Also delete phone numbers and Messaging Services."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@connection_options
def reset(
    everything: bool, yes: bool, url: str, account_sid: str | None, auth_token: str | None,
    database: str,
) -> None:  # fmt: skip
    """Delete all messages, webhook attempts and pending jobs.

    Phone numbers and Messaging Services stay unless --all is given. Asks first when run on a
    terminal; pass --yes in scripts (piped, it does not ask). Needs the main account's
    credentials (not an API key or a subaccount).
    """
    connection = resolve_connection(url, account_sid, auth_token, database)
    what = "messages, webhook attempts and pending jobs"
    if everything:
        what += ", phone numbers and Messaging Services"
    if not yes and sys.stdin.isatty():
        click.confirm(f"Delete all {what} on {connection.url}?", abort=True)
    with connection.client() as http:
        call(http, "POST", "/_sim/reset", data={"KeepNumbers": "false" if everything else "true"})
    kept = "" if everything else " Phone numbers and Messaging Services were kept."
    click.echo(f"Deleted all {what}.{kept}")
