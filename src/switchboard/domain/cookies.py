"""Twilio's cookie jar for SMS conversations (SPEC §1.3), as pure functions over a list.

Twilio behaves like a browser towards the incoming-message webhook: cookies the app sets
(``Set-Cookie``) are kept for the conversation, i.e. the pair of our number and the handset, and
sent back (``Cookie``) on later incoming-message webhooks of the same pair: primary, fallback and
redirected document requests alike, never status callbacks. A cookie lives as long as its
``Max-Age``/``Expires`` say, but at most four hours; without either it expires four hours after it
was set. Cookies are scoped like a browser's: to the host that set them (or the ``Domain`` it
names), to a path, and to HTTPS when ``Secure``. Cookies are not part of the signature.

Unclear in Twilio's documentation, chosen here: a conversation holds every cookie the app sets
(a browser's behaviour, which SPEC names), not only one; a ``Set-Cookie`` that cannot be parsed
is ignored and noted on the attempt as a warning (11206), the TwiML is still carried out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

MAX_LIFETIME = timedelta(hours=4)
# A browser's limits (RFC 6265 §6.1): an app that sets a new cookie on every request cannot grow
# a conversation's jar (and every webhook's Cookie header) without bound.
MAX_COOKIE_BYTES = 4096  # name + value
MAX_COOKIES = 50  # per conversation; the ones closest to expiring go first


@dataclass(frozen=True, slots=True)
class StoredCookie:
    name: str
    value: str
    domain: str  # lowercase host, no leading dot
    host_only: bool  # set without a Domain attribute: only that exact host gets it
    path: str
    secure: bool
    expires: datetime

    def matches(self, host: str, path: str, https: bool) -> bool:
        if self.secure and not https:
            return False
        if self.host_only:
            if host != self.domain:
                return False
        elif not _domain_match(host, self.domain):
            return False
        return _path_match(path, self.path)


@dataclass(frozen=True, slots=True)
class CookieJar:
    """The cookies of one conversation: our number and the handset."""

    account_sid: str
    ours: str
    theirs: str
    cookies: tuple[StoredCookie, ...]
    date_updated: datetime


def _domain_match(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _path_match(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def _default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the request path up to, not including, its last slash."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _where(url: str) -> tuple[str, str, bool]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path or "/", parts.scheme == "https"


def live(cookies: list[StoredCookie], now: datetime) -> list[StoredCookie]:
    """The cookies that have not expired at ``now``."""
    return [cookie for cookie in cookies if cookie.expires > now]


def cookie_header(cookies: list[StoredCookie], url: str, now: datetime) -> str | None:
    """The ``Cookie`` header for a request to ``url`` (None when no cookie applies); longer
    paths first, as browsers order them."""
    if not cookies:  # most conversations: decided without parsing the URL
        return None
    host, path, https = _where(url)
    sent = [c for c in live(cookies, now) if c.matches(host, path, https)]
    sent.sort(key=lambda c: len(c.path), reverse=True)
    return "; ".join(f"{c.name}={c.value}" for c in sent) or None


def _expiry(max_age: str, expires: str, now: datetime) -> datetime:
    latest = now + MAX_LIFETIME
    if max_age:
        seconds = int(max_age)  # a ValueError is a malformed cookie
        # Capped before the arithmetic: a huge Max-Age would overflow a timedelta.
        return now + timedelta(seconds=min(max(seconds, 0), MAX_LIFETIME.total_seconds()))
    if expires:
        try:
            when = parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            raise ValueError(f"bad Expires {expires!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=now.tzinfo)
        return min(when, latest)
    return latest


def remember(
    cookies: list[StoredCookie], set_cookies: list[str], url: str, now: datetime
) -> tuple[list[StoredCookie], list[str]]:
    """The jar after the response to ``url`` set ``set_cookies`` (its ``Set-Cookie`` header
    values), and a note for each header that was ignored."""
    host, request_path, _ = _where(url)
    jar = {(c.name, c.domain, c.path): c for c in live(cookies, now)}
    ignored: list[str] = []
    for header in set_cookies:
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(header)
            if not parsed:
                raise CookieError("no name=value pair")
            for name, morsel in parsed.items():
                domain_attribute = morsel["domain"].lower().lstrip(".")
                if domain_attribute and not _domain_match(host, domain_attribute):
                    raise CookieError(f"Domain={morsel['domain']} does not cover {host}")
                path = morsel["path"] if morsel["path"].startswith("/") else ""
                cookie = StoredCookie(
                    name=name,
                    value=morsel.coded_value,
                    domain=domain_attribute or host,
                    host_only=not domain_attribute,
                    path=path or _default_path(request_path),
                    secure=bool(morsel["secure"]),
                    expires=_expiry(str(morsel["max-age"]), str(morsel["expires"]), now),
                )
                if len(name) + len(cookie.value) > MAX_COOKIE_BYTES:
                    raise CookieError(f"longer than {MAX_COOKIE_BYTES} bytes")
                key = (cookie.name, cookie.domain, cookie.path)
                if cookie.expires > now:
                    jar[key] = cookie
                else:
                    jar.pop(key, None)  # an expired Set-Cookie deletes the cookie
        except (CookieError, ValueError) as error:
            ignored.append(f"Set-Cookie {header!r} ignored: {error}")
    kept = list(jar.values())
    if len(kept) > MAX_COOKIES:
        dropped = len(kept) - MAX_COOKIES
        soonest = sorted(kept, key=lambda c: c.expires)[:dropped]
        kept = [c for c in kept if c not in soonest]
        ignored.append(f"{dropped} cookie(s) dropped: at most {MAX_COOKIES} per conversation")
    return kept, ignored
