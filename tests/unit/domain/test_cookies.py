"""Twilio's per-conversation cookie jar (domain/cookies.py): what is kept, sent and dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard.domain.cookies import (
    MAX_COOKIE_BYTES,
    MAX_COOKIES,
    MAX_LIFETIME,
    cookie_header,
    live,
    remember,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
APP = "https://app.example/sms"


def _jar(*set_cookies: str, url: str = APP, now: datetime = NOW) -> list:
    jar, ignored = remember([], list(set_cookies), url, now)
    assert ignored == []
    return jar


def test_a_cookie_set_by_the_app_comes_back_on_the_next_request() -> None:
    jar = _jar("session=abc123; Path=/; HttpOnly")
    assert cookie_header(jar, APP, NOW + timedelta(minutes=5)) == "session=abc123"
    assert cookie_header([], APP, NOW) is None


def test_without_an_expiry_a_cookie_lives_four_hours() -> None:
    (cookie,) = _jar("session=abc")
    assert cookie.expires == NOW + MAX_LIFETIME
    assert cookie_header([cookie], APP, NOW + MAX_LIFETIME - timedelta(seconds=1))
    assert cookie_header([cookie], APP, NOW + MAX_LIFETIME) is None
    assert live([cookie], NOW + MAX_LIFETIME) == []


def test_max_age_and_expires_shorten_the_life_but_never_past_four_hours() -> None:
    short, capped = _jar("a=1; Max-Age=60"), _jar("b=2; Max-Age=86400")
    assert short[0].expires == NOW + timedelta(seconds=60)
    assert capped[0].expires == NOW + MAX_LIFETIME
    (dated,) = _jar("c=3; Expires=Wed, 02 Dec 2026 13:30:00 GMT")
    assert dated.expires == datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
    (far,) = _jar("d=4; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    assert far.expires == NOW + MAX_LIFETIME
    (huge,) = _jar("e=5; Max-Age=99999999999999999999")  # no overflow: capped first
    assert huge.expires == NOW + MAX_LIFETIME


def test_max_age_zero_or_a_past_expiry_deletes_the_cookie() -> None:
    jar = _jar("session=abc", "theme=dark")
    jar, _ = remember(jar, ["session=; Max-Age=0"], APP, NOW)
    assert cookie_header(jar, APP, NOW) == "theme=dark"
    jar, _ = remember(jar, ["theme=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], APP, NOW)
    assert jar == []


def test_a_new_value_replaces_the_old_one() -> None:
    jar = _jar("count=1")
    jar, _ = remember(jar, ["count=2"], APP, NOW + timedelta(minutes=1))
    assert cookie_header(jar, APP, NOW + timedelta(minutes=2)) == "count=2"
    assert jar[0].expires == NOW + timedelta(minutes=1) + MAX_LIFETIME  # renewed


def test_cookies_are_scoped_to_host_path_and_scheme_like_a_browser() -> None:
    jar = _jar(
        "host_only=1",
        "api=2; Path=/api",
        "wide=3; Domain=example.com; Path=/",
        "secret=4; Secure",
        url="https://bot.example.com/sms/incoming",
    )
    # Without Path, a cookie's path is the directory of /sms/incoming; longer paths go first,
    # equal ones in the order they were set.
    assert cookie_header(jar, "https://bot.example.com/sms/incoming", NOW) == (
        "host_only=1; secret=4; wide=3"
    )
    assert cookie_header(jar, "http://bot.example.com/sms/other", NOW) == "host_only=1; wide=3"
    assert cookie_header(jar, "https://bot.example.com/api/x", NOW) == "api=2; wide=3"
    assert cookie_header(jar, "https://other.example.com/apix", NOW) == "wide=3"
    assert cookie_header(jar, "https://elsewhere.test/sms/incoming", NOW) is None


def test_longer_paths_are_sent_first() -> None:
    jar = _jar("outer=1; Path=/", "inner=2; Path=/sms")
    assert cookie_header(jar, APP, NOW) == "inner=2; outer=1"


def test_unusable_set_cookie_headers_are_ignored_with_a_reason() -> None:
    jar, ignored = remember(
        [],
        ["no equals sign", "a=1; Max-Age=soon", "b=2; Domain=evil.test", "ok=yes"],
        APP,
        NOW,
    )
    assert cookie_header(jar, APP, NOW) == "ok=yes"
    assert len(ignored) == 3
    assert all(note.startswith("Set-Cookie ") and "ignored" in note for note in ignored)


def test_a_jar_stays_within_a_browsers_limits() -> None:
    """An app that sets a new cookie on every request cannot grow the jar without bound: at most
    50 cookies (those expiring soonest go first) of at most 4096 bytes each."""
    jar: list = []
    for n in range(MAX_COOKIES + 5):
        jar, notes = remember(jar, [f"c{n}=v; Max-Age={1000 + n}"], APP, NOW)
    assert len(jar) == MAX_COOKIES
    assert {c.name for c in jar} == {f"c{n}" for n in range(5, MAX_COOKIES + 5)}
    assert notes == [f"1 cookie(s) dropped: at most {MAX_COOKIES} per conversation"]

    huge = "x" * MAX_COOKIE_BYTES
    jar, notes = remember([], [f"big={huge}"], APP, NOW)
    assert jar == []
    assert len(notes) == 1
