"""Validate an LOP report before it leaves the desk: name, workbook, header, every row.

Every problem names the file, sheet and cell (``C7``) and says why. Errors make a report
unsendable; warnings (positions below a reportable level) do not.

The rows come from an xlsx file's bytes (:func:`validate_report`) or straight from a live sheet's
values (:func:`validate_rows`: what the Excel add-in passes before the workbook is saved).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from openpyxl.utils import get_column_letter

from cpdesk.engine.lop.schema import Column, LopSchema, ReportKind
from cpdesk.engine.lop.xlsx import UnsavedFormula, Value, WorkbookError, open_workbook
from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import Problem, ProblemCode, Severity, errors_in

MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31, Excel's last date
MAX_CONTRACTS = 10**12  # far beyond any real position: a number this large is a typing slip
FILE_NAME = re.compile(r"^(?P<kind>[A-Za-z]+)_(?P<submitter>[^_]*)_(?P<date>[^_.]*)\.(?P<ext>[A-Za-z]+)$")


@dataclass(frozen=True, slots=True)
class LopName:
    """What a report's file name says; a part that is wrong is None (the sheet is still checked
    against the parts that are right)."""

    kind: str
    submitter: str | None
    trade_date: date | None


@dataclass
class LopValidation:
    file: str
    name: LopName | None = None
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not errors_in(self.problems)

    def add(
        self,
        message: str,
        code: ProblemCode,
        sheet: str | None = None,
        cell: str | None = None,
        severity: Severity = Severity.ERROR,
        column: str | None = None,
    ) -> None:
        line = _row_of(cell) if cell else None
        self.problems.append(Problem(self.file, line, column, message, severity, code, sheet, cell))

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "ok": self.ok,
            "rows": self.rows,
            "kind": self.name.kind if self.name else None,
            "submitter": self.name.submitter if self.name else None,
            "trade_date": self.name.trade_date.isoformat() if self.name and self.name.trade_date else None,
            "problems": [p.as_dict() for p in self.problems],
        }


def check_file_name(
    file_name: str, schema: LopSchema, today: date, is_trading_day: Callable[[date], bool]
) -> tuple[LopName | None, list[str]]:
    """``<KIND>_<SUBMITTER>_<yyyymmdd>.xlsx`` (derivatives guide §8.1)."""
    match = FILE_NAME.match(file_name)
    if match is None:
        return None, [
            f"file name must be <KIND>_<SUBMITTER>_<yyyymmdd>.xlsx, e.g. LOPBI_00CFB_{today:%Y%m%d}.xlsx"
        ]
    reasons = []
    submitter: str | None = match["submitter"]
    if match["ext"] != "xlsx":
        reasons.append(f"extension must be .xlsx, not .{match['ext']}")
    if match["kind"] not in schema.kinds:
        reasons.append(f"report kind {match['kind']!r} is not one of {', '.join(schema.kinds)}")
    if not re.fullmatch(r"[A-Z0-9]{5}", match["submitter"]):
        reasons.append(f"submitter code {match['submitter']!r} must be 5 capital letters or digits")
        submitter = None
    trade_date = None
    try:
        if not re.fullmatch(r"\d{8}", match["date"]):
            raise ValueError
        trade_date = datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        reasons.append(f"trade date {match['date']!r} is not a real yyyymmdd date")
    if trade_date is not None:
        if trade_date > today:
            reasons.append(f"trade date {trade_date} is in the future")
        elif not is_trading_day(trade_date):
            reasons.append(f"trade date {trade_date} is not a trading day")
    return LopName(match["kind"], submitter, trade_date), reasons


def _named(
    file_name: str, schema: LopSchema, today: date, is_trading_day: Callable[[date], bool]
) -> tuple[LopValidation, ReportKind | None]:
    result = LopValidation(file_name)
    name, reasons = check_file_name(file_name, schema, today, is_trading_day)
    result.name = name
    for reason in reasons:
        result.add(reason, ProblemCode.FILE_NAME)
    return result, schema.kinds.get(name.kind if name else file_name.split("_", maxsplit=1)[0])


def validate_report(
    file_name: str, content: bytes, schema: LopSchema, today: date, is_trading_day: Callable[[date], bool]
) -> LopValidation:
    """Check a saved report: its name, then the workbook's sheet, header and every row."""
    result, kind = _named(file_name, schema, today, is_trading_day)
    try:
        workbook = open_workbook(content)
    except WorkbookError as exc:
        result.add(str(exc), ProblemCode.UNREADABLE)
        return result
    if kind is None:
        return result
    if kind.sheet not in workbook.sheets:
        result.add(
            f"no sheet {kind.sheet!r}; the workbook has "
            f"{', '.join(repr(s) for s in workbook.sheets) or 'no sheets'}",
            ProblemCode.SHEET,
        )
        return result
    try:
        _RowChecker(result, kind, name=result.name, excel_epoch=_epoch(workbook.date1904)).run(
            workbook.rows(kind.sheet)
        )
    except WorkbookError as exc:
        result.add(str(exc), ProblemCode.UNREADABLE, kind.sheet)
    return result


def validate_rows(
    file_name: str,
    rows: Sequence[Sequence[object]],
    schema: LopSchema,
    today: date,
    is_trading_day: Callable[[date], bool],
    *,
    date1904: bool = False,
) -> LopValidation:
    """Check a live sheet before it is saved: ``rows`` are its used range's values from row 1
    (``None`` for empty cells; dates may be :class:`datetime`/:class:`date`), ``file_name`` the
    name it will be saved under. The same checks and the same problems as :func:`validate_report`."""
    result, kind = _named(file_name, schema, today, is_trading_day)
    if kind is not None:
        _RowChecker(result, kind, name=result.name, excel_epoch=_epoch(date1904)).run(_live_rows(rows))
    return result


def _live_rows(rows: Sequence[Sequence[object]]) -> Iterator[tuple[int, list[Value]]]:
    for number, row in enumerate(rows, start=1):
        values: list[Value] = []
        for cell in row:
            if isinstance(cell, date):  # a datetime too: Excel's dates arrive so through xlwings
                values.append(int(cell.strftime("%Y%m%d")))  # a yyyymmdd number is read as a date
            elif cell is None or isinstance(cell, str | bool | int | float):
                values.append(cell)
            else:
                values.append(str(cell))
        yield number, values


def _epoch(date1904: bool) -> date:
    return date(1904, 1, 1) if date1904 else date(1899, 12, 30)


def _row_of(cell: str) -> int | None:
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else None


def _cell(column: int, row: int) -> str:
    return f"{get_column_letter(column + 1)}{row}"


class _RowChecker:
    def __init__(
        self, result: LopValidation, kind: ReportKind, *, name: LopName | None, excel_epoch: date
    ) -> None:
        self.result = result
        self.excel_epoch = excel_epoch
        self.kind = kind
        self.name = name
        self.where: dict[str, int] = {}  # column name -> index in the sheet
        self.seen: dict[tuple[str, ...], int] = {}
        # (identity, product, instrument, month) -> rows of (row number, long, short)
        self.groups: dict[tuple[tuple[str, ...], object, object, object], list[tuple[int, int, int]]] = (
            defaultdict(list)
        )

    def problem(
        self,
        cell: str | None,
        message: str,
        code: ProblemCode = ProblemCode.BAD_VALUE,
        severity: Severity = Severity.ERROR,
        column: str | None = None,
    ) -> None:
        self.result.add(message, code, self.kind.sheet, cell, severity, column)

    def run(self, rows: Iterable[tuple[int, list[Value]]]) -> None:
        header_seen = False
        for number, values in rows:
            if number < self.kind.header_row:
                continue
            if number == self.kind.header_row:
                header_seen = True
                if not self.header(values):
                    return
                continue
            if not header_seen:
                break
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            self.result.rows += 1
            self.row(number, values)
        if not header_seen:
            self.problem(
                f"A{self.kind.header_row}",
                f"header row {self.kind.header_row} is missing",
                ProblemCode.NO_HEADER,
            )
            return
        if self.result.rows == 0:
            self.problem(
                f"A{self.kind.header_row + 1}",
                "the report holds no positions (a blank template)",
                ProblemCode.NO_ROWS,
            )
        self.reportable_levels()

    def header(self, values: list[Value]) -> bool:
        found = [str(v).strip() if v is not None else "" for v in values]
        while found and not found[-1]:
            found.pop()
        expected = list(self.kind.names)
        row = self.kind.header_row
        for name in expected:
            if name not in found:
                self.problem(f"A{row}", f"header lacks column {name!r}", ProblemCode.HEADER_FIELDS)
        for index, name in enumerate(found):
            if name not in expected:
                self.problem(
                    _cell(index, row),
                    f"unexpected column {name!r}" if name else "empty header cell",
                    ProblemCode.HEADER_FIELDS,
                )
        present = [n for n in found if n in expected]
        if present != [n for n in expected if n in found]:
            for index, name in enumerate(found):
                if name in expected and expected.index(name) != present.index(name):
                    self.problem(
                        _cell(index, row),
                        f"column {name!r} is out of order: expected column "
                        f"{get_column_letter(expected.index(name) + 1)}",
                        ProblemCode.HEADER_FIELDS,
                    )
                    break
        if any(p.severity is Severity.ERROR for p in self.result.problems if p.sheet):
            return False
        self.where = {name: index for index, name in enumerate(found)}
        return True

    def value(self, column: Column, values: list[Value], number: int) -> tuple[object, bool]:
        """The typed value of a cell (None when empty) and whether it is acceptable."""
        index = self.where[column.name]
        raw = values[index] if index < len(values) else None
        if isinstance(raw, UnsavedFormula):
            self.problem(
                _cell(index, number),
                f"{column.name}: the formula {raw[:40]} has no saved value; open the workbook in Excel "
                "and save it",
                column=column.name,
            )
            return None, False
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if column.required:
                self.problem(
                    _cell(index, number),
                    f"{column.name} is required",
                    ProblemCode.EMPTY_VALUE,
                    column=column.name,
                )
                return None, False
            return None, True
        text = raw.strip() if isinstance(raw, str) else raw
        try:
            typed = _typed(column.type, text, self.excel_epoch)
        except ValueError as exc:
            self.problem(_cell(index, number), f"{column.name}: {exc}", column=column.name)
            return None, False
        if column.type == "text":
            assert isinstance(typed, str)
            reason = _text_problem(column, typed)
            if reason:
                self.problem(_cell(index, number), reason, column=column.name)
                return typed, False
        return typed, True

    def row(self, number: int, values: list[Value]) -> None:
        typed: dict[str, object] = {}
        failed: set[str] = set()
        width = max(self.where.values(), default=-1) + 1
        beyond = next((i for i in range(width, len(values)) if values[i] not in (None, "")), None)
        if beyond is not None:
            self.problem(
                _cell(beyond, number),
                "a value outside the report's columns (the header names none here): move it or delete it",
                ProblemCode.HEADER_FIELDS,
            )
        for column in self.kind.columns:
            typed[column.name], ok = self.value(column, values, number)
            if not ok:
                failed.add(column.name)
        self.cross_checks(number, typed, failed)

    def cross_checks(self, number: int, typed: dict[str, object], failed: set[str]) -> None:
        """Rules across cells; a cell already reported as wrong is not reported again."""

        def cell(name: str) -> str:
            return _cell(self.where[name], number)

        if self.name is not None:
            submitter = self.name.submitter
            if submitter and "Submitter Code" in typed and typed["Submitter Code"] not in (None, submitter):
                self.problem(
                    cell("Submitter Code"),
                    f"Submitter Code {typed['Submitter Code']!r} differs from "
                    f"the file name's {self.name.submitter!r}",
                    ProblemCode.CONSISTENCY,
                    column="Submitter Code",
                )
            day = self.name.trade_date
            if day and "Trade Date" in typed and typed["Trade Date"] not in (None, day):
                self.problem(
                    cell("Trade Date"),
                    f"Trade Date {typed['Trade Date']} differs from the file name's {self.name.trade_date}",
                    ProblemCode.CONSISTENCY,
                    column="Trade Date",
                )
        instrument = typed.get(self.kind.instrument_column) if self.kind.instrument_column else "Option"
        for name in self.kind.option_columns:
            if name in failed:
                continue
            if instrument == "Option" and typed.get(name) is None:
                self.problem(
                    cell(name), f"{name} is required for an option", ProblemCode.EMPTY_VALUE, column=name
                )
            elif instrument == "Future" and typed.get(name) is not None:
                self.problem(
                    cell(name), f"{name} must be empty for a future", ProblemCode.CONSISTENCY, column=name
                )
        long, short = typed.get("Long Position"), typed.get("Short Position")
        if long == 0 and short == 0:
            self.problem(
                cell("Long Position"),
                "both positions are zero: report only open positions",
                ProblemCode.CONSISTENCY,
            )
        identity = tuple(_key(typed.get(n)) for n in self.kind.identity)
        series = tuple(_key(typed.get(n)) for n in self.kind.series)
        key = identity + series
        if all(identity) and key in self.seen:
            self.problem(
                f"A{number}",
                f"duplicate of row {self.seen[key]}: same identity and series",
                ProblemCode.DUPLICATE,
            )
        else:
            self.seen.setdefault(key, number)
        if isinstance(long, int) and isinstance(short, int):
            month = typed.get("Contract Month")
            product = typed.get(self.kind.product_column)
            self.groups[(identity, product, instrument, month)].append((number, long, short))

    def reportable_levels(self) -> None:
        """Warn where an owner's positions in a product and month are all below its reportable level."""
        for (identity, product, instrument, month), rows in self.groups.items():
            for rule in self.kind.reportable:
                if rule.instrument != instrument or rule.product not in ("*", product):
                    continue
                long = sum(r[1] for r in rows)
                short = sum(r[2] for r in rows)
                if max(long, short) < rule.level:
                    first = rows[0][0]
                    self.problem(
                        _cell(self.where["Long Position"], first),
                        f"{product} {month}: long {long}, short {short} for {identity[0] or 'this owner'}"
                        f" are below the reportable level of {rule.level} contracts per {rule.per}",
                        ProblemCode.BELOW_REPORTABLE_LEVEL,
                        Severity.WARNING,
                    )
                break


def _text_problem(column: Column, text: str) -> str | None:
    if column.allowed and text not in column.allowed:
        return f"{column.name} {text!r} is not one of {', '.join(column.allowed)}"
    if not column.matches(text):
        return f"{column.name} {text!r} is not {column.expected or 'in the form the template asks for'}"
    if column.max_length is not None and len(text) > column.max_length:
        return f"{column.name} is longer than {column.max_length} characters"
    return None


def _key(value: object) -> str:
    """A value as it identifies a row: case and spacing ignored, 100 and 100.0 the same strike."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.normalize())
    return " ".join(str(value).upper().split())


def _typed(kind: str, value: Value, excel_epoch: date) -> object:
    if kind == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    if kind in ("integer", "decimal"):
        try:
            if isinstance(value, bool):
                raise ValueError
            number = parse_decimal(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if number < 0:
            raise ValueError(f"{value} is negative")
        if kind == "integer":
            if number != number.to_integral_value():
                raise ValueError(f"{value} is not a whole number of contracts")
            if number >= MAX_CONTRACTS:
                raise ValueError(f"{value} is beyond any open position ({MAX_CONTRACTS:,} contracts)")
            return int(number)
        return number
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 19_000_101 <= value <= 29_991_231:  # typed as a number: 20200511
            return _yyyymmdd(str(int(value)))
        if not 1 <= value <= MAX_EXCEL_SERIAL:
            raise ValueError(f"{value:g} is neither a yyyymmdd date nor an Excel date")
        return excel_epoch + timedelta(days=int(value))
    return _yyyymmdd(str(value))


@functools.lru_cache(maxsize=256)
def _yyyymmdd(text: str) -> date:
    """A report holds a date or two, in every row: parse each spelling once."""
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a yyyymmdd date") from None


def summarise(results: Iterable[LopValidation]) -> tuple[int, int]:
    """(errors, warnings) over several validations."""
    problems = [p for r in results for p in r.problems]
    errors = len(errors_in(problems))
    return errors, len(problems) - errors
