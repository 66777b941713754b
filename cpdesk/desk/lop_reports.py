"""LOP reports before and after the upload: blank templates, validation, the record of uploads."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.store.ledger import UploadRow
from cpdesk.connectors.store.localfiles import write_new_file
from cpdesk.engine.calendar import HKT, TradingDays
from cpdesk.engine.lop.buttons import Button
from cpdesk.engine.lop.schema import LopSchema, SchemaError, load_schema
from cpdesk.engine.lop.template import template_workbook
from cpdesk.engine.lop.validate import LopValidation, validate_report, validate_rows
from cpdesk.engine.lop.xlsx import MAX_WORKBOOK_BYTES
from cpdesk.engine.problems import ProblemCode
from cpdesk.engine.sources import Source, read_source, source_name
from cpdesk.engine.status import UploadResult

SUBMITTER_CODE = re.compile(r"[A-Z0-9]{5}")
# The templates' buttons run the add-in's macros (cpdesk.excel_addin.udfs, imported by xlwings
# into the margin workbook): an .xlsx report cannot hold VBA of its own.
MACRO_WORKBOOK = "cpdesk-margin.xlsm"
LOP_BUTTONS = (Button("Validate LOP", "CPD_VALIDATE_LOP"), Button("Upload LOP", "CPD_UPLOAD_LOP"))


@dataclass(frozen=True, slots=True)
class WrittenTemplate:
    path: Path
    title: str
    sheet: str
    columns: int


@dataclass(frozen=True, slots=True)
class LopRecord:
    """One upload of a LOP report, as the ledger keeps it."""

    file: str
    facility: str
    account: str
    uploaded_at: datetime
    size: int
    sha256: str
    result: UploadResult
    result_file: str | None
    result_at: datetime | None
    detail: str | None

    @classmethod
    def of(cls, row: UploadRow) -> LopRecord:
        def when(epoch: float | None) -> datetime | None:
            return datetime.fromtimestamp(epoch, HKT) if epoch else None

        uploaded = when(row.at)
        assert uploaded is not None
        return cls(
            row.name,
            row.facility,
            row.account,
            uploaded,
            row.size,
            row.sha256,
            row.result,
            row.result_file or None,
            when(row.result_at),
            row.detail or None,
        )

    def as_dict(self) -> dict[str, object]:
        def text(moment: datetime | None) -> str | None:
            return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None

        return {
            "file": self.file,
            "facility": self.facility,
            "account": self.account,
            "uploaded_at": text(self.uploaded_at),
            "size": self.size,
            "sha256": self.sha256,
            "result": self.result.value,
            "result_file": self.result_file,
            "result_at": text(self.result_at),
            "detail": self.detail,
        }


def schema_from(path: Path | None) -> LopSchema:
    """The built-in schema, or a CP's own; an unreadable file is a configuration error."""
    try:
        return load_schema(path)
    except OSError as exc:
        raise ConfigurationError(f"{path}: {exc.strerror or exc}") from None
    except SchemaError as exc:
        raise ConfigurationError(str(exc)) from None


def write_templates(
    schema: LopSchema, kind: str, out: Path, submitter: str | None = None, trade_date: str | None = None
) -> list[WrittenTemplate]:
    """``kind`` (or ``all``) as blank workbooks in ``out``: named ``<KIND>_<SUBMITTER>_<yyyymmdd>.xlsx``
    with a submitter and date, else ``<KIND>_template.xlsx``. Never overwrites (FileExistsError)."""
    wanted = list(schema.kinds) if kind.lower() == "all" else [kind.upper()]
    if any(k not in schema.kinds for k in wanted):
        raise ConfigurationError(f"kind {kind!r} is not one of {', '.join(schema.kinds)} or all")
    if (submitter is None) != (trade_date is None):
        raise ConfigurationError("give --submitter and --date together (or neither, for blank templates)")
    suffix = "template"
    if submitter is not None and trade_date is not None:
        if not SUBMITTER_CODE.fullmatch(submitter):
            raise ConfigurationError(f"submitter code {submitter!r} must be 5 capital letters or digits")
        try:
            day = datetime.strptime(trade_date, "%Y%m%d").date() if len(trade_date) == 8 else None
        except ValueError:
            day = None
        if day is None:
            raise ConfigurationError(f"--date {trade_date!r} is not a real yyyymmdd date")
        suffix = f"{submitter}_{day:%Y%m%d}"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in wanted:
        report = schema.kinds[name]
        target = out / f"{report.kind}_{suffix}.xlsx"
        write_new_file(target, template_workbook(report, submitter, trade_date, LOP_BUTTONS, MACRO_WORKBOOK))
        written.append(WrittenTemplate(target, report.title, report.sheet, len(report.columns)))
    return written


def validate_source(
    source: Source, schema: LopSchema, trading_days: TradingDays, today: date, name: str | None = None
) -> LopValidation:
    """Validate a saved workbook (a path or an open stream; ``name`` is the file name it is judged
    by, default the path's)."""
    shown = os.path.basename(source_name(source, name))
    try:
        content = read_source(source, MAX_WORKBOOK_BYTES)
    except OSError as exc:
        failed = LopValidation(shown)
        failed.add(f"cannot read {source_name(source)}: {exc.strerror or exc}", ProblemCode.UNREADABLE)
        return failed
    return validate_report(shown, content, schema, today, trading_days)


def validate_sheet(
    file_name: str,
    rows: Sequence[Sequence[object]],
    schema: LopSchema,
    trading_days: TradingDays,
    today: date,
    *,
    date1904: bool = False,
) -> LopValidation:
    """Validate a live sheet's values before it is saved as ``file_name``."""
    return validate_rows(file_name, rows, schema, today, trading_days, date1904=date1904)
