"""Small LOP report workbooks for the demo: one valid future position, the schema's columns."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook

from cpdesk.engine.lop.schema import load_schema

SUBMITTER = "00CFB"


def lop_workbook(trade_date: date, kind: str = "LOPBI") -> tuple[str, bytes]:
    """``(file name, xlsx bytes)`` of a report with one HSI future position of ``trade_date``."""
    schema = load_schema().kinds[kind]
    row = {
        "Submitter Code": SUBMITTER,
        "Trade Date": f"{trade_date:%Y%m%d}",
        "Beneficial Owner Name": "Chan Tai Man",
        "Identity Document Type": "HKID",
        "Identity Document Number": "A123456(7)",
        "Country": "HK",
        "HKATS Code": "HSI",
        "Instrument Type": "Future",
        "Contract Month": f"{trade_date:%b%y}".upper(),
        "Long Position": 620,
        "Short Position": 0,
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = schema.sheet
    sheet.append(list(schema.names))
    sheet.append([row.get(name) for name in schema.names])
    buffer = io.BytesIO()
    book.save(buffer)
    return f"{kind}_{SUBMITTER}_{trade_date:%Y%m%d}.xlsx", buffer.getvalue()
