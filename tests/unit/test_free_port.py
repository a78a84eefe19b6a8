"""``free_port`` hands out ports no ``bind(0)`` can take before the server binds them.

A port found by binding to 0 and closing came from the kernel's ephemeral range, and the next
``bind(0)`` (a test receiver's) could be given the same one: the server then failed to bind and
its health check heard the receiver (a CI run failed that way).
"""

from __future__ import annotations

import socket
import sys

import pytest

from switchboard.testing import free_port


def _ephemeral_range() -> range:
    if sys.platform.startswith("linux"):
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            low, high = (int(part) for part in ranges.read().split())
        return range(low, high + 1)
    return range(49152, 65536)


def test_a_free_port_lies_outside_the_range_bind_zero_draws_from() -> None:
    ephemeral = _ephemeral_range()
    ports = {free_port() for _ in range(200)}
    assert not ports & set(ephemeral)
    assert len(ports) > 150  # spread out, so parallel tests rarely pick the same one


def test_a_free_port_can_be_bound_while_bind_zero_sockets_are_open() -> None:
    held = []
    try:
        for _ in range(50):  # receivers and clients holding kernel-chosen ports meanwhile
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        port = free_port()
        assert port not in {sock.getsockname()[1] for sock in held}
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", port))
    finally:
        for sock in held:
            sock.close()


def test_a_taken_port_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr("switchboard.testing._FIXED_PORTS", range(busy, busy + 1))
        monkeypatch.setattr("switchboard.testing._ephemeral_floor", lambda: busy + 1)
        with pytest.raises(RuntimeError, match="no free loopback port"):
            free_port()
