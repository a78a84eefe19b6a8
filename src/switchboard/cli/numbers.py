"""``switchboard numbers``: list, add and configure the account's phone numbers (REST API)."""

from __future__ import annotations

from typing import Any

import click

from switchboard.cli.connection import Server, client_command
from switchboard.cli.output import (
    json_option,
    make_console,
    print_fields,
    print_json,
    print_table,
    wide_option,
)

# CLI option -> IncomingPhoneNumbers parameter.
SETTINGS = {
    "sms_url": "SmsUrl",
    "sms_method": "SmsMethod",
    "fallback_url": "SmsFallbackUrl",
    "status_callback": "StatusCallback",
    "friendly_name": "FriendlyName",
}


def number_settings(command: Any) -> Any:
    """The webhook configuration options shared by ``add`` and ``update``."""
    options = [
        click.option("--sms-url", help="Where incoming messages are POSTed (your app's webhook)."),
        click.option("--sms-method", type=click.Choice(["GET", "POST"], case_sensitive=False),
                     help="HTTP method for --sms-url (server default: POST)."),
        click.option("--fallback-url", help="Requested when the --sms-url request fails."),
        click.option("--status-callback", help="Status callbacks for messages sent from it."),
        click.option("--friendly-name", help="A label (default: the formatted number)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _params(settings: dict[str, str | None]) -> dict[str, str]:
    params = {SETTINGS[name]: value for name, value in settings.items() if value is not None}
    if "SmsMethod" in params:
        params["SmsMethod"] = params["SmsMethod"].upper()
    return params


def list_numbers(server: Server) -> list[dict[str, Any]]:
    """Every number of the account, following the pages."""
    numbers: list[dict[str, Any]] = []
    client = server.client
    page = client.request("GET", server.api("IncomingPhoneNumbers.json"),
                          params={"PageSize": 1000})  # fmt: skip
    while True:
        numbers.extend(page["incoming_phone_numbers"])
        if not page.get("next_page_uri"):
            return numbers
        page = client.request("GET", page["next_page_uri"])


def find_number(server: Server, number: str) -> dict[str, Any]:
    """A number given as its PN sid or as the phone number itself."""
    client = server.client
    if number.startswith("PN"):
        return client.request("GET", server.api(f"IncomingPhoneNumbers/{number}.json"))
    found = client.request("GET", server.api("IncomingPhoneNumbers.json"),
                           params={"PhoneNumber": number})  # fmt: skip
    if not found["incoming_phone_numbers"]:
        sid = server.connection.account_sid
        raise click.ClickException(f"{number} is not a number of account {sid}")
    result: dict[str, Any] = found["incoming_phone_numbers"][0]
    return result


def _show(number: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(number)
        return
    print_fields(
        make_console(),
        [
            ("Phone number", number["phone_number"]),
            ("SID", number["sid"]),
            ("Friendly name", number["friendly_name"]),
            ("SMS URL", number["sms_url"] or ("(none: messages are stored, no webhook)", "dim")),
            ("SMS method", number["sms_method"]),
            ("Fallback URL", number["sms_fallback_url"] or ""),
            ("Status callback", number["status_callback"] or ""),
        ],
    )


@click.group()
def numbers() -> None:
    """List, add and configure your phone numbers."""


@numbers.command("list")
@json_option
@wide_option
@client_command
def list_command(server: Server, as_json: bool, wide: bool) -> None:
    """List the account's phone numbers and where their messages go."""
    items = list_numbers(server)
    if as_json:
        print_json(items)
        return
    rows = [
        [n["phone_number"], n["sid"], n["friendly_name"], n["sms_method"],
         n["sms_url"] or ("-", "dim"), n["sms_fallback_url"] or "-", n["status_callback"] or "-"]
        for n in items
    ]  # fmt: skip
    headers = ["NUMBER", "SID", "NAME", "METHOD", "SMS URL", "FALLBACK URL", "STATUS CALLBACK"]
    empty = "No phone numbers yet: see numbers add."
    print_table(make_console(), headers, rows, empty=empty, wide=wide)


@numbers.command("add")
@click.argument("phone_number")
@number_settings
@json_option
@client_command
def add_command(server: Server, phone_number: str, as_json: bool, **settings: str | None) -> None:
    """Add PHONE_NUMBER (E.164, like +15555550100) to the account.

    \b
    Example:
      switchboard numbers add +15555550100 --sms-url http://127.0.0.1:5000/sms
    """
    data = {"PhoneNumber": phone_number, **_params(settings)}
    number = server.client.request("POST", server.api("IncomingPhoneNumbers.json"), data=data)
    _show(number, as_json)


@numbers.command("update", short_help="Change where a number's messages go.")
@click.argument("number")
@number_settings
@json_option
@client_command
def update_command(server: Server, number: str, as_json: bool, **settings: str | None) -> None:
    """Change where NUMBER's messages go (NUMBER: +1555... or its PN sid).

    Only the options given change; pass an empty string (--fallback-url "") to clear a URL.
    """
    data = _params(settings)
    if not data:
        raise click.UsageError("nothing to change: give at least one option, e.g. --sms-url")
    sid = find_number(server, number)["sid"]
    updated = server.client.request(
        "POST", server.api(f"IncomingPhoneNumbers/{sid}.json"), data=data
    )
    _show(updated, as_json)


@numbers.command("remove", short_help="Release a number from the account.")
@click.argument("number")
@client_command
def remove_command(server: Server, number: str) -> None:
    """Release NUMBER (+1555... or its PN sid) from the account."""
    found = find_number(server, number)
    server.client.request("DELETE", server.api(f"IncomingPhoneNumbers/{found['sid']}.json"))
    click.echo(f"Removed {found['phone_number']} ({found['sid']}).")
