"""Tables that never cut a value.

- :class:`WrappedTable` (read-only lists: Today, Keys, LOP): a Rich table that folds a long cell
  onto more lines to fit the terminal; columns that hold values users compare (a fingerprint)
  keep a minimum width so they are never folded at 80 columns.
- :class:`ValueTable` (History, where ``enter`` opens a row): a data table whose columns take their
  widest value and scroll sideways.
Cells are plain text, never markup: a file name or a problem's "[Field]" shows as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable, Static

Cell = str | Text


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text(cell)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    min_width: int | None = None  # never folded below this (a fingerprint: 47)


class WrappedTable(Static):
    DEFAULT_CSS = """
    WrappedTable { height: auto; }
    """

    def __init__(self, columns: Sequence[Column | str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
        self.rows: list[tuple[Text, ...]] = []

    def show(self, rows: Iterable[Sequence[Cell]], empty: str = "") -> None:
        self.rows = [tuple(_text(cell) for cell in row) for row in rows]
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for column in self.columns:
            table.add_column(column.title, overflow="fold", min_width=column.min_width)
        for row in self.rows:
            table.add_row(*row)
        if not self.rows and empty:
            table.add_row(Text(empty, style="dim"))
        self.update(table)

    def plain_rows(self) -> list[list[str]]:
        return [[cell.plain for cell in row] for row in self.rows]


class ValueTable(DataTable[Text]):
    DEFAULT_CSS = """
    ValueTable { height: auto; max-height: 100%; }
    """

    def __init__(self, columns: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row", show_cursor=True)
        self._columns = tuple(columns)

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def show(self, rows: Iterable[Sequence[Cell]], empty: str = "") -> None:
        """Replace every row (keeping the cursor's row where it can)."""
        cursor = self.cursor_row
        self.clear()
        shown = 0
        for index, row in enumerate(rows):
            self.add_row(*(_text(cell) for cell in row), key=str(index))
            shown += 1
        if not shown and empty:
            self.add_row(Text(empty, style="dim"), *(Text("") for _ in self._columns[1:]))
        if shown:
            self.move_cursor(row=min(cursor, shown - 1))

    def plain_rows(self) -> list[list[str]]:
        return [[cell.plain for cell in self.get_row_at(index)] for index in range(self.row_count)]
