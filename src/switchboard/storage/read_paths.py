"""Which named query reads a list or a search, so that its cost stays flat as the store grows.

A page of messages or attempts is read newest first. With a filter an index can seek (an
address, a number, a range of dates) the store reads through that index; where two ways give
the same rows and each is flat for a different shape of data, a capped count chooses between
them (:func:`fewer_than`: it reads at most ``cap`` index entries). Every choice here gives the
same pages, page tokens included; tests read both ways and compare (tests/storage), and
bench/number_search.py and bench/date_search.py measure them at a million rows.
"""

from __future__ import annotations

from typing import Any

from switchboard.ports import AttemptQuery, MessageFilter, MessageQuery
from switchboard.storage.connector import Params, Statements
from switchboard.storage.rows import opt_micros

# A number with fewer messages than this (on each side) has its attempts read through its
# messages (search_attempts_rare_number); one with more is matched attempt by attempt, newest
# first, where its page comes within about limit x store / RARE_NUMBER rows. Both stay in the
# tens of milliseconds at a million attempts (bench/number_search.py).
RARE_NUMBER = 5_000

# Messages.json with DateSent bounds and neither To nor From. The list's order is seq (creation,
# newest first) and a range of dates is not a range of seq, so no one index gives both the
# range and the order; a page is read one of two ways, with the same rows either way:
# - through messages_sent (account_sid, COALESCE(date_sent, date_created), seq): every entry of
#   the range, the newest page of them by seq, then those rows (list_messages_sent). Costs the
#   range's own index entries, however many messages are newer or older: flat for a narrow
#   range (a day long ago, a DateSent< before most of the account), a pass over the account for
#   a range holding most of it.
# - walking the account by seq, newest first, keeping the rows in the range (list_messages):
#   costs the messages newer than the range's newest, then about a page, since a message's
#   date (created, or sent soon after) follows its seq. Flat for a wide range that reaches the
#   recent messages, which is where a wide range's pages are; a pass over every newer message
#   for an old range, and over every older one once the range runs out.
# A range holding fewer than NARROW_DATES of the account's messages (counted up to that in
# messages_sent, count_sent_messages: at most NARROW_DATES index entries) is read the first
# way, a wider one the second. The count ignores the page token, so every page of a list is
# read the same way. Neither way is flat for a range of more than NARROW_DATES messages that
# ends long before the newest (a busy day months ago): that walks every newer message, as
# every DateSent list did before (bench/date_search.py). At 0 every range is wide, uncounted.
NARROW_DATES = 5_000
_MICROS_MIN, _MICROS_MAX = -(2**63), 2**63 - 1  # the bounds of a 64-bit integer column


async def fewer_than(tx: Statements, count_query: str, params: Params, cap: int) -> bool:
    """Whether ``count_query`` (a count stopping at ``:cap``) finds fewer than ``cap`` rows."""
    row = await tx.fetch_one(count_query, {**params, "cap": cap})
    return row is not None and row["messages"] < cap


def by_address(query: str, to: str | None, from_: str | None, number: str | None = None) -> str:
    """The form of a message list or search that reads its rows: with a To, the newest rows of
    that address (``<query>_to``, on messages_to), else with a From likewise (``_from``), else
    with a number on either side the newest rows of both indexes merged (``_number``), else
    the newest rows of all (so a rare address costs its own rows, not the store's)."""
    if to is not None:
        return f"{query}_to"
    if from_ is not None:
        return f"{query}_from"
    if number is not None:
        return f"{query}_number"
    return query


def sent_span(filters: MessageFilter) -> dict[str, int] | None:
    """The list's DateSent bounds as an inclusive range of microseconds (for messages_sent),
    or None without a bound or with To or From (those read their address's index)."""
    if filters.to is not None or filters.from_ is not None:
        return None
    first, before = opt_micros(filters.sent_on_or_after), opt_micros(filters.sent_before)
    if first is None and before is None:
        return None
    return {
        "sent_first": _MICROS_MIN if first is None else first,
        "sent_last": _MICROS_MAX if before is None else before - 1,  # whole microseconds
    }


async def message_list(
    tx: Statements, account_sid: str, filters: MessageFilter, span: dict[str, int] | None
) -> str:
    """The query that reads a page of Messages.json (``span``: :func:`sent_span`)."""
    if span is not None and NARROW_DATES > 0:  # narrow or wide: see NARROW_DATES
        counted = {"account_sid": account_sid, **span}
        if await fewer_than(tx, "count_sent_messages", counted, NARROW_DATES):
            return "list_messages_sent"
    return by_address("list_messages", filters.to, filters.from_)


async def attempt_search(tx: Statements, number: str | None) -> str:
    """The query that reads a page of the attempt search (see RARE_NUMBER)."""
    if number is not None and await fewer_than(
        tx, "count_number_messages", {"number": number}, RARE_NUMBER
    ):
        return "search_attempts_rare_number"
    return "search_attempts"


def like(text: str | None) -> str | None:
    """A substring pattern for LIKE/ILIKE: the text's own % and _ match only themselves."""
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def shared_filters(query: MessageQuery | AttemptQuery) -> dict[str, Any]:
    """The parameters of the filters both searches have."""
    return {
        "pattern": like(query.text),
        "number": query.number,
        "service_sid": query.service_sid,
        "error_code": query.error_code,
        "created_from": opt_micros(query.created_from),
        "created_before": opt_micros(query.created_before),
    }
