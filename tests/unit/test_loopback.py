"""The one rule for which names mean "this machine", and the same-origin check built on it."""

from __future__ import annotations

import pytest

from switchboard.config import Config
from switchboard.loopback import is_loopback_host, is_loopback_name, same_origin, split_authority

TRUSTED_HOSTS = [
    "127.0.0.1",
    "127.0.0.1:8080",
    "127.45.6.7:1",
    "[::1]",
    "[::1]:8080",
    "[0:0:0:0:0:0:0:1]:8080",
    "localhost",
    "localhost:8080",
    "LOCALHOST",
    "LocalHost:65535",
]

# Names a DNS-rebinding page (or a tunnel) can put in Host, and things that are not host names.
UNTRUSTED_HOSTS = [
    "127.attacker.example",
    "127.0.0.1.nip.io",
    "127.0.0.1.attacker.example:8080",
    "[::1].evil",
    "[::1]evil:8080",
    "localhost.",  # a fully qualified name goes to DNS, which an attacker may answer
    "localhost.attacker.example",
    "foo.localhost",
    "127.1",  # shorthand the ipaddress module rejects: not a literal loopback address
    "2130706433",
    "127.0.0.01",
    "0.0.0.0",
    "0.0.0.0:8080",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[127.0.0.1]",
    "::1",  # IPv6 in a Host must be in brackets
    "[::1",
    "[::1%lo]",
    "127.0.0.1:",
    "127.0.0.1:http",
    "127.0.0.1:65536",
    "127.0.0.1:8080:8080",
    " 127.0.0.1",
    "user@127.0.0.1",
    "",
    ":8080",
    "evil.test",
    "\x00\xff garbage",
]


@pytest.mark.parametrize("host", TRUSTED_HOSTS)
def test_literal_loopback_addresses_and_localhost_are_trusted(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", UNTRUSTED_HOSTS)
def test_every_other_host_is_not_trusted(host: str) -> None:
    assert not is_loopback_host(host)


def test_split_authority() -> None:
    assert split_authority("LocalHost:80") == ("localhost", 80)
    assert split_authority("[::1]:8080") == ("::1", 8080)
    assert split_authority("example.com") == ("example.com", None)
    assert split_authority("[::1]x") is None


@pytest.mark.parametrize(
    ("bind", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
     ("127.attacker.example", False), ("127.1", False)],
)  # fmt: skip
def test_a_bind_is_loopback_by_the_same_rule(bind: str, loopback: bool) -> None:
    assert is_loopback_name(bind) is loopback
    assert Config(host=bind).is_loopback is loopback


@pytest.mark.parametrize(
    ("origin", "host"),
    [("http://127.0.0.1:8080", "127.0.0.1:8080"),
     ("http://LOCALHOST:8080", "localhost:8080"),
     ("http://[::1]:8080", "[::1]:8080"),
     ("https://switchboard.example.com", "switchboard.example.com"),  # TLS ends at a proxy
     ("https://switchboard.example.com", "switchboard.example.com:443"),
     ("http://switchboard.example.com:80", "switchboard.example.com")],
)  # fmt: skip
def test_same_origin(origin: str, host: str) -> None:
    assert same_origin(origin, host)


@pytest.mark.parametrize(
    ("origin", "host"),
    [("http://attacker.example", "127.0.0.1:8080"),
     ("http://127.0.0.1:9999", "127.0.0.1:8080"),
     ("http://localhost:8080", "127.0.0.1:8080"),
     ("http://127.0.0.1", "127.0.0.1:8080"),
     ("https://127.0.0.1:8080", "127.0.0.1"),
     ("null", "127.0.0.1:8080"),
     ("file://", "127.0.0.1:8080"),
     ("ftp://127.0.0.1:8080", "127.0.0.1:8080"),
     ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
     ("http://user@127.0.0.1:8080", "127.0.0.1:8080"),
     ("", "127.0.0.1:8080"),
     ("http://127.0.0.1:8080", ""),
     ("http://127.0.0.1:8080", "garbage:port")],
)  # fmt: skip
def test_other_origins_are_not_the_same(origin: str, host: str) -> None:
    assert not same_origin(origin, host)
