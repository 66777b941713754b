"""Reading CSV text without surprises: every reader of cpdesk goes through :func:`csv_rows`.

Python's csv module raises on a field longer than its limit (131,072 characters: an unterminated
quote makes the rest of a file one field) and on a NUL; here that becomes one :class:`Problem`
naming the line, and the rows before it are kept.
"""

from __future__ import annotations

import csv
import io

from cpdesk.engine.problems import Problem, ProblemCode

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
