"""Webhook connection overrides (SPEC §2) and webhook URL validation."""

from __future__ import annotations

import pytest

from switchboard.domain.connection import (
    EDGES,
    INTERCONNECT_EDGES,
    PUBLIC_EDGES,
    ConnectionPolicy,
    RetryCondition,
    parse_connection_overrides,
    validate_webhook_url,
)
from switchboard.domain.errors import TwilioError

URL = "https://example.com/sms?a=1"
CT, RT, C4, C5 = (
    RetryCondition.CONNECT,
    RetryCondition.READ,
    RetryCondition.HTTP_4XX,
    RetryCondition.HTTP_5XX,
)


def policy_for(fragment: str) -> ConnectionPolicy:
    url, policy = parse_connection_overrides(f"{URL}#{fragment}")
    assert url == URL
    return policy


# --- Defaults -----------------------------------------------------------------------------------


def test_defaults_match_twilio() -> None:
    policy = ConnectionPolicy()
    assert (policy.connect_timeout_ms, policy.read_timeout_ms, policy.total_timeout_ms) == (
        5000,
        15000,
        15000,
    )
    assert policy.retry_count == 1
    assert policy.max_attempts == 2
    assert policy.retry_on == frozenset({CT})
    assert policy.edges == ("ashburn",)
    assert policy.sni is True


@pytest.mark.parametrize("url", [URL, f"{URL}#", f"{URL}#section-2", f"{URL}#&&=&"])
def test_no_usable_fragment_gives_the_defaults(url: str) -> None:
    assert parse_connection_overrides(url) == (URL, ConnectionPolicy())


def test_retries_consults_retry_on() -> None:
    policy = ConnectionPolicy()
    assert policy.retries(CT)
    assert not policy.retries(RT)
    assert not policy.retries(C5)


def test_retry_condition_values_are_the_fragment_spellings() -> None:
    assert [c.value for c in RetryCondition] == ["ct", "rt", "4xx", "5xx"]
    assert RetryCondition("5xx") is C5


# --- Each key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "field", "expected"),
    [
        ("ct=1000", "connect_timeout_ms", 1000),
        ("rt=5000", "read_timeout_ms", 5000),
        ("tt=9000", "total_timeout_ms", 9000),
        ("rc=3", "retry_count", 3),
        ("rc=0", "retry_count", 0),
        ("sni=n", "sni", False),
        ("sni=y", "sni", True),
        ("sni=N", "sni", False),
        ("e=dublin", "edges", ("dublin",)),
        ("e=sao-paulo,tokyo,london-ix", "edges", ("sao-paulo", "tokyo", "london-ix")),
        ("e=Dublin", "edges", ("dublin",)),
        ("rp=ct,rt", "retry_on", frozenset({CT, RT})),
        ("rp=4xx", "retry_on", frozenset({C4})),
        ("rp=5xx,4xx", "retry_on", frozenset({C4, C5})),
        ("rp=rt", "retry_on", frozenset({RT})),
        ("rp=all", "retry_on", frozenset(RetryCondition)),
        ("rp=ct,all", "retry_on", frozenset(RetryCondition)),
        ("rp=ct%2C5xx", "retry_on", frozenset({CT, C5})),
    ],
)
def test_each_key(fragment: str, field: str, expected: object) -> None:
    assert getattr(policy_for(fragment), field) == expected


def test_full_fragment() -> None:
    policy = policy_for("ct=1000&rt=5000&tt=12000&rc=2&rp=ct,rt&e=dublin,frankfurt&sni=n")
    assert policy == ConnectionPolicy(
        connect_timeout_ms=1000,
        read_timeout_ms=5000,
        total_timeout_ms=12000,
        retry_count=2,
        retry_on=frozenset({CT, RT}),
        edges=("dublin", "frankfurt"),
        sni=False,
    )
    assert policy.max_attempts == 3


def test_every_documented_edge_is_accepted() -> None:
    assert len(PUBLIC_EDGES) == 8
    assert len(INTERCONNECT_EDGES) == 5
    assert policy_for("e=" + ",".join(sorted(EDGES))).edges == tuple(sorted(EDGES))


# --- Leniency -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "field", "expected"),
    [
        ("ct=1", "connect_timeout_ms", 100),
        ("ct=99999", "connect_timeout_ms", 10_000),
        ("ct=-5", "connect_timeout_ms", 100),
        ("rt=0", "read_timeout_ms", 100),
        ("rt=15001", "read_timeout_ms", 15_000),
        ("tt=50", "total_timeout_ms", 100),
        ("tt=60000", "total_timeout_ms", 15_000),
        ("rc=9", "retry_count", 5),
        ("rc=-1", "retry_count", 0),
        ("ct=100", "connect_timeout_ms", 100),
        ("ct=10000", "connect_timeout_ms", 10_000),
        ("rc=5", "retry_count", 5),
    ],
)
def test_out_of_range_numbers_are_clamped(fragment: str, field: str, expected: int) -> None:
    assert getattr(policy_for(fragment), field) == expected


@pytest.mark.parametrize(
    "fragment",
    ["ct=abc", "ct=", "rt=1.5", "tt=1_000", "rc=٣", "rc=two", "sni=maybe", "sni=", "sni=yes"],
)
def test_unusable_values_for_lenient_keys_keep_the_default(fragment: str) -> None:
    assert policy_for(fragment) == ConnectionPolicy()


def test_unknown_keys_and_bare_words_are_ignored() -> None:
    assert policy_for("foo=bar&anchor&CT=1000&rc=3") == ConnectionPolicy(retry_count=3)


def test_last_occurrence_wins() -> None:
    assert policy_for("rc=2&rc=4").retry_count == 4


# --- Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["6xx", "", "ct,", "ct,bogus", "timeout", "none"])
def test_bad_retry_policy_is_11243(value: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_connection_overrides(f"{URL}#rp={value}")
    assert info.value.code == 11243


@pytest.mark.parametrize("value", ["mars", "", "dublin,", "dublin,london", "ashburn-x", "IX"])
def test_unknown_edge_is_11240(value: str) -> None:
    with pytest.raises(TwilioError) as info:
        parse_connection_overrides(f"{URL}#e={value}")
    assert info.value.code == 11240


def test_policy_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="edges"):
        ConnectionPolicy(edges=())
    with pytest.raises(ValueError, match="retry_count"):
        ConnectionPolicy(retry_count=-1)


# --- Edge rotation ------------------------------------------------------------------------------


def test_edges_rotate_over_attempts() -> None:
    policy = policy_for("e=dublin,tokyo,sydney&rc=5")
    assert [policy.edge_for_attempt(n) for n in range(1, policy.max_attempts + 1)] == [
        "dublin",
        "tokyo",
        "sydney",
        "dublin",
        "tokyo",
        "sydney",
    ]


def test_single_edge_serves_every_attempt() -> None:
    policy = ConnectionPolicy()
    assert {policy.edge_for_attempt(n) for n in range(1, 7)} == {"ashburn"}


def test_attempts_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        ConnectionPolicy().edge_for_attempt(0)


# --- The fragment never survives ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h.example/sms#ct=1000&rc=2", "https://h.example/sms"),
        ("https://h.example/sms?x=1&y=#rp=all", "https://h.example/sms?x=1&y="),
        ("https://h.example/#anchor#rc=1", "https://h.example/"),
        ("https://h.example/p#not key value", "https://h.example/p"),
        ("https://h.example/p", "https://h.example/p"),
    ],
)
def test_fragment_is_stripped(url: str, expected: str) -> None:
    stripped, _ = parse_connection_overrides(url)
    assert stripped == expected
    assert "#" not in stripped


# --- validate_webhook_url -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/sms",
        "http://example.com",
        "HTTPS://Example.com/sms?x=1",
        "https://example.com:8443/sms#ct=1000&rp=all",
        "https://user:pass@example.com/sms",
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
        "https://bücher.example/sms",
    ],
)
def test_valid_webhook_urls(url: str) -> None:
    validate_webhook_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/sms",
        "/sms",
        "ftp://example.com/sms",
        "mailto:ops@example.com",
        "https://",
        "https:///sms",
        "http://:8080/sms",
        "https://example.com:99999/sms",
        "https://example.com:port/sms",
        "http://[::1/sms",
        " https://example.com/sms",
        "https://example.com/s ms",
        "https://example.com/sms\n",
        "https://exa\tmple.com/sms",
    ],
)
def test_invalid_webhook_urls_are_11100(url: str) -> None:
    with pytest.raises(TwilioError) as info:
        validate_webhook_url(url)
    assert info.value.code == 11100
