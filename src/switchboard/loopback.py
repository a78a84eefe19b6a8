"""Which names mean "this machine": the one rule behind every trust-by-locality decision.

A loopback bind is reachable only from programs on this machine, but a web browser is such a
program, and a page can make it send requests under the page's own name: DNS rebinding points
``attacker.example`` (or ``127.0.0.1.nip.io``, ``127.attacker.example``) at 127.0.0.1, and the
request then carries ``Host: attacker.example``. So a ``Host`` is trusted only when it *is* a
loopback address (127.0.0.0/8 or ::1, written as an IP literal) or exactly ``localhost``: names
no outside DNS can hand to a browser page. Anything that merely looks local (``127.1``,
``localhost.``, ``foo.localhost``, ``0.0.0.0``) is not trusted; the price is a credentials prompt.
"""

from __future__ import annotations

import ipaddress
import re

DEFAULT_PORTS = {"http": 80, "https": 443}
_PORT = re.compile(r"[0-9]{1,5}")


def split_authority(authority: str) -> tuple[str, int | None] | None:
    """The host (lower case, IPv6 without brackets) and port of a ``Host`` value, or None.

    The forms are ``name``, ``name:port``, ``[ipv6]`` and ``[ipv6]:port``; an IPv6 address
    must be in brackets and nothing else may be.
    """
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or not _is_ipv6(host):
            return None
    else:
        host, colon, port_text = authority.partition(":")
        rest = colon + port_text
    if not host:
        return None
    if not rest:
        return host.lower(), None
    port_text = rest[1:]
    if rest[0] != ":" or not _PORT.fullmatch(port_text) or int(port_text) > 65535:
        return None
    return host.lower(), int(port_text)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def is_loopback_name(host: str) -> bool:
    """``localhost`` (any case) or a loopback IP literal; a bind address or a parsed Host."""
    if host.lower() == "localhost":
        return True
    if "%" in host:  # an IPv6 zone (``::1%lo``): not a form anyone needs, so not trusted
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_host(host_header: str) -> bool:
    """Whether a ``Host`` header names this machine by a name that cannot be rebound."""
    parts = split_authority(host_header)
    return parts is not None and is_loopback_name(parts[0])


def same_origin(origin: str, host_header: str) -> bool:
    """Whether an ``Origin`` header is the origin the request was sent to (its ``Host``).

    The scheme is the Origin's own (http or https: TLS may end at a proxy in front); a Host
    without a port means that scheme's default port.
    """
    scheme, separator, authority = origin.partition("://")
    default = DEFAULT_PORTS.get(scheme.lower())
    if not separator or default is None:
        return False
    parts, target = split_authority(authority), split_authority(host_header)
    if parts is None or target is None:
        return False
    (origin_host, origin_port), (host, port) = parts, target
    return origin_host == host and _or(origin_port, default) == _or(port, default)


def _or(port: int | None, default: int) -> int:
    return default if port is None else port
