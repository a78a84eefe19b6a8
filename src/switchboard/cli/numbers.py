"""``switchboard numbers``: list, add and configure the account's phone numbers (REST API)."""

from __future__ import annotations

from typing import Any

import click
import httpx

from switchboard.cli.connection import (
    ServerConnection,
    api_path,
    call,
    connection_options,
    resolve_connection,
)
from switchboard.cli.output import json_option, make_console, print_fields, print_json, print_table

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


def list_numbers(http: httpx.Client, connection: ServerConnection) -> list[dict[str, Any]]:
    """Every number of the account, following the pages."""
    numbers: list[dict[str, Any]] = []
    page = call(http, "GET", api_path(connection, "IncomingPhoneNumbers.json"),
                params={"PageSize": 1000})  # fmt: skip
    while True:
        numbers.extend(page["incoming_phone_numbers"])
        if not page.get("next_page_uri"):
            return numbers
        page = call(http, "GET", page["next_page_uri"])


def find_number(http: httpx.Client, connection: ServerConnection, number: str) -> dict[str, Any]:
    """A number given as its PN sid or as the phone number itself."""
    if number.startswith("PN"):
        return call(http, "GET", api_path(connection, f"IncomingPhoneNumbers/{number}.json"))
    found = call(http, "GET", api_path(connection, "IncomingPhoneNumbers.json"),
                 params={"PhoneNumber": number})  # fmt: skip
    if not found["incoming_phone_numbers"]:
        raise click.ClickException(f"{number} is not a number of account {connection.account_sid}")
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
@connection_options
def list_command(
    as_json: bool, url: str, account_sid: str | None, auth_token: str | None, database: str
) -> None:
    """List the account's phone numbers and where their messages go."""
    connection = resolve_connection(url, account_sid, auth_token, database)
    with connection.client() as http:
        items = list_numbers(http, connection)
    if as_json:
        print_json(items)
        return
    rows = [
        [n["phone_number"], n["sid"], n["friendly_name"], n["sms_method"],
         n["sms_url"] or ("-", "dim"), n["sms_fallback_url"] or "-", n["status_callback"] or "-"]
        for n in items
    ]  # fmt: skip
    headers = ["NUMBER", "SID", "NAME", "METHOD", "SMS URL", "FALLBACK URL", "STATUS CALLBACK"]
    print_table(make_console(), headers, rows, empty="No phone numbers yet: see numbers add.")


@numbers.command("add")
@click.argument("phone_number")
@number_settings
@json_option
@connection_options
def add_command(
    phone_number: str,
    as_json: bool,
    url: str,
    account_sid: str | None,
    auth_token: str | None,
    database: str,
    **settings: str | None,
) -> None:
    """Add PHONE_NUMBER (E.164, like +15555550100) to the account.

    \b
    Example:
      switchboard numbers add +15555550100 --sms-url http://127.0.0.1:5000/sms
    """
    connection = resolve_connection(url, account_sid, auth_token, database)
    data = {"PhoneNumber": phone_number, **_params(settings)}
    with connection.client() as http:
        number = call(http, "POST", api_path(connection, "IncomingPhoneNumbers.json"), data=data)
    _show(number, as_json)


@numbers.command("update", short_help="Change where a number's messages go.")
@click.argument("number")
@number_settings
@json_option
@connection_options
def update_command(
    number: str,
    as_json: bool,
    url: str,
    account_sid: str | None,
    auth_token: str | None,
    database: str,
    **settings: str | None,
) -> None:
    """Change where NUMBER's messages go (NUMBER: +1555... or its PN sid).

    Only the options given change; pass an empty string (--fallback-url "") to clear a URL.
    """
    connection = resolve_connection(url, account_sid, auth_token, database)
    data = _params(settings)
    if not data:
        raise click.UsageError("nothing to change: give at least one option, e.g. --sms-url")
    with connection.client() as http:
        sid = find_number(http, connection, number)["sid"]
        updated = call(
            http, "POST", api_path(connection, f"IncomingPhoneNumbers/{sid}.json"), data=data
        )
    _show(updated, as_json)


@numbers.command("remove", short_help="Release a number from the account.")
@click.argument("number")
@connection_options
def remove_command(
    number: str, url: str, account_sid: str | None, auth_token: str | None, database: str
) -> None:
    """Release NUMBER (+1555... or its PN sid) from the account."""
    connection = resolve_connection(url, account_sid, auth_token, database)
    with connection.client() as http:
        found = find_number(http, connection, number)
        call(http, "DELETE", api_path(connection, f"IncomingPhoneNumbers/{found['sid']}.json"))
    click.echo(f"Removed {found['phone_number']} ({found['sid']}).")
