"""The workbook's buttons (xlwings ``RunPython``): "Validate LOP" and "Upload LOP".

    RunPython "import cpdesk.excel_addin.macros as m; m.validate_lop()"
    RunPython "import cpdesk.excel_addin.macros as m; m.upload_lop()"

The buttons sit on the report (an .xlsx, which holds no VBA) and run the macros of the margin
workbook, so xlwings' caller is that workbook: both act on the active workbook, the report whose
button was pressed. Validation reads the active sheet's cells (from A1) and applies the rules of ``cpdesk lop
validate``; the problems go to a ``cpdesk problems`` sheet, each with a link to its cell, and the
cells are marked (the marks of the previous run are taken off first). Upload refuses a workbook
that is not saved, misnamed or invalid; otherwise it goes through the desk (configuration:
``CPDESK_CONFIG``, else ``~/cpdesk.toml``) and says HKEX's result when it arrives.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xlwings as xw

from cpdesk.connectors.errors import FacilityError
from cpdesk.desk import Desk
from cpdesk.engine.lop.validate import LopValidation
from cpdesk.engine.problems import errors_in

PROBLEMS_SHEET = "cpdesk problems"
MARK = (255, 199, 206)  # a light red fill on each cell with a problem
RESULT_WAIT_SECONDS = 60.0


def validate_lop(book: Any = None) -> LopValidation:
    """Validate the active sheet of ``book`` (default: the active workbook) and show the problems."""
    book = book or _report_book()
    sheet = book.sheets.active
    result = Desk.standalone().validate_lop_sheet(book.name, _cells(sheet))
    _show(book, sheet, result)
    errors = errors_in(result.problems)
    book.app.alert(
        f"{book.name}: {len(errors)} problem(s); see the '{PROBLEMS_SHEET}' sheet"
        if errors
        else f"{book.name}: valid ({result.rows:,} rows)",
        title="cpdesk: Validate LOP",
    )
    return result


def upload_lop(book: Any = None, desk: Desk | None = None) -> str:
    """Upload the saved workbook when it is valid; returns (and shows) what became of it.
    ``desk``: the configured desk (default: ``CPDESK_CONFIG``, else ``~/cpdesk.toml``)."""
    book = book or _report_book()
    path = Path(book.fullname) if book.fullname else None
    if path is None or not path.is_file() or not getattr(book.api, "Saved", True):
        return _say(book, f"{book.name}: save the workbook first: cpdesk uploads the saved file")
    desk = desk or _desk()
    saved = desk.validate_lop(path)
    if not saved.ok:
        _show(book, book.sheets.active, saved)
        return _say(book, f"{book.name}: not uploaded: {len(errors_in(saved.problems))} problem(s)")
    try:
        (outcome,) = desk.upload_lop([path], wait_seconds=RESULT_WAIT_SECONDS)
    except FacilityError as exc:
        return _say(book, f"{book.name}: not uploaded: {exc}")
    return _say(book, outcome.message)


def _report_book() -> Any:
    """The workbook whose button was pressed: the active one of the caller's Excel."""
    return xw.Book.caller().app.books.active


def _desk() -> Desk:
    config = Path(os.environ.get("CPDESK_CONFIG", Path.home() / "cpdesk.toml"))
    return Desk.open(config)


def _say(book: Any, text: str) -> str:
    book.app.alert(text, title="cpdesk: Upload LOP")
    return text


def _cells(sheet: Any) -> list[list[Any]]:
    """The sheet's values from A1 to the last used cell (rows and columns as Excel counts them)."""
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return [list(row) for row in values]


def _show(book: Any, sheet: Any, result: LopValidation) -> None:
    names = [s.name for s in book.sheets]
    if PROBLEMS_SHEET in names:
        problems = book.sheets[PROBLEMS_SHEET]
        for (marked,) in problems.range("A2").expand("down").options(ndim=2).value or []:
            if marked and "!" in str(marked):
                sheet.range(str(marked).split("!", 1)[1]).color = None
        problems.clear()
    else:
        problems = book.sheets.add(PROBLEMS_SHEET, after=sheet)
    rows = [["Cell", "Field", "Problem"]]
    for problem in result.problems:
        where = f"{sheet.name}!{problem.cell}" if problem.cell else ""
        rows.append([where, problem.field or "", problem.message])
    problems.range("A1").value = rows
    for number, problem in enumerate(result.problems, start=2):
        if problem.cell:
            problems.range(f"A{number}").add_hyperlink(
                f"#'{sheet.name}'!{problem.cell}", text_to_display=f"{sheet.name}!{problem.cell}"
            )
            sheet.range(problem.cell).color = MARK
