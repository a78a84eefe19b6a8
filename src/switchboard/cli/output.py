"""Shared rendering for the client commands: rich on a terminal, plain text when piped, JSON.

On a terminal, tables are rich tables with coloured statuses, fitted to the terminal's width:
a SID is never cut or wrapped (so it can be pasted into ``show`` and ``replay``), the other
columns fold, and ``--wide`` prints every cell whole at the table's natural width. Piped (or
redirected), the same tables are plain columns separated by two spaces with one header line and
no truncation, so the output can be read by grep, awk and cut; ``--json`` prints the server's
own JSON instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from switchboard.domain.errors import CATALOGUE

F = TypeVar("F", bound=Callable[..., Any])

GOOD = frozenset({"received", "delivered", "read", "sent", "accepted"})
BAD = frozenset({"failed", "undelivered", "canceled"})
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def make_console() -> Console:
    """A console for stdout: colours and wrapping on a terminal, neither when piped."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True  # never break long lines (URLs, bodies) at 80 columns
    return console


def json_option(command: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (the server's fields) for scripts."
    )(command)


def wide_option(command: F) -> F:
    return click.option(
        "--wide", is_flag=True, help="On a terminal: every cell whole, however wide the table."
    )(command)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def status_style(status: str | None) -> str:
    if status in GOOD:
        return "green"
    if status in BAD:
        return "red"
    return "yellow"


def in_twilios_words(code: int, detail: str = "") -> str:
    """``CODE: Message`` as Twilio's error catalogue words it, then ``(detail)``: what
    switchboard saw, when it says more than the catalogue."""
    spec = CATALOGUE.get(code)
    words = f"{code}: {spec.message}" if spec else str(code)
    if detail and (spec is None or detail.lower() != spec.message.lower()):
        words += f" ({detail})"
    return words


def http_style(status: int | None) -> str:
    """Green for success, plain for a redirect hop (its own attempt, followed like Twilio does;
    a refused one carries an error code), red for everything else."""
    if status is not None and 300 <= status < 400:
        return ""
    return "green" if status is not None and 200 <= status < 300 else "red"


def when(value: str | None, *, time_only: bool = False) -> str:
    """A server timestamp (RFC 2822 or ISO 8601, UTC) as ``YYYY-MM-DD HH:MM:SS``."""
    if not value:
        return ""
    moment: datetime
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return value
    moment = moment.astimezone(UTC)
    return moment.strftime("%H:%M:%S" if time_only else "%Y-%m-%d %H:%M:%S")


def one_line(text: str | None, width: int | None = None) -> str:
    """Text on one line (newlines shown as ⏎), cut to ``width`` characters with an ellipsis."""
    flat = (text or "").replace("\r\n", "⏎").replace("\n", "⏎").replace("\t", " ")
    if width is not None and len(flat) > width:
        return flat[: width - 1] + "…"
    return flat


Cell = str | tuple[str, str]  # plain text, or (text, rich style)


def print_table(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    empty: str = "(none)",
    wide: bool = False,
) -> None:
    """A table: rich with styles on a terminal (``wide``: at its natural width, not the
    terminal's); aligned plain columns when piped."""
    if title:
        section(console, title)
    if not rows:
        console.print(empty, style="dim", markup=False)
        return
    texts = [[c[0] if isinstance(c, tuple) else c for c in row] for row in rows]
    if console.is_terminal:
        columns = _columns(headers, texts)
        table = Table(*columns, header_style="bold", box=None, pad_edge=False)
        for row in rows:
            table.add_row(
                *(Text(c[0], style=c[1]) if isinstance(c, tuple) else Text(c) for c in row)
            )
        if wide:
            width = console.measure(table, options=console.options.update_width(10**6)).maximum
        else:  # the SIDs whole even when they alone are wider than the terminal
            width = max(console.width, sum(c.min_width or 1 for c in columns) + 2 * len(columns))
        fitted = console.width
        console.width = width  # the terminal wraps the lines that are wider than it is
        try:
            console.print(table)
        finally:
            console.width = fitted
        return
    widths = [max(len(h), *(len(r[i]) for r in texts)) for i, h in enumerate(headers)]
    for line in [list(headers), *texts]:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(line)]
        click.echo("  ".join(padded).rstrip())


def _columns(headers: Sequence[str], texts: Sequence[Sequence[str]]) -> list[Column]:
    """A column holding SIDs keeps them whole (the table is fitted by folding the others)."""
    columns = []
    for index, header in enumerate(headers):
        sids = [len(row[index]) for row in texts if SID.fullmatch(row[index])]
        if sids:
            columns.append(Column(header, no_wrap=True, min_width=max(sids), overflow="crop"))
        else:
            columns.append(Column(header, overflow="fold"))
    return columns


def print_fields(console: Console, fields: Sequence[tuple[str, Cell]]) -> None:
    """``name  value`` lines, names aligned."""
    width = max((len(name) for name, _ in fields), default=0)
    for name, value in fields:
        text, style = value if isinstance(value, tuple) else (value, "")
        line = Text()
        line.append(f"{name.ljust(width)}  ", style="bold")
        line.append(text, style=style)
        line.rstrip()
        console.print(line)


def section(console: Console, title: str) -> None:
    console.print()
    console.print(f"[bold underline]{escape(title)}[/]")
