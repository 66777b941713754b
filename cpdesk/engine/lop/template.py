"""Blank LOP report workbooks built from the schema: header, widths, drop-downs and input help."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cpdesk.engine.lop.buttons import Button, ButtonRow, with_buttons
from cpdesk.engine.lop.schema import Column, ReportKind

DATA_ROWS = 5000  # rows the drop-downs and checks cover; more can be added by copying down
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _validation(column: Column, letter: str, first: int, last: int) -> DataValidation:
    area = f"{letter}{first}:{letter}{last}"
    if column.allowed:
        rule = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True)
    elif column.type == "integer":
        rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    elif column.type == "decimal":
        rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    elif column.max_length is not None:
        rule = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(column.max_length), allow_blank=True
        )
    else:
        rule = DataValidation(allow_blank=True)  # input help only
    rule.promptTitle = column.name[:32]
    rule.prompt = column.help[:255]
    rule.showInputMessage = True
    if rule.type is not None:
        rule.errorTitle = column.name[:32]
        rule.error = (column.help or f"not a valid {column.name}")[:255]
        rule.showErrorMessage = True
    rule.add(area)
    return rule


def template_workbook(
    kind: ReportKind,
    submitter: str | None = None,
    trade_date: str | None = None,
    buttons: Sequence[Button] = (),
    macro_book: str = "",
) -> bytes:
    """The blank report as xlsx bytes (a trade date and submitter, when given, are noted as help),
    with ``buttons`` on the header row right of the last column, calling ``macro_book``'s macros."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind.sheet
    for _ in range(kind.header_row - 1):
        sheet.append([])
    sheet.append(list(kind.names))
    first, last = kind.header_row + 1, kind.header_row + DATA_ROWS
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet[f"{letter}{kind.header_row}"]
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = column.width
        if column.type == "date" or column.name in (
            "Submitter Code",
            "Contract Month",
            "Underlying Stock Code",
        ):
            for row in range(first, min(first + 500, last + 1)):
                sheet[f"{letter}{row}"].number_format = "@"  # keep 20200511 and 00CFB as text
        sheet.add_data_validation(_validation(column, letter, first, last))
    sheet.freeze_panes = f"A{kind.header_row + 1}"
    book.properties.title = kind.title
    if submitter and trade_date:
        book.properties.subject = f"{kind.kind} report of {submitter} for {trade_date}"
    buffer = io.BytesIO()
    book.save(buffer)
    if not buttons:
        return buffer.getvalue()
    layout = ButtonRow(buttons, macro_book, row=kind.header_row, column=len(kind.columns) + 1)
    return with_buttons(buffer.getvalue(), layout)
