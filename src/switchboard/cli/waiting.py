"""What the searches of ``messages`` and ``webhooks`` share: ``--since`` and the ``wait`` loop.

Both go through the assertion API (``GET /_sim/messages``, ``GET /_sim/webhooks``). A relative
``--since`` (``10m``) is measured back from the server's clock, not this machine's: a test may
have frozen or moved the simulator's clock, and the server may run elsewhere.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

from switchboard.cli.connection import Server
from switchboard.simclient import SimError

F = TypeVar("F", bound=Callable[..., Any])
Since = datetime | timedelta  # a moment, or how long before the server's now

_AGO = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> Since:
    """``now``, a duration back from now (``30s``, ``10m``, ``2h``, ``1d``), or a time in
    RFC 3339 / ISO 8601 (``2026-05-01T12:00:00Z``; without an offset it is UTC, as the CLI's
    tables show times)."""
    text = text.strip()
    if text.lower() == "now":
        return timedelta(0)
    ago = _AGO.fullmatch(text)
    if ago:
        return timedelta(**{_UNITS[ago.group(2)]: float(ago.group(1))})
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a time: use now, a duration such as 30s, 10m, 2h or 1d, "
            "or a time such as 2026-05-01T12:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Since | None:
    return None if value is None else parse_since(value)


def since_option(help_text: str, default: str | None = None) -> Callable[[F], F]:
    return click.option("--since", metavar="TIME", default=default, callback=_since, help=help_text)


def server_now(server: Server) -> datetime:
    """The simulator's clock, to the second (``GET /_sim/clock``)."""
    return datetime.fromisoformat(server.client.clock()["now"])


def resolve_since(server: Server, since: Since | None) -> datetime | None:
    """The moment ``since`` stands for; a duration is counted back from the server's clock."""
    if since is None or isinstance(since, datetime):
        return since
    return server_now(server) - since


T = TypeVar("T")


def wait_for(search: Callable[[float], list[T]], timeout: float) -> list[T]:
    """``search(wait)``'s first non-empty answer within ``timeout`` seconds, or ``[]``.

    The server holds one request at most ``MAX_WAIT_SECONDS`` (60): a longer ``timeout`` is
    several requests in a row, each answered as soon as a match exists.
    """
    from switchboard.services.search import MAX_WAIT_SECONDS, TIMED_OUT  # 50 ms: here only

    deadline = time.monotonic() + timeout
    while True:
        wait = min(max(deadline - time.monotonic(), 0.0), MAX_WAIT_SECONDS)
        try:
            found = search(wait)
        except SimError as error:
            if error.code != TIMED_OUT:
                raise
            found = []
        if found or time.monotonic() >= deadline:
            return found


Search = Callable[[datetime, int, float], list[dict[str, Any]]]  # (since, limit, wait) -> found
BEFORE_LIMIT = 1000  # matches made within the starting second that can be told apart
RECHECK_SECONDS = 0.05


def wait_matching(
    server: Server, search: Search, since: Since, moment: datetime, timeout: float
) -> list[dict[str, Any]]:
    """``wait``'s answer: what ``search`` finds from ``moment`` (``since`` resolved) within
    ``timeout``; with ``since`` now, only what is made after the wait began."""
    if since == timedelta(0):
        return wait_for_new(server, search, moment, timeout)
    return wait_for(lambda wait: search(moment, 1, wait), timeout)


def wait_for_new(
    server: Server, search: Search, second: datetime, timeout: float
) -> list[dict[str, Any]]:
    """What ``search`` finds that was made after this call began, within ``timeout``.

    The server's clock answers whole seconds (``second``, read at the start), so a search from
    ``second`` also finds what was made earlier in that second, before this call. Those are
    read first and left out: while any exist, the rest of that second is read again every
    RECHECK_SECONDS (a waiting search would answer with them at once) until the clock has
    moved on; from the next second on, whatever matches is new, and the server waits for it.
    """
    deadline = time.monotonic() + timeout
    before = {found["sid"] for found in search(second, BEFORE_LIMIT, 0.0)}
    if before:
        while True:
            moved_on = server_now(server) > second  # read first: nothing can follow it in second
            fresh = [f for f in search(second, len(before) + 1, 0.0) if f["sid"] not in before]
            if fresh or (not moved_on and time.monotonic() >= deadline):
                return fresh
            if moved_on:
                break
            time.sleep(RECHECK_SECONDS)
        second += timedelta(seconds=1)
    left = max(deadline - time.monotonic(), 0.0)
    return wait_for(lambda wait: search(second, 1, wait), left)


def described(filters: Mapping[str, object], since: datetime | None) -> str:
    """The filters as a reader would type them, for the line that says nothing matched."""
    words = [f"{name} {value}" for name, value in filters.items() if value not in (None, False)]
    words = [w.removesuffix(" True") for w in words]  # a flag: its name alone
    if since is not None:
        words.append(f"since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
    return ", ".join(words) or "no filter"
