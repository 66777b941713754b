"""Reading CSV text without surprises: every reader of cpdesk goes through :func:`csv_rows`.

Python's csv module raises on a field longer than its limit (131,072 characters: an unterminated
quote makes the rest of a file one field) and on a NUL; here that becomes one :class:`Problem`
naming the line, and the rows before it are kept.
"""

from __future__ import annotations

import csv
import functools
import io

from cpdesk.engine.problems import Problem, ProblemCode
from cpdesk.engine.sources import Source, read_source, source_name

MAX_FIELD_CHARS = 131_072  # the csv module's own limit, stated


def csv_rows(text: str, source: str) -> tuple[list[list[str]], Problem | None]:
    """The rows of ``text`` (physical lines numbered from 1 in the problem), up to the first row
    the csv module cannot read, and that row's problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        line = reader.line_num or None
        if "field larger than field limit" in str(exc):
            return rows, Problem(
                source,
                line,
                None,
                f"a field is longer than {MAX_FIELD_CHARS:,} characters (an unterminated quote?)",
                code=ProblemCode.TOO_LARGE,
            )
        return rows, Problem(source, line, None, f"not readable as CSV: {exc}", code=ProblemCode.MALFORMED)
    return rows, None


def read_csv_file(
    source: Source, name: str | None = None
) -> tuple[str, list[list[str]] | None, Problem | None]:
    """A CSV file (UTF-8, a BOM allowed): the name problems show it by, its rows (None when it
    cannot be read or is not UTF-8) and the problem that stopped the reading, if any (the rows
    before a row the csv module refuses are kept)."""
    shown = source_name(source, name)
    try:
        text = read_source(source).decode("utf-8-sig")
    except OSError as exc:
        return (
            shown,
            None,
            Problem(shown, None, None, f"cannot read file: {exc}", code=ProblemCode.UNREADABLE),
        )
    except UnicodeDecodeError as exc:
        return (
            shown,
            None,
            Problem(shown, None, None, f"not UTF-8 text ({exc.reason})", code=ProblemCode.ENCODING),
        )
    rows, unreadable = csv_rows(text, shown)
    return shown, rows, unreadable


@functools.lru_cache(maxsize=4096)  # a batch reads the same header names once per account
def header_key(name: str) -> str:
    """A column name as cpdesk matches it: case, spaces and punctuation ignored."""
    return "".join(ch for ch in name.lower() if ch.isalnum())
