"""``serve`` takes its port before anything else, and says what it listens on once it does.

The socket is bound (and listening) before the database is opened or credentials are made, then
handed to uvicorn by file descriptor, so the banner is printed only when it is true, and a port
already in use is one clear line and a non-zero exit rather than a banner followed by an error.
The same socket serves one process or is shared by the ``--workers`` processes.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import replace
from typing import TYPE_CHECKING

from switchboard import __version__
from switchboard.config import ALL_INTERFACES, Config

if TYPE_CHECKING:
    from switchboard.app import Ready

BACKLOG = 2048  # uvicorn's default


class CannotListen(Exception):
    """The address cannot be bound; the message is the line to print."""


def authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def open_listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (port 0: a free one) and listening; CannotListen if not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # a restart may reuse a port in TIME_WAIT (never a live one)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # uvicorn takes the socket by descriptor and wraps it as AF_UNIX, so asyncio does not set
        # TCP_NODELAY on the connections it accepts; Linux copies it from the listener to every
        # accepted connection. Without it each keep-alive answer waits for the delayed ACK
        # (measured: inbound webhooks/s halved, bench/inbound.py).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise CannotListen(
            f"switchboard: cannot listen on {authority(host, port)}: {_reason(error)}"
        ) from None
    sock.set_inheritable(True)  # the --workers processes serve the same socket
    return sock


def _reason(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "address already in use"
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def banner(ready: Ready, database: str) -> list[str]:
    """The lines ``serve`` prints once it listens: where, the URLs to use and the credentials."""
    config, account = ready.config, ready.account
    base = config.base_url
    verb = "created" if ready.created else "using"
    # Off loopback the dashboard asks for credentials from every machine, this one included.
    sign_in = "" if config.is_loopback else "   (sign in with the Account SID and Auth token)"
    lines = [
        f"switchboard {__version__} listening on {listening_on(config)}",
        f"  Dashboard      {base}/{sign_in}",
        f"  API base URL   {base}",
    ]
    if config.host in ALL_INTERFACES and not config.public_url:
        lines.append(f"  Other machines http://<this machine's address>:{config.port}")
    lines += [
        f"  Account SID    {account.sid}   ({verb})",
        f"  Auth token     {account.auth_token}",
        f"  Database       {database}",
    ]
    if config.twilio_hosts:
        lines += twilio_hosts_lines(config)
    return lines


def twilio_hosts_lines(config: Config) -> list[str]:
    """What ``serve --twilio-hosts`` adds to the banner: where the proxy is, the CA to trust."""
    ca = f"{config.ca_dir}/ca.pem"
    lines = [f"  Twilio proxy   {config.proxy_url}   (HTTPS_PROXY; trust {ca})"]
    if config.tls_port is not None:
        tls = listening_on(replace(config, port=config.tls_port)).replace("http://", "")
        lines.append(f"  Twilio TLS     {tls}   (for a hosts-file or DNS override)")
    lines.append(
        '  SDK settings   eval "$(switchboard env --sdk python)"   (or node, java, go, ...)'
    )
    return lines


def listening_on(config: Config) -> str:
    """The bind, as said in the banner: a URL, or all interfaces with the port."""
    if config.host in ALL_INTERFACES:
        return f"all interfaces ({config.host}), port {config.port}"
    return f"http://{authority(config.host, config.port)}"
