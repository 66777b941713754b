"""Worksheet ranges in and out: the values xlwings hands over (lists of rows, floats for whole
numbers, ``None`` for blanks, error codes as text) as the text rows and names the desk reads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cpdesk.excel_addin.errors import BadInput

Rows = list[list[Any]]
GUIDE_SAMPLE = "guide-sample"  # in a path cell: the guide's sample file shipped with cpdesk


def text_of(value: Any) -> str:
    """A cell as the text a CSV file would hold: 100.0 as "100", 0.1 as "0.1", blank as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadInput(f"{value} is not a number a worksheet holds")
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)  # the shortest text that is this double: what the user typed
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return f"{value:%Y%m%d}"
    return str(value).strip()


def rows_of(values: Any, what: str) -> list[list[str]]:
    """A range's cells as rows of text; blank rows at the end dropped (a range drawn too long)."""
    if not isinstance(values, list) or not values:
        raise BadInput(f"{what}: give a range with a header row")
    rows = [[text_of(cell) for cell in (row if isinstance(row, list) else [row])] for row in values]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise BadInput(f"{what}: the range is empty")
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            if cell.startswith("#") and cell.endswith(("!", "?", "/A", "/0!")):
                raise BadInput(f"{what}: row {number}, column {column + 1} holds the error {cell}")
    return rows


def named_values(values: Any, what: str) -> dict[str, str]:
    """A two-column name/value range (like a Bloomberg override list)."""
    if values is None:
        return {}
    rows = rows_of(values, what)
    named = {}
    for number, row in enumerate(rows, start=1):
        if not any(row):
            continue
        if len(row) < 2 or not row[0]:
            raise BadInput(f"{what}: row {number} needs a name and a value")
        named[row[0]] = row[1]
    return named


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Rows:
    """A spilled table: the header row, then the rows."""
    return [list(header), *[list(row) for row in rows]]
