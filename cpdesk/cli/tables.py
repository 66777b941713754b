"""Tables that never cut or alter a value a user compares.

A cell too wide for the terminal wraps onto the next line (rich's "fold") instead of ending in an
ellipsis; and every text cell is shown as it is, never read as rich markup or emoji codes (an MD5
fingerprint holds ":cd:", which rich would draw as a disc; a file name may hold "[red]")."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text


class WrappingTable(Table):
    """A :class:`rich.table.Table` whose columns fold what does not fit, title on the left."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("title_justify", "left")
        super().__init__(*args, **kwargs)

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in renderables), **kwargs)


def new_console(**options: Any) -> Console:
    """The command line's console: no emoji codes (":cd:" in a fingerprint stays text)."""
    options.setdefault("emoji", False)
    return Console(**options)


def plain(value: object) -> str:
    """A value to put inside a markup string: shown as it is, never read as markup."""
    return escape(str(value))


def show(
    console: Console,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Collection[str] = (),
    styles: Sequence[str | None] | None = None,
) -> None:
    """Rows as a table when it fits the console; otherwise each row as a record of "column value"
    lines, so no value is broken across columns (a file name stays on one line at 80 columns)."""
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(columns)]
    if sum(widths) + 3 * len(columns) + 1 <= console.width:
        table = WrappingTable(title=title)
        for name in columns:
            table.add_column(name, justify="right" if name in right else "left")
        for number, row in enumerate(rows):
            table.add_row(*row, style=styles[number] if styles else None)
        console.print(table)
        return
    console.print(Text(title, style="italic"))
    label = max(len(name) for name in columns)
    for number, row in enumerate(rows):
        record = WrappingTable(show_header=False, box=None, padding=(0, 1, 0, 0))
        record.add_column("field", style="bold", width=label, no_wrap=True)
        record.add_column("value", style=styles[number] if styles and styles[number] else None)
        for name, value in zip(columns, row, strict=True):
            record.add_row(name, value)
        console.print(record)
        console.print()
