"""``switchboard short-codes``: provision and list the account's short codes.

Twilio leases short codes through an application, not the API; the simulator provisions one at
once (``POST /_sim/short-codes``). Add it to a Messaging Service's ShortCodes to send from it.
"""

from __future__ import annotations

from typing import Any

import click

from switchboard.cli.connection import Server, client_command
from switchboard.cli.output import json_option, make_console, print_fields, print_json, print_table


@click.group("short-codes")
def short_codes() -> None:
    """Provision and list your short codes."""


@short_codes.command("add")
@click.argument("short_code")
@click.option("--country", help="ISO country code where it works (default: US).")
@json_option
@client_command
def add_command(server: Server, short_code: str, country: str | None, as_json: bool) -> None:
    """Provision SHORT_CODE (5 or 6 digits) for the account.

    \b
    Example:
      switchboard short-codes add 55555
    """
    held: dict[str, Any] = server.client.short_code(short_code, iso_country=country)
    if as_json:
        print_json(held)
        return
    print_fields(
        make_console(),
        [("Short code", held["short_code"]), ("SID", held["sid"]), ("Name", held["friendly_name"])],
    )


@short_codes.command("list")
@json_option
@client_command
def list_command(server: Server, as_json: bool) -> None:
    """List the account's short codes (the REST API's SMS/ShortCodes)."""
    page = server.client.request(
        "GET", server.api("SMS/ShortCodes.json"), params={"PageSize": 1000}
    )
    items: list[dict[str, Any]] = page["short_codes"]
    if as_json:
        print_json(items)
        return
    rows = [[c["short_code"], c["sid"], c["friendly_name"], c["sms_url"] or "-"] for c in items]
    empty = "No short codes yet: see short-codes add."
    print_table(make_console(), ["SHORT CODE", "SID", "NAME", "SMS URL"], rows, empty=empty)
