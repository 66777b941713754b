"""A batch's results as a file for Excel or a data pipeline: CSV, xlsx or Parquet, by suffix.

One row per account: ``account``, the sixteen figures of ``cpdesk margin --json`` (whole HKD,
blank for an account that could not be margined) and ``problems``. Rows are written as they come
(a million accounts never sit in memory) into a temporary file that takes the target's name only
when the last row is in: a failed run leaves no half-written file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cpdesk.connectors.errors import ConfigurationError, InputRejected
from cpdesk.desk.batch import AccountMargin
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.fileio import write_atomically

FIGURES = MarginBreakdown._fields[:16]  # the JSON contract's sixteen
COLUMNS = ("account", *FIGURES, "problems")
SUFFIXES = (".csv", ".xlsx", ".parquet")
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included
PARQUET_BATCH_ROWS = 50_000


def result_row(item: AccountMargin) -> list[Any]:
    figures = item.breakdown.as_dict() if item.breakdown is not None else {}
    return [item.account, *(figures.get(name) for name in FIGURES), "; ".join(map(str, item.problems))]


def check_target(target: Path) -> None:
    """Raises ConfigurationError for a suffix cpdesk cannot write (before any account is margined)."""
    if target.suffix.lower() not in SUFFIXES:
        raise ConfigurationError(
            f"{target}: write .csv, .xlsx or .parquet, not {target.suffix or 'no suffix'}"
        )
    if target.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401, PLC0415
        except ImportError:  # pragma: no cover - a dependency of cpdesk
            raise ConfigurationError("writing Parquet needs pyarrow (pip install pyarrow)") from None


def write_results(items: Iterable[AccountMargin], target: Path) -> None:
    """Every item into ``target`` (replaced only when complete)."""
    check_target(target)
    suffix = target.suffix.lower()
    writer = {".csv": _csv, ".xlsx": _xlsx, ".parquet": _parquet}[suffix]
    write_atomically(target, lambda handle: writer(iter(items), handle))


def _csv(items: Iterator[AccountMargin], handle: BinaryIO) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
    out = csv.writer(text)
    out.writerow(COLUMNS)
    for item in items:
        out.writerow(result_row(item))
    text.flush()
    text.detach()  # the handle stays open for write_atomically's fsync


def _xlsx(items: Iterator[AccountMargin], handle: BinaryIO) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - imported when used

    book = Workbook(write_only=True)
    sheet = book.create_sheet("margin")
    sheet.append(list(COLUMNS))
    for count, item in enumerate(items, start=2):
        if count > XLSX_MAX_ROWS:
            raise InputRejected(
                f"more than {XLSX_MAX_ROWS - 1:,} accounts do not fit an Excel sheet: write .csv or .parquet"
            )
        sheet.append(result_row(item))
    book.save(handle)


def _parquet(items: Iterator[AccountMargin], handle: BinaryIO) -> None:
    import pyarrow as pa  # noqa: PLC0415 - imported when used: 0.2 s off every other command
    import pyarrow.parquet as pq  # noqa: PLC0415

    schema = pa.schema(
        [("account", pa.string()), *((name, pa.int64()) for name in FIGURES), ("problems", pa.string())]
    )
    with pq.ParquetWriter(handle, schema) as writer:
        batch: list[list[Any]] = []
        for item in items:
            batch.append(result_row(item))
            if len(batch) == PARQUET_BATCH_ROWS:
                writer.write_batch(_record_batch(batch, schema))
                batch = []
        if batch:
            writer.write_batch(_record_batch(batch, schema))


def _record_batch(rows: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa  # noqa: PLC0415

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.record_batch(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
    )
