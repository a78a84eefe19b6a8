"""Which named query reads a list or a search, so that its cost stays flat as the store grows.

A page of messages or attempts is read newest first. With a filter an index can seek (an
address, a number, a range of dates) the store reads through that index; where two ways give
the same rows and each is flat for a different shape of data, a capped count chooses between
them (:func:`fewer_than`: it reads at most ``cap`` index entries), or, for a range of dates,
probes of both ways under bounds that grow until one is known to be enough
(:func:`dated_page`). Every choice here gives the same pages, page tokens included; tests
read both ways and compare (tests/storage), and bench/number_search.py and
bench/date_search.py measure them at a million rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from switchboard.ports import AttemptQuery, MessageFilter, MessageQuery, Page, PageRequest
from switchboard.storage.connector import Params, Row, Statements
from switchboard.storage.paging import read_page
from switchboard.storage.rows import opt_micros

T = TypeVar("T")

# A number with fewer messages than this (on each side) has its attempts read through its
# messages (search_attempts_rare_number); one with more is matched attempt by attempt, newest
# first, where its page comes within about limit x store / RARE_NUMBER rows. Both stay in the
# tens of milliseconds at a million attempts (bench/number_search.py).
RARE_NUMBER = 5_000

# Messages.json with DateSent bounds and neither To nor From. The list's order is seq (creation,
# newest first) and a range of dates is not a range of seq, so no one index gives both the
# range and the order; a page is read one of two ways, with the same rows either way:
# - by date, through messages_sent (account_sid, COALESCE(date_sent, date_created), seq): every
#   entry of the range, the newest page of them by seq below the page token, then those rows
#   (list_messages_sent). Costs the range's own entries, R, on every page of it, however many
#   messages are newer or older: little for a narrow range (a day long ago, a DateSent< before
#   most of the account), a pass over the account for a range holding most of it.
# - by seq, walking the account from the page token down, keeping the rows in the range
#   (list_messages_walked). Costs the rows walked, W, each read from the table for its date,
#   down to the page's last row, or to the account's oldest when less than a page is left. A
#   message's date (created, or sent soon after) follows its seq, so W is about a page inside
#   a range, but every newer message on the first page of a range that ends long before the
#   newest (a busy day months ago), and every older message on a range's last page.
# Either can be near the whole account while the other is a page, and neither is known before
# it is read, so a page tries both under bounds that grow in turn and takes the first known to
# be enough. The range is counted up to ``cap`` entries (count_sent_messages); fewer, and the
# page is read by date. Else the account is walked, at most ``cap // ROW_COST`` rows; a full
# page found within them is the walk's page, and so is a short one if the walk saw every row
# below the token (count_messages_below, entries of messages_account: a last page). Else the
# cap grows by GROWTH, from NARROW_DATES, and both go again. The bounds' sums are geometric and
# the walk's is weighed by ROW_COST so that both sides spend alike: a page costs a few times the
# cheaper way (the failed probes before it), on later pages as on the first, each page choosing
# for itself (pages and page tokens are the same whichever way is read).
# The common cases: no DateSent reads no count (list_messages); a narrow range, one count of
# its own entries; a range reaching the recent messages, a count of NARROW_DATES entries and a
# walk of about a page (in SQLite the walk's bound, its lowest seq, is ``walk`` more entries of
# messages_account). NARROW_DATES was 5,000 when a failed count meant walking the whole
# account; now it only starts the search, and a smaller one spares every recent range (0.2 ms
# at a million messages) for a little more on a range of 1,000 to 5,000 (0.3 ms: a failed
# walk and a second count). At NARROW_DATES 0 every range walks the whole account, uncounted
# (list_messages: the list before messages_sent existed). Figures: bench/date_search.py.
NARROW_DATES = 1_000
# A walked row costs about as much as ROW_COST entries of a range counted and then read by date:
# in SQLite 0.5 us against 0.1 + 0.2 us (a million messages), the count reading index entries
# alone. PostgreSQL reads each counted row from the table too (it has no index-only scan over
# an expression index without the expression's columns), 0.5 + 0.4 us an entry against 0.3 us
# a row, so there the walk is cheaper than ROW_COST says and wins somewhat later than it could.
ROW_COST = 2
GROWTH = 4
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1  # the bounds of a 64-bit integer column


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
    or None without a bound, with To or From (those read their address's index), or when
    every range walks (NARROW_DATES 0)."""
    if filters.to is not None or filters.from_ is not None or NARROW_DATES <= 0:
        return None
    first, before = opt_micros(filters.sent_on_or_after), opt_micros(filters.sent_before)
    if first is None and before is None:
        return None
    return {
        "sent_first": _INT64_MIN if first is None else first,
        "sent_last": _INT64_MAX if before is None else before - 1,  # whole microseconds
    }


async def dated_page(
    tx: Statements,
    params: dict[str, Any],
    before_seq: int | None,
    page: PageRequest,
    convert: Callable[[Row], T],
) -> Page[T]:
    """A page of Messages.json with DateSent bounds and neither To nor From, below
    ``before_seq`` (the page token's), read through the range's index entries or by a bounded
    walk, whichever shows itself cheaper first (see NARROW_DATES). ``params``: the account and
    the range (:func:`sent_span`)."""
    dated = {**params, "before_seq": before_seq}
    below = {**params, "before_seq": _INT64_MAX if before_seq is None else before_seq}
    cap = NARROW_DATES
    while True:
        if await fewer_than(tx, "count_sent_messages", params, cap):
            return await read_page(tx, "list_messages_sent", dated, page, convert)
        walk = max(1, cap // ROW_COST)
        found = await read_page(tx, "list_messages_walked", {**below, "walk": walk}, page, convert)
        if found.has_more or await fewer_than(tx, "count_messages_below", below, walk + 1):
            return found
        cap *= GROWTH


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
