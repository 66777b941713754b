"""LOP workbooks built in the tests with openpyxl (a real xlsx, as Excel or a CP's system writes it)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from cpdesk.engine.calendar import TradingDays
from cpdesk.engine.lop.schema import load_schema
from cpdesk.engine.lop.validate import LopValidation, validate_report
from cpdesk.engine.problems import Problem
from cpdesk.simulator.lop_books import future_position

SCHEMA = load_schema()
TODAY = date(2026, 11, 24)  # a Tuesday
TRADE_DATE = "20261120"  # the Friday before
NAME = f"LOPBI_00CFB_{TRADE_DATE}.xlsx"
SOL_NAME = f"SOLBI_SBCFB_{TRADE_DATE}.xlsx"


def future_row(**changes: object) -> dict[str, object]:
    return future_position(TRADE_DATE, **_named(changes))


def _named(changes: dict[str, object]) -> dict[str, object]:
    """Keyword spelling to column names: Long_Position -> "Long Position"."""
    return {key.replace("_", " "): value for key, value in changes.items()}


def option_row(**changes: object) -> dict[str, object]:
    return future_row(
        **{"HKATS Code": "HSI", "Instrument Type": "Option", "Strike Price": 26000, "Call/Put": "C"} | changes
    )


def stock_option_row(**changes: object) -> dict[str, object]:
    row = future_row()
    for dropped in ("HKATS Code", "Instrument Type"):
        row.pop(dropped)
    row.update({"Submitter Code": "SBCFB", "Stock Option Class": "TCH", "Underlying Stock Code": "700"})
    row.update({"Strike Price": 400, "Call/Put": "P", "Long Position": 1500})
    row.update(_named(changes))
    return row


def book(
    rows: Sequence[dict[str, object]],
    kind: str = "LOPBI",
    header: Sequence[str] | None = None,
    sheet: str | None = None,
) -> bytes:
    """A workbook with the schema's header (or ``header``) and one line per row, by column name."""
    columns = list(header if header is not None else SCHEMA.kinds[kind].names)
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet or SCHEMA.kinds[kind].sheet
    worksheet.append(columns)
    for row in rows:
        worksheet.append([row.get(name) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(content: bytes, name: str = NAME, holidays: Sequence[date] = ()) -> LopValidation:
    return validate_report(name, content, SCHEMA, TODAY, TradingDays(holidays))


def errors(result: LopValidation) -> list[Problem]:
    return [p for p in result.problems if p.severity.value == "error"]


def only_error(result: LopValidation) -> Problem:
    found = errors(result)
    assert len(found) == 1, [str(p) for p in result.problems]
    return found[0]
