"""RPF01 data rows: routing by FieldType, and FieldTypes 3-7 read exactly (guide §2.2)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import ProblemCode
from cpdesk.engine.rpf.model import (
    BenefitType,
    BetaHedgeInfo,
    CorporateActionInfo,
    DeltaInfo,
    FieldType,
    StructuredProductInfo,
)
from cpdesk.engine.rpf.text import Lines, ProblemCollector, trim_cells


class DataRows:
    """Routes data rows by FieldType and reads the small FieldTypes 3-7 exactly."""

    def __init__(self, problems: ProblemCollector) -> None:
        self.problems = problems
        self.flat_rates: dict[str, Decimal] = {}
        self.beta_hedge: dict[str, BetaHedgeInfo] = {}
        self.deltas: dict[str, DeltaInfo] = {}
        self.structured_products: dict[str, StructuredProductInfo] = {}
        self.corporate_actions: dict[tuple[str, BenefitType], CorporateActionInfo] = {}
        self._first_line: dict[tuple[object, ...], int] = {}
        self._delta_lines: dict[str, int] = {}
        self._rejected: set[tuple[FieldType, str]] = set()  # rows already reported as bad

    def route(self, lines: Lines, index: int, scenario_lines: dict[FieldType, list[int]]) -> None:
        raw = lines.raw(index)
        if not raw.strip(b", \t"):
            return  # blank or padding-only line
        first = raw.find(b",")
        second = raw.find(b",", first + 1) if first >= 0 else -1
        line_no = index + 1
        instrument = raw[:first].strip().strip(b'"').decode("utf-8", errors="replace") if first >= 0 else ""
        field_text = raw[first + 1 : second if second >= 0 else len(raw)].strip().strip(b'"')
        if first < 0 or not instrument:
            self.problems.add(
                line_no, "InstrumentId", "row has no InstrumentId", code=ProblemCode.EMPTY_VALUE
            )
            return
        try:
            field_type = FieldType(int(field_text))
        except ValueError:
            shown = field_text.decode("utf-8", errors="replace")
            self.problems.add(
                line_no, "FieldType", f"FieldType {shown!r} is not one of 1-7", code=ProblemCode.BAD_VALUE
            )
            return
        if field_type in scenario_lines:
            scenario_lines[field_type].append(index)
            return
        self._read_small_row(field_type, instrument, trim_cells(lines.cells(index))[2:], line_no)

    def _decimals(self, cells: Sequence[str], names: Sequence[str], line_no: int) -> list[Decimal] | None:
        out: list[Decimal] = []
        ok = True
        for position, (text, name) in enumerate(zip(cells, names, strict=True), start=3):
            try:
                out.append(parse_decimal(text))
            except ValueError as exc:
                self.problems.add(
                    line_no, f"column {position} ({name})", f"{name}: {exc}", code=ProblemCode.BAD_VALUE
                )
                ok = False
        return out if ok else None

    def _shape(self, field_type: FieldType, cells: Sequence[str], names: Sequence[str], line_no: int) -> bool:
        if len(cells) != len(names):
            self.problems.add(
                line_no,
                f"FieldType {field_type.value}",
                f"FieldType {field_type.value} row needs {len(names)} value(s) ({', '.join(names)}), "
                f"found {len(cells)}",
                code=ProblemCode.FIELD_COUNT,
            )
            return False
        return True

    def _unique(self, key: tuple[object, ...], label: str, line_no: int) -> bool:
        first = self._first_line.setdefault(key, line_no)
        if first != line_no:
            self.problems.add(
                line_no, None, f"duplicate {label} (first on line {first})", code=ProblemCode.DUPLICATE
            )
            return False
        return True

    def _read_small_row(self, field_type: FieldType, instrument: str, cells: list[str], line_no: int) -> None:
        if field_type is FieldType.FLAT_RATE:
            names: tuple[str, ...] = ("flat rate",)
        elif field_type is FieldType.BETA_HEDGE:
            names = ("bucket rate", "beta", "threshold", "cash delta per quantity")
        elif field_type is FieldType.INSTRUMENT_DELTA:
            names = ("underlying group", "delta", "conversion ratio", "cash delta per quantity")
        elif field_type is FieldType.STRUCTURED_PRODUCT:
            names = ("price threshold", "one-tenth of tick size multiplier")
        else:
            names = ("benefit entitlement type", "entitlement price", "short add-on", "long add-on")
        if not self._shape(field_type, cells, names, line_no):
            self._rejected.add((field_type, instrument))
            return

        if field_type is FieldType.INSTRUMENT_DELTA:
            underlying = cells[0]
            if not underlying:
                self.problems.add(
                    line_no,
                    "column 3 (underlying group)",
                    "underlying group is empty",
                    code=ProblemCode.EMPTY_VALUE,
                )
                return
            numbers = self._decimals(cells[1:], names[1:], line_no)
            if numbers is None or not self._unique(
                (field_type, instrument), f"FieldType 5 row for {instrument}", line_no
            ):
                return
            self.deltas[instrument] = DeltaInfo(underlying, numbers[0], numbers[1], numbers[2])
            self._delta_lines[instrument] = line_no
            return

        numbers = self._decimals(cells, names, line_no)
        if numbers is None:
            self._rejected.add((field_type, instrument))
            return
        if field_type is FieldType.CORPORATE_ACTION:
            code = numbers[0]
            if code not in (1, 2, 3):
                self.problems.add(
                    line_no,
                    "column 3 (benefit entitlement type)",
                    f"benefit entitlement type {code} is not 1 (DSP), 2 (SRI) or 3 (DIV)",
                    code=ProblemCode.BAD_VALUE,
                )
                return
            benefit = BenefitType(int(code))
            if self._unique(
                (field_type, instrument, benefit),
                f"FieldType 7 row for {instrument} type {benefit.value}",
                line_no,
            ):
                self.corporate_actions[(instrument, benefit)] = CorporateActionInfo(benefit, *numbers[1:])
            return
        if not self._unique(
            (field_type, instrument), f"FieldType {field_type.value} row for {instrument}", line_no
        ):
            return
        if field_type is FieldType.FLAT_RATE:
            self.flat_rates[instrument] = numbers[0]
        elif field_type is FieldType.BETA_HEDGE:
            self.beta_hedge[instrument] = BetaHedgeInfo(*numbers)
        else:
            self.structured_products[instrument] = StructuredProductInfo(*numbers)

    def check_references(self, *, header_ok: bool) -> None:
        """A FieldType 5 underlying group must have its own FieldType 4 row."""
        if not header_ok:
            return
        for instrument, info in self.deltas.items():
            group = info.underlying_group
            if group not in self.beta_hedge and (FieldType.BETA_HEDGE, group) not in self._rejected:
                self.problems.add(
                    self._delta_lines[instrument],
                    "column 3 (underlying group)",
                    f"underlying group {info.underlying_group} of {instrument} has no FieldType 4 row",
                    code=ProblemCode.INCOMPLETE,
                )
