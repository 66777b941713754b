"""Small LOP report workbooks for the demo: one valid future position, the schema's columns."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook

from cpdesk.engine.lop.schema import load_schema

SUBMITTER = "00CFB"


def future_position(trade_date: str, **changes: object) -> dict[str, object]:
    """One HSI future position of a LOPBI report, by column name (``changes`` by column name)."""
    row: dict[str, object] = {
        "Submitter Code": SUBMITTER,
        "Trade Date": trade_date,
        "Beneficial Owner Name": "Chan Tai Man",
        "Identity Document Type": "HKID",
        "Identity Document Number": "A123456(7)",
        "Country": "HK",
        "HKATS Code": "HSI",
        "Instrument Type": "Future",
        "Contract Month": "DEC26",
        "Strike Price": None,
        "Call/Put": None,
        "Long Position": 620,
        "Short Position": 0,
    }
    row.update(changes)
    return row


def lop_workbook(trade_date: date, kind: str = "LOPBI") -> tuple[str, bytes]:
    """``(file name, xlsx bytes)`` of a report with one HSI future position of ``trade_date``."""
    schema = load_schema().kinds[kind]
    # The trade date's own month: a contract that has not expired, whenever the demo runs.
    row = future_position(f"{trade_date:%Y%m%d}", **{"Contract Month": f"{trade_date:%b%y}".upper()})
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = schema.sheet
    sheet.append(list(schema.names))
    sheet.append([row.get(name) for name in schema.names])
    buffer = io.BytesIO()
    book.save(buffer)
    return f"{kind}_{SUBMITTER}_{trade_date:%Y%m%d}.xlsx", buffer.getvalue()
