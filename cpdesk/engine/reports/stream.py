"""Checking a report's data file while it is inflated, in bounded memory.

A 17 MB zip can hold 400 MB of CSV; holding it as records takes gigabytes. :class:`DataStreamCheck`
takes the member's bytes in pieces (``read_single_member(consume=...)``) and keeps only the line
it is reading: the header's fields, the record count, each record's field count and its Business
Date against the control file's, every problem with its record number (capped per kind).
"""

from __future__ import annotations

import csv
from datetime import date

from cpdesk.engine.problems import Problem, ProblemCode, Severity

MAX_RECORD_BYTES = 1 << 20  # one report record is a few hundred bytes
PROBLEMS_PER_KIND = 20


class DataStreamCheck:
    """Feed it pieces, then :meth:`finish`; read ``fields``, ``records`` and ``problems``."""

    def __init__(self, source: str, business_date: date | None) -> None:
        self.source = source
        self.expected_date = f"{business_date:%Y%m%d}" if business_date else None
        self.fields: tuple[str, ...] | None = None
        self.records = 0  # non-blank records, the header included (as the control file counts)
        self.problems: list[Problem] = []
        self._counts: dict[ProblemCode, int] = {}
        self._pending = b""  # the bytes of the line not yet ended
        self._quoted = b""  # complete lines of a record whose quoted field spans lines
        self._line = 0
        self._date_column: int | None = None

    def __call__(self, piece: bytes) -> None:
        data = self._pending + piece
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._line_of(data[start:end])
            start = end + 1
        self._pending = data[start:]
        if len(self._pending) + len(self._quoted) > MAX_RECORD_BYTES:
            self._problem(
                ProblemCode.TOO_LARGE,
                self._line + 1,
                None,
                f"a record longer than {MAX_RECORD_BYTES:,} bytes (an unterminated quote?)",
            )
            self._pending, self._quoted = b"", b""

    def finish(self) -> None:
        if self._pending:
            self._line_of(self._pending)
            self._pending = b""
        if self._quoted:
            self._problem(ProblemCode.MALFORMED, self._line, None, "the file ends inside a quoted field")
        for code, count in self._counts.items():
            if count > PROBLEMS_PER_KIND:
                self.problems.append(
                    Problem(
                        self.source,
                        None,
                        None,
                        f"... and {count - PROBLEMS_PER_KIND:,} more like that",
                        code=code,
                    )
                )

    def _line_of(self, raw: bytes) -> None:
        self._line += 1
        raw = raw.removesuffix(b"\r")
        if self._quoted:
            raw = self._quoted + b"\n" + raw
            self._quoted = b""
        if raw.count(b'"') % 2:  # a quoted field goes on on the next line
            self._quoted = raw
            return
        if self.fields is None and self.records == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._problem(ProblemCode.ENCODING, None, None, f"data file is not UTF-8 text ({exc.reason})")
            return
        if not text.strip(" ,\t"):
            return
        try:
            values = [cell.strip() for cell in next(csv.reader([text]))]
        except (csv.Error, StopIteration) as exc:
            self._problem(ProblemCode.MALFORMED, self.records + 1, None, f"not readable as CSV: {exc}")
            return
        self.records += 1
        if self.fields is None:
            self.fields = tuple(values)
            self._date_column = self.fields.index("Business Date") if "Business Date" in self.fields else None
            return
        number = self.records
        if len(values) != len(self.fields):
            self._problem(
                ProblemCode.FIELD_COUNT,
                number,
                None,
                f"record {number} has {len(values)} fields, the header has {len(self.fields)}",
            )
        column = self._date_column
        if column is not None and self.expected_date is not None:
            value = values[column] if column < len(values) else ""
            if value != self.expected_date:
                self._problem(
                    ProblemCode.BUSINESS_DATE,
                    number,
                    "Business Date",
                    f"Business Date {value!r} differs from the control file's {self.expected_date}",
                )

    def _problem(self, code: ProblemCode, line: int | None, field: str | None, message: str) -> None:
        seen = self._counts.get(code, 0)
        self._counts[code] = seen + 1
        if seen < PROBLEMS_PER_KIND:
            self.problems.append(Problem(self.source, line, field, message, Severity.ERROR, code))
