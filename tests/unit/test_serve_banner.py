"""What ``serve`` says it listens on, and the URLs it tells you to use, for each kind of bind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard import __version__
from switchboard.app import Ready
from switchboard.cli.listen import banner
from switchboard.config import Config
from switchboard.domain.models import Account

SID = "AC" + "1" * 32
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def lines(
    created: bool = True, host: str = "127.0.0.1", port: int = 8080, public_url: str | None = None
) -> list[str]:
    account = Account(
        sid=SID,
        auth_token="token",
        friendly_name="main",
        status="active",
        owner_account_sid=SID,
        date_created=NOW,
        date_updated=NOW,
    )
    config = Config(host=host, port=port, public_url=public_url)
    return banner(Ready(account, created, config), "shown.db")


def test_the_default_loopback_bind() -> None:
    assert lines(port=8080) == [
        f"switchboard {__version__} listening on http://127.0.0.1:8080",
        "  Dashboard      http://127.0.0.1:8080/",
        "  API base URL   http://127.0.0.1:8080",
        f"  Account SID    {SID}   (created)",
        "  Auth token     token",
        "  Database       shown.db",
    ]
    assert f"  Account SID    {SID}   (using)" in lines(created=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_all_interfaces_name_the_bind_and_the_urls_to_use(host: str) -> None:
    first, dashboard, api, others, *_ = lines(host=host, port=9000)
    assert first == f"switchboard {__version__} listening on all interfaces ({host}), port 9000"
    assert dashboard == (
        "  Dashboard      http://127.0.0.1:9000/   (sign in with the Account SID and Auth token)"
    )
    assert api == "  API base URL   http://127.0.0.1:9000"
    assert others == "  Other machines http://<this machine's address>:9000"


def test_a_public_url_is_the_url_to_use_not_the_bind() -> None:
    first, dashboard, api, account, *_ = lines(
        host="0.0.0.0", port=8080, public_url="https://sb.example.com/"
    )
    assert first.endswith("listening on all interfaces (0.0.0.0), port 8080")
    assert dashboard.startswith("  Dashboard      https://sb.example.com/   (sign in")
    assert api == "  API base URL   https://sb.example.com"
    assert account.startswith("  Account SID")  # the public URL already says how to reach it


@pytest.mark.parametrize(
    ("host", "url"),
    [("::1", "http://[::1]:8080"), ("localhost", "http://localhost:8080")],
)
def test_other_loopback_binds(host: str, url: str) -> None:
    first, dashboard, *_ = lines(host=host, port=8080)
    assert first.endswith(f"listening on {url}")
    assert dashboard == f"  Dashboard      {url}/"


def test_an_address_of_this_machine() -> None:
    first, dashboard, api, account, *_ = lines(host="192.168.1.10", port=8080)
    assert first.endswith("listening on http://192.168.1.10:8080")
    assert dashboard.endswith("/   (sign in with the Account SID and Auth token)")
    assert api == "  API base URL   http://192.168.1.10:8080"
    assert account.startswith("  Account SID")


def test_connections_accepted_by_the_listener_send_without_delay() -> None:
    """uvicorn wraps the listener's descriptor as AF_UNIX, so asyncio never sets TCP_NODELAY on
    the connections: the listener must carry it (Linux copies it to each accepted socket), or
    every keep-alive answer waits for the peer's delayed ACK."""
    import socket

    from switchboard.cli.listen import open_listener

    with open_listener("127.0.0.1", 0) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_the_geocoder_is_loaded_before_the_app_serves() -> None:
    """Its data takes ~0.25 s of CPU to load: a server that answers before it is loaded spends
    that time in the first requests and webhooks (a background thread holds the GIL the event
    loop needs). In a fresh interpreter, since this test process may have loaded it already."""
    import subprocess
    import sys

    program = """
import asyncio, sys
from switchboard.app import create_app
from switchboard.config import Config

async def main():
    app = create_app(Config(database=":memory:"))
    async with app.router.lifespan_context(app):
        # The module is in sys.modules from the start of its import: its last definition
        # shows that the import (the data) is done.
        geocoder = sys.modules.get("phonenumbers.geocoder")
        print(hasattr(geocoder, "description_for_number"))

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "True", done.stderr
