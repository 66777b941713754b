"""LOP validation benchmark: a 50,000-row report workbook validated from its bytes.

    python bench/lop_bench.py [--json] [--rows N]

The workbook is written once with openpyxl's streaming writer (many owners, HSI/HHI/MHI futures
and options, one row in ten below its reportable level). Prints one JSON object: ``validate_s``
(median of three validations, streaming reader plus every rule), ``rows_per_s``, the workbook's
size, the problem counts and, for scale, ``openpyxl_read_only_s`` (openpyxl merely reading every
cell value in read-only mode). Target: validate_s a few seconds for 50,000 rows.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from datetime import date

from openpyxl import Workbook, load_workbook

from cpdesk.engine.calendar import TradingDays
from cpdesk.engine.lop.schema import load_schema
from cpdesk.engine.lop.validate import summarise, validate_report

REPEATS = 3
NAME = "LOPBI_00CFB_20261120.xlsx"
MONTHS = ("DEC26", "JAN27", "FEB27", "MAR27", "JUN27")
PRODUCTS = ("HSI", "HHI", "MHI")


def build(rows: int) -> bytes:
    schema = load_schema()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(schema.kinds["LOPBI"].sheet)
    sheet.append(list(schema.kinds["LOPBI"].names))
    for n in range(rows):
        owner, series = divmod(n, 30)
        product, month = PRODUCTS[series % 3], MONTHS[(series // 3) % 5]
        option = series >= 15
        sheet.append(
            [
                "00CFB",
                "20261120",
                f"Owner {owner:06d} Limited",
                "Business Registration",
                f"BR{owner:08d}",
                "HK",
                product,
                "Option" if option else "Future",
                month,
                24_000 + 200 * (series % 5) if option else None,
                "C" if option and series % 2 else ("P" if option else None),
                40 if n % 10 == 0 else 600 + n % 400,
                n % 7,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--json", action="store_true", help="(the output is always JSON)")
    args = parser.parse_args()
    schema = load_schema()
    started = time.perf_counter()
    content = build(args.rows)
    build_s = time.perf_counter() - started

    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = validate_report(NAME, content, schema, date(2026, 11, 24), TradingDays())
        timings.append(time.perf_counter() - started)
    errors, warnings = summarise([result])

    started = time.perf_counter()
    sheet = load_workbook(io.BytesIO(content), read_only=True)["LOP"]
    cells = sum(1 for row in sheet.iter_rows(values_only=True) for _ in row)
    openpyxl_s = time.perf_counter() - started

    validate_s = statistics.median(timings)
    print(
        json.dumps(
            {
                "rows": result.rows,
                "workbook_bytes": len(content),
                "build_s": round(build_s, 3),
                "validate_s": round(validate_s, 3),
                "rows_per_s": round(result.rows / validate_s),
                "errors": errors,
                "warnings": warnings,
                "openpyxl_read_only_s": round(openpyxl_s, 3),
                "openpyxl_cells": cells,
            }
        )
    )


if __name__ == "__main__":
    main()
