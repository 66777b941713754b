"""RPF01's twelve ``Name,Value`` header lines and its ``InstrumentId,FieldType,1..N`` line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import ProblemCode, Severity
from cpdesk.engine.rpf.model import EXPECTED_SHORTFALL_DISCRETE, HEADER_FIELDS, RpfHeader
from cpdesk.engine.rpf.text import Lines, ProblemCollector, trim_cells

# Bounds where the guide's layout (§2.2) gives none, far beyond any real file: they keep a damaged
# or hostile header from asking for absurd memory or amounts.
MAX_SCENARIOS = 100_000  # the guide's file has 1,000 HVaR and 1,018 SVaR scenarios
MAX_ROUNDING_HKD = 10_000_000  # the guide rounds up to HKD 10,000
MAX_HOLIDAY_FACTOR = Decimal(10)  # sqrt(H) - 1 for H consecutive holidays: 10 means 121 of them


def find_column_header(lines: Lines) -> int | None:
    for index in range(min(len(lines), 64)):
        if lines.raw(index).lstrip(b"\xef\xbb\xbf").strip().lower().startswith(b"instrumentid"):
            return index
    return None


def parse_header(lines: Lines, column_line: int, problems: ProblemCollector) -> RpfHeader | None:
    values: dict[str, tuple[str, int]] = {}
    for index in range(column_line):
        line_no = index + 1
        cells = trim_cells(lines.cells(index))
        if not cells:
            problems.add(line_no, None, "blank line in the header", code=ProblemCode.HEADER)
            continue
        name = cells[0]
        if name not in HEADER_FIELDS:
            problems.add(line_no, name, f"unknown header parameter {name!r}", code=ProblemCode.HEADER)
            continue
        if name in values:
            problems.add(
                line_no,
                name,
                f"{name} given twice (first on line {values[name][1]})",
                code=ProblemCode.HEADER,
            )
            continue
        if len(cells) < 2 or not cells[1]:
            problems.add(line_no, name, f"{name} has no value", code=ProblemCode.HEADER)
            continue
        if len(cells) > 2:
            problems.add(
                line_no, name, f"{name} has {len(cells) - 1} values, expected one", code=ProblemCode.HEADER
            )
            continue
        values[name] = (cells[1], line_no)
    for name in HEADER_FIELDS:
        if name not in values and not any(p.field == name for p in problems.items):
            problems.add(None, name, f"header parameter {name} is missing", code=ProblemCode.HEADER)

    reader = _HeaderValues(values, problems)
    header = RpfHeader(
        valuation_date=reader.valuation_date("Valuation_DT"),
        hvar_weight=reader.decimal("HVaR_WGT", low=Decimal(0), high=Decimal(1)),
        svar_weight=reader.decimal("SVaR_WGT", low=Decimal(0), high=Decimal(1)),
        hvar_scenario_count=reader.integer("HVaR_Scen_Count", minimum=1, maximum=MAX_SCENARIOS),
        svar_scenario_count=reader.integer("SVaR_Scen_Count", minimum=1, maximum=MAX_SCENARIOS),
        stress_test_count=reader.integer("STV_Count", minimum=0, maximum=MAX_SCENARIOS),
        hvar_confidence_level=reader.confidence("HVaR_CL"),
        svar_confidence_level=reader.confidence("SVaR_CL"),
        hvar_measure=reader.measure("HVaR_Measure"),
        svar_measure=reader.measure("SVaR_Measure"),
        rounding_hkd=reader.integer("Rounding", minimum=1, maximum=MAX_ROUNDING_HKD),
        holiday_factor=reader.decimal("Holiday_Factor", low=Decimal(0), high=MAX_HOLIDAY_FACTOR),
    )
    if not reader.ok:
        return None
    if header.hvar_weight + header.svar_weight != 1:
        problems.add(
            values["SVaR_WGT"][1],
            "SVaR_WGT",
            f"HVaR_WGT + SVaR_WGT is {header.hvar_weight + header.svar_weight}, not 1",
            severity=Severity.WARNING,
            code=ProblemCode.CONSISTENCY,
        )
    return header


class _HeaderValues:
    """Typed access to header values; a bad value is recorded and a placeholder returned."""

    def __init__(self, values: dict[str, tuple[str, int]], problems: ProblemCollector) -> None:
        self.values = values
        self.problems = problems
        self.ok = all(name in values for name in HEADER_FIELDS)

    def _fail(self, name: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.values[name][1], name, message, code=ProblemCode.HEADER)

    def _number(self, name: str) -> Decimal | None:
        if name not in self.values:
            return None
        try:
            return parse_decimal(self.values[name][0])
        except ValueError as exc:
            self._fail(name, f"{name} is not a number: {exc}")
            return None

    def decimal(self, name: str, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
        value = self._number(name)
        if value is None:
            return Decimal(0)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            self._fail(name, f"{name} {value} must be {bounds}")
            return Decimal(0)
        return value

    def integer(self, name: str, *, minimum: int, maximum: int) -> int:
        value = self._number(name)
        if value is None:
            return 0
        if value != value.to_integral_value():
            self._fail(name, f"{name} must be a whole number, got {value}")
            return 0
        if not minimum <= value <= maximum:
            self._fail(name, f"{name} must be from {minimum:,} to {maximum:,}, got {value}")
            return 0
        return int(value)

    def confidence(self, name: str) -> Decimal:
        value = self._number(name)
        if value is None:
            return Decimal(0)
        if not Decimal(0) < value < Decimal(1):
            self._fail(name, f"{name} must be strictly between 0 and 1, got {value}")
        return value

    def measure(self, name: str) -> int:
        value = self._number(name)
        if value is None:
            return 0
        if value != EXPECTED_SHORTFALL_DISCRETE:
            self._fail(name, f"{name} {value} is not supported; only 4 (FHS ES, discrete) is defined")
        return int(value) if value == value.to_integral_value() else 0

    def valuation_date(self, name: str) -> date:
        if name not in self.values:
            return date.min
        text = self.values[name][0]
        try:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        except ValueError:
            self._fail(name, f"{name} {text!r} is not a date in DD/MM/YYYY form")
            return date.min


def parse_column_header(lines: Lines, column_line: int, problems: ProblemCollector) -> int:
    cells = trim_cells(lines.cells(column_line))
    line_no = column_line + 1
    if len(cells) < 2 or cells[1].lower() != "fieldtype":
        problems.add(
            line_no, None, "column header must start with 'InstrumentId,FieldType'", code=ProblemCode.HEADER
        )
        return 0
    numbers = cells[2:]
    for position, text in enumerate(numbers, start=1):
        if text != str(position):
            problems.add(
                line_no,
                f"column {position + 2}",
                f"scenario column {position} is labelled {text!r}",
                code=ProblemCode.HEADER,
            )
            break
    return len(numbers)
