"""RMCNM01, Risk - Northbound MSTD Requirement Report: typed rows with every field R1-R24 (seed 003).

Amounts are exact decimals in the trading currency (CNY). The Mainland Settlement Deposit Rate is
shown in % (``18.00%``); a plain fraction (``0.18``) is accepted too. A blank amount (the sample's
Average Daily SPSA Sell Turnover) reads as ``None`` and counts as zero in calculations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity
from cpdesk.engine.reports.csvdata import DataFile

REPORT_ID = "RMCNM01"


@dataclass(frozen=True, slots=True)
class Rmcnm01Row:
    record: int  # record number in the data file (the header is record 1)
    batch: int  # R1
    idm: int  # R2: 2 end of day, 3 intraday and estimated
    create_time: datetime  # R3
    business_date: date  # R4
    country: str  # R5
    product_area: str  # R6
    market: str  # R7: MAMK (Shanghai) or SZMK (Shenzhen)
    market_id: int  # R8: 203 MAMK, 204 SZMK
    exchange: str  # R9
    participant_id: str  # R10
    account: str  # R11
    participant_name: str  # R12
    currency: str  # R13
    position_indicator: str  # R14, may be blank
    buy_turnover_cny: Decimal | None  # R15
    overdue_short_position_cny: Decimal | None  # R16
    spsa_sell_turnover_cny: Decimal | None  # R17
    daily_mstd_requirement_cny: Decimal | None  # R18
    average_daily_buy_turnover_cny: Decimal | None  # R19
    average_overdue_short_position_cny: Decimal | None  # R20
    average_daily_spsa_sell_turnover_cny: Decimal | None  # R21
    monthly_mstd_requirement_cny: Decimal | None  # R22
    deposit_rate: Decimal  # R23, as a fraction: 18.00% is 0.18
    mstd_requirement_cny: Decimal | None  # R24

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            out[spec.name] = (
                value.isoformat()
                if isinstance(value, date | datetime)
                else (str(value) if isinstance(value, Decimal) else value)
            )
        return out


def parse_rate(text: str) -> Decimal:
    """``18.00%`` or ``18%`` or ``0.18`` -> Decimal('0.18')."""
    cleaned = text.strip()
    if cleaned.endswith("%"):
        return parse_decimal(cleaned[:-1]) / 100
    value = parse_decimal(cleaned)
    if value > 1:
        raise ValueError(f"rate {cleaned!r} is above 1; write a percentage as {cleaned}%")
    return value


def _amount(text: str) -> Decimal | None:
    return None if not text.strip() else parse_decimal(text)


def _integer(text: str) -> int:
    value = parse_decimal(text)
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number")
    return int(value)


def _create_time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y%m%d %H:%M:%S")


def _business_date(text: str) -> date:
    return datetime.strptime(text.strip(), "%Y%m%d").date()


def _text(text: str) -> str:
    return text


# (field name in the header, R number, converter), in the layout's order.
LAYOUT: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("Batch", "R1", _integer),
    ("IDM", "R2", _integer),
    ("Create Time", "R3", _create_time),
    ("Business Date", "R4", _business_date),
    ("Country", "R5", _text),
    ("Product Area", "R6", _text),
    ("Market", "R7", _text),
    ("Market ID", "R8", _integer),
    ("Exchange", "R9", _text),
    ("Participant ID", "R10", _text),
    ("Account", "R11", _text),
    ("Participant Name", "R12", _text),
    ("CCY", "R13", _text),
    ("Position Indicator", "R14", _text),
    ("Buy Turnover", "R15", _amount),
    ("Overdue Short Position", "R16", _amount),
    ("SPSA Sell Turnover", "R17", _amount),
    ("Daily MSTD Requirement", "R18", _amount),
    ("Average Daily Buy Turnover", "R19", _amount),
    ("Average Overdue Short Position", "R20", _amount),
    ("Average Daily SPSA Sell Turnover", "R21", _amount),
    ("Monthly MSTD Requirement", "R22", _amount),
    ("Mainland Settlement Deposit Rate", "R23", parse_rate),
    ("MSTD Requirement", "R24", _amount),
)
FIELDS = tuple(name for name, _, _ in LAYOUT)


def parse_rmcnm01(data: DataFile, source: str) -> Parsed[tuple[Rmcnm01Row, ...]]:
    """Typed rows of an RMCNM01 data file; a bad value is reported with its record and field."""
    columns = {name: data.column(name) for name in FIELDS}
    missing = [name for name, column in columns.items() if column is None]
    if missing:
        return Parsed(
            (),
            tuple(
                Problem(
                    source, 1, name, f"header lacks field {name!r}", Severity.ERROR, ProblemCode.HEADER_FIELDS
                )
                for name in missing
            ),
        )
    rows: list[Rmcnm01Row] = []
    problems: list[Problem] = []
    for record in data.records:
        values: list[Any] = [record.number]
        for name, number, convert in LAYOUT:
            column = columns[name]
            assert column is not None
            text = record.values[column] if column < len(record.values) else ""
            try:
                values.append(convert(text))
            except ValueError as exc:
                problems.append(
                    Problem(
                        source,
                        record.number,
                        f"{number} {name}",
                        f"{name}: {exc}",
                        Severity.ERROR,
                        ProblemCode.BAD_VALUE,
                    )
                )
                break
        else:
            rows.append(Rmcnm01Row(*values))
    return Parsed(tuple(rows), tuple(problems))
