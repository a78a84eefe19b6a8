"""Twilio's rule for HTTP 3xx answers to webhooks (domain/redirects.py, SPEC §15)."""

from __future__ import annotations

import pytest

from switchboard.domain.errors import TwilioError
from switchboard.domain.redirects import FOLLOWED, Hop, is_redirect, next_hop

URL = "https://app.example/sms/first?survey=1"


def hop(status: int, location: str | None, method: str = "POST", hops: int = 0) -> Hop:
    return next_hop(status, location, URL, method, hops, max_hops=10)


def code(status: int, location: str | None, hops: int = 0) -> int:
    with pytest.raises(TwilioError) as raised:
        hop(status, location, hops=hops)
    return raised.value.code


def test_only_301_302_303_307_are_followed():
    assert {301, 302, 303, 307} == FOLLOWED
    for status in (300, 304, 305, 306, 308, 399):
        assert code(status, "/next") == 11216, status


@pytest.mark.parametrize("status", [301, 302, 307])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_301_302_307_keep_the_method(status, method):
    assert hop(status, "/next", method) == Hop("https://app.example/next", method)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_303_turns_into_get(method):
    assert hop(303, "/done", method) == Hop("https://app.example/done", "GET")


def test_relative_locations_resolve_against_the_requested_url():
    assert hop(302, "second").url == "https://app.example/sms/second"
    assert hop(302, "../x?y=1").url == "https://app.example/x?y=1"
    assert hop(302, "?page=2").url == "https://app.example/sms/first?page=2"
    assert hop(302, "//other.example:8443/p").url == "https://other.example:8443/p"
    assert hop(302, " http://127.0.0.1:9000/abs ").url == "http://127.0.0.1:9000/abs"


def test_the_fragment_of_a_location_is_dropped():
    assert hop(302, "/next#rc=3").url == "https://app.example/next"


@pytest.mark.parametrize(
    "location",
    [None, "", "   ", "ftp://app.example/x", "mailto:me@example.com", "http://", "http://h:99999/"],
)
def test_a_missing_or_invalid_location_is_11216(location):
    assert code(302, location) == 11216


def test_too_many_hops_is_11215():
    assert hop(302, "/again", hops=9).url == "https://app.example/again"
    assert code(302, "/again", hops=10) == 11215
    # Another 3xx stays an invalid redirect, whatever the count.
    assert code(308, "/again", hops=10) == 11216


def test_what_a_redirect_is():
    statuses = (200, 299, 300, 302, 308, 399, 400)
    assert [s for s in statuses if is_redirect(s)] == [300, 302, 308, 399]
    assert not is_redirect(None)


def test_an_absolute_location_without_a_host_is_not_filled_in_from_the_requested_url():
    assert code(307, "http://") == 11216
    assert code(307, "https:///path") == 11216
    assert code(302, "http://[::1") == 11216
