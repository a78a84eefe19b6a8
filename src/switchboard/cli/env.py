"""``switchboard env --sdk NAME`` and ``switchboard ca``: an SDK's settings for the Twilio-hosts
mode, and the local CA's certificate.

``env`` asks the running server (``GET /_sim/twilio-hosts``) where its proxy and CA files are,
and prints, for the HTTP stack that SDK is built on, ``export NAME=value`` lines a POSIX shell
can ``eval`` followed by ``#`` lines for any further step. What each stack reads is SPEC.md
§22.2; what was verified and how is docs/sdks.md.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from switchboard.cli.connection import Server, client_command, own_database
from switchboard.cli.exits import CONFIG
from switchboard.config import DEFAULTS

Settings = Mapping[str, Any]
Recipe = Callable[[Settings], tuple[list[tuple[str, str]], list[str]]]

NO_PROXY_NOTE = (
    "The proxy answers only Twilio's API hosts: list other HTTPS hosts your app calls in NO_PROXY."
)
# Where a stack takes its proxy bypass list from, when it is not NO_PROXY.
BYPASS_NOTES = {
    "java": "The proxy answers only Twilio's API hosts: list other hosts your app calls in "
    "-Dhttp.nonProxyHosts (it covers https too).",
    "node": "The proxy answers only Twilio's API hosts: libraries that read HTTP_PROXY for "
    "plain http (axios) need your other hosts in NO_PROXY.",
}
TRUST_NOTE = "Trust this CA in these variables only, never system-wide (docs/sdks.md)."


def _python(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    return [("HTTPS_PROXY", s["proxy_url"]), ("REQUESTS_CA_BUNDLE", s["ca_bundle"])], [
        "The Python SDK's requests client reads both; TWILIO_EDGE/TWILIO_REGION may stay set.",
        "AsyncTwilioHttpClient (aiohttp) reads neither: pass it proxy_url= and an ssl context.",
    ]


def _node(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    # The Node SDK and twilio-cli read HTTP_PROXY (not HTTPS_PROXY) for their https requests.
    return [("HTTP_PROXY", s["proxy_url"]), ("NODE_EXTRA_CA_CERTS", s["ca_certificate"])], [
        "The Node SDK and twilio-cli send their HTTPS requests through HTTP_PROXY;",
        "NODE_EXTRA_CA_CERTS adds the CA to Node's own (read when node starts).",
    ]


def _java(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    proxy = urlsplit(s["proxy_url"])
    options = " ".join(
        [
            f"-Dhttps.proxyHost={proxy.hostname}",
            f"-Dhttps.proxyPort={proxy.port}",
            f"-Djavax.net.ssl.trustStore={s['java_truststore']}",
            f"-Djavax.net.ssl.trustStorePassword={s['java_truststore_password']}",
            "-Djavax.net.ssl.trustStoreType=PKCS12",
        ]
    )
    return [("JAVA_TOOL_OPTIONS", options)], [
        "The JVM reads these system properties (twilio-java's HttpClient uses them);",
        "the truststore holds the CA and this machine's roots.",
    ]


def _go(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    return [("HTTPS_PROXY", s["proxy_url"]), ("SSL_CERT_FILE", s["ca_bundle"])], [
        "Go's net/http (twilio-go's default client) reads both; the bundle holds the CA "
        "and this machine's roots.",
    ]


def _csharp(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    return [("HTTPS_PROXY", s["proxy_url"]), ("SSL_CERT_FILE", s["ca_bundle"])], [
        ".NET's HttpClient on Linux reads both (OpenSSL); on macOS and Windows it trusts the",
        "system store only: there, use a custom HttpClient instead (docs/sdks.md).",
    ]


def _php(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    php_dir = str(Path(s["ca_certificate"]).parent / "php")
    return [("HTTPS_PROXY", s["proxy_url"]), ("PHP_INI_SCAN_DIR", f":{php_dir}")], [
        "libcurl (twilio-php's CurlClient) reads HTTPS_PROXY; the added ini folder sets",
        "curl.cainfo and openssl.cafile to the CA bundle (the leading ':' keeps PHP's own).",
    ]


def _ruby(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    return [("https_proxy", s["proxy_url"]), ("SSL_CERT_FILE", s["ca_bundle"])], [
        "twilio-ruby (Faraday over Net::HTTP) reads https_proxy; OpenSSL reads SSL_CERT_FILE.",
        "Plain Net::HTTP.start reads http_proxy instead, for https too.",
    ]


def _curl(s: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    return [("HTTPS_PROXY", s["proxy_url"]), ("CURL_CA_BUNDLE", s["ca_bundle"])], [
        'Then: curl -u "$SID:$TOKEN" https://api.twilio.com/2010-04-01/Accounts.json',
    ]


RECIPES: dict[str, Recipe] = {
    "python": _python,
    "node": _node,
    "java": _java,
    "go": _go,
    "csharp": _csharp,
    "php": _php,
    "ruby": _ruby,
    "curl": _curl,
}


def env_lines(sdk: str, settings: Settings) -> list[str]:
    """The lines ``switchboard env --sdk`` prints: exports, then comments."""
    exports, notes = RECIPES[sdk](settings)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in exports]
    bypass = BYPASS_NOTES.get(sdk, NO_PROXY_NOTE)
    return lines + [f"# {note}" for note in (*notes, bypass, TRUST_NOTE)]


@click.command()
@click.option("--sdk", type=click.Choice(list(RECIPES)), required=True,
              help="The SDK (or tool) to print settings for.")  # fmt: skip
@client_command
def env(server: Server, sdk: str) -> None:
    """Print the environment that sends an SDK to a `serve --twilio-hosts` server.

    Apply it with: eval "$(switchboard env --sdk python)". The lines name the proxy and the
    local CA's files; the app's code stays as it is for Twilio.
    """
    settings = server.client.request("GET", "/_sim/twilio-hosts")
    for line in env_lines(sdk, settings):
        click.echo(line)


@click.command()
@click.option("--database", default=DEFAULTS.database, show_default=True,
              envvar="SWITCHBOARD_DATABASE", help="The database the CA sits beside.")  # fmt: skip
@click.option("--ca-dir", default=None, envvar="SWITCHBOARD_CA_DIR",
              help="The CA's folder (default: switchboard-ca/ beside the database).")  # fmt: skip
@click.option("--pem", is_flag=True, help="Print the certificate itself (PEM), not its path.")
def ca(database: str, ca_dir: str | None, pem: bool) -> None:
    """Print the path of the local CA's certificate (made on first use), or with --pem the
    certificate, e.g. to import it into a truststore. Its key never leaves its folder."""
    from switchboard.localca import CAError, ca_directory, load_or_create, write_trust_files

    database = own_database(click.get_current_context(), database)
    try:
        authority = load_or_create(ca_directory(database, ca_dir))
        write_trust_files(authority)
    except CAError as error:
        click.echo(f"switchboard: {error}", err=True)
        raise click.exceptions.Exit(CONFIG) from None
    if pem:
        click.echo(authority.certificate_pem().decode(), nl=False)
    else:
        click.echo(str(authority.cert_path))


__all__ = ["RECIPES", "ca", "env", "env_lines"]
