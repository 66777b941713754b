"""The data file of a report pair: a CSV whose first record names the fields (seed 003).

Values are unquoted unless they contain a comma. Blank lines (a trailing newline) are not records.
Record numbers count from 1 at the header record, as the control file's Record Count does.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpdesk.engine.csvtext import csv_rows
from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity


@dataclass(frozen=True, slots=True)
class DataRecord:
    number: int  # 1 is the header record, so data records start at 2
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DataFile:
    fields: tuple[str, ...]
    records: tuple[DataRecord, ...]

    @property
    def record_count(self) -> int:
        """Records including the header, as the control file counts them."""
        return len(self.records) + 1

    def column(self, field: str) -> int | None:
        return self.fields.index(field) if field in self.fields else None

    def as_dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.fields, r.values, strict=False)) for r in self.records]


def parse_data_file(content: bytes, source: str) -> Parsed[DataFile | None]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Parsed(
            None,
            (
                Problem(
                    source,
                    None,
                    None,
                    f"data file is not UTF-8 text ({exc.reason})",
                    Severity.ERROR,
                    ProblemCode.ENCODING,
                ),
            ),
        )
    read, unreadable = csv_rows(text, source)
    if unreadable is not None:
        return Parsed(None, (unreadable,))
    rows = [row for row in read if any(cell.strip() for cell in row)]
    if not rows:
        return Parsed(
            None,
            (
                Problem(
                    source,
                    None,
                    None,
                    "data file has no header record",
                    Severity.ERROR,
                    ProblemCode.NO_HEADER,
                ),
            ),
        )
    fields = tuple(cell.strip() for cell in rows[0])
    problems: list[Problem] = []
    records = []
    for number, row in enumerate(rows[1:], start=2):
        values = tuple(cell.strip() for cell in row)
        if len(values) != len(fields):
            problems.append(
                Problem(
                    source,
                    number,
                    None,
                    f"record {number} has {len(values)} fields, the header has {len(fields)}",
                    Severity.ERROR,
                    ProblemCode.FIELD_COUNT,
                )
            )
        records.append(DataRecord(number, values))
    return Parsed(DataFile(fields, tuple(records)), tuple(problems))
