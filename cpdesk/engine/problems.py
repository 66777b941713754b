"""Problems found in input, with where they were found (Strata's ``ValueWithFailures`` and
``FailureReason``).

Parsers do not stop at the first bad row: they return what they could read together with a
list of :class:`Problem`, so the user sees every bad line at once. Every problem cpdesk reports —
an RPF01 line, a report pair's record, a LOP workbook's cell, a downloaded file's check — is this
one type, with a code from the one :class:`ProblemCode` catalogue and a location.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ProblemCode(StrEnum):
    """What kind of problem: stable names that tests, JSON consumers and the add-in match on."""

    # Reading a file at all
    UNREADABLE = "unreadable"  # cannot open or read it
    TOO_LARGE = "too-large"  # over a size cpdesk will read
    ENCRYPTED = "encrypted"  # a zip member cpdesk cannot read without a password
    ENCODING = "encoding"  # text that is not in the expected encoding
    MALFORMED = "malformed"  # not well-formed CSV, XML or TOML
    COMPRESSION_RATIO = "compression-ratio"  # a zip member that inflates suspiciously far
    NOT_A_ZIP = "not-a-zip"
    DAMAGED = "damaged"  # truncated or corrupt (bad CRC)
    MEMBER_COUNT = "member-count"  # a zip with other than one member
    MEMBER_NAME = "member-name"  # the member is not the one the file name promises
    UNSAFE_NAME = "unsafe-member-name"  # a name that could escape its folder
    # Structure of a text or sheet layout
    HEADER = "header"  # a header line or parameter missing, unknown, repeated or malformed
    HEADER_FIELDS = "header-fields"  # the column header lacks or misorders fields
    NO_HEADER = "no-header"
    FIELD_COUNT = "field-count"  # a record with the wrong number of fields
    DUPLICATE = "duplicate"  # the same row, instrument or owner/series twice
    INCOMPLETE = "incomplete"  # a row or part another one needs is absent
    # Values
    BAD_VALUE = "bad-value"  # not a number, date or allowed value
    EMPTY_VALUE = "empty-value"  # a required value is empty
    OUT_OF_RANGE = "out-of-range"  # outside what the document or exact arithmetic allows
    PRECISION = "precision"  # more decimal places than the document gives
    SCENARIO_COUNT = "scenario-count"  # a row with other than the header's scenario count
    UNKNOWN_INSTRUMENT = "unknown-instrument"  # a position without an RPF row
    CONSISTENCY = "consistency"  # two values that must agree do not
    # Report pairs (RMCNM01 layout, seed 003)
    FILE_NAME = "file-name"  # a name that is not what the document prescribes
    FILE_DATE = "file-date"
    REPORT_ID = "report-id"
    UNKNOWN_REPORT = "unknown-report"
    BUSINESS_DATE = "business-date"
    RECORD_COUNT = "record-count"
    MISSING_CONTROL = "missing-control"
    MISSING_DATA = "missing-data"
    CONTROL_HEADER = "control-header"
    CONTROL_TRAILER = "control-trailer"
    CONTROL_COUNT = "control-count"
    CONTROL_DATE = "control-date"
    CONTROL_RECORDS = "control-records"
    CONTROL_REPORT_ID = "control-report-id"
    CONTROL_SEQUENCE = "control-sequence"
    # LOP workbooks
    SHEET = "sheet"  # the sheet is missing
    NO_ROWS = "no-rows"  # nothing to report
    BELOW_REPORTABLE_LEVEL = "below-reportable-level"
    # Downloads and the archive
    SIZE_MISMATCH = "size-mismatch"  # the file is not the size the server listed


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: which file (``source``), where in it (a 1-based ``line`` or
    record; a ``sheet`` and ``cell`` of a workbook; a ``field``), why, and of what kind."""

    source: str
    line: int | None
    field: str | None
    message: str
    severity: Severity = Severity.ERROR
    code: ProblemCode = ProblemCode.BAD_VALUE
    sheet: str | None = None
    cell: str | None = None  # "C7"

    def __str__(self) -> str:
        tag = "" if self.severity is Severity.ERROR else f" ({self.severity.value})"
        if self.sheet is not None or self.cell is not None:
            sheet = f": {self.sheet}" if self.sheet else ""
            where = self.source + sheet + (f"!{self.cell}" if self.cell else "")
            return f"{where}: {self.message}{tag}"
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}{tag}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "message": self.message,
            "severity": self.severity.value,
            "code": self.code.value,
        }


def errors_in(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in problems if p.severity is Severity.ERROR)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A parsed value together with the problems met while reading it."""

    value: T
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return errors_in(self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def combined_with(self, other: Parsed[U]) -> Parsed[tuple[T, U]]:
        """Both values, and the problems of both (this one's first)."""
        return Parsed((self.value, other.value), self.problems + other.problems)


class InputError(ValueError):
    """Raised by calculators when inputs cannot be margined; carries the problems found."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
