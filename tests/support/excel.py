"""Excel's side of a worksheet function call, without Excel (which runs only on Windows).

xlwings' real UDF decorators (``xlwings.udfs``: the ones Windows Excel uses) need pywin32 only to
talk to Excel, not to record a function's metadata; with stand-ins for those three modules the
decorators run here, and :func:`call_like_excel` converts arguments and results with xlwings'
own conversion layer and the options each decorator declared, as ``xlwings.udfs.call_udf`` does.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import xlwings
from xlwings import conversion

MISSING = object()  # an argument left out of the formula

# What Excel hands over for an error in a cell, by COM (xlwings/_xlwindows.py's ``cell_errors``).
CELL_ERRORS = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
}


class _WindowsValues:
    """The value cleaning of xlwings' Windows engine (``_xlwindows.Engine``), which imports
    pywin32 and so cannot be imported here; the same rules, element by element."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(
        data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
    ) -> Any:
        def clean(value: Any) -> Any:
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.date | dt.datetime):
                return datetime_builder(year=value.year, month=value.month, day=value.day)
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and not isinstance(value, bool) and value in CELL_ERRORS:
                return CELL_ERRORS[value] if err_to_str else None
            return value

        return [[clean(cell) for cell in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        return "" if x is None else x


def _windows_engine() -> None:
    if "excel" not in xlwings.engines.engines_by_name:
        xlwings.engines.add(xlwings.main.Engine(impl=_WindowsValues()))


def xlwings_windows() -> types.ModuleType:
    """``xlwings.udfs``, the module Windows Excel's UDFs go through, importable here."""
    for name in ("pythoncom", "pywintypes"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    if "win32com.client" not in sys.modules:
        package, client = types.ModuleType("win32com"), types.ModuleType("win32com.client")
        client.Dispatch = object  # type: ignore[attr-defined]
        package.client = client  # type: ignore[attr-defined]
        sys.modules["win32com"], sys.modules["win32com.client"] = package, client
    from xlwings import udfs

    return udfs


def windows_udfs() -> types.ModuleType:
    """``cpdesk.excel_addin.udfs`` decorated by xlwings' Windows decorators."""
    windows = xlwings_windows()
    saved = xlwings.func, xlwings.arg, xlwings.ret, xlwings.sub
    xlwings.func, xlwings.arg, xlwings.ret = windows.xlfunc, windows.xlarg, windows.xlret
    xlwings.sub = windows.xlsub
    try:
        import cpdesk.excel_addin.udfs as module

        return importlib.reload(module)
    finally:
        xlwings.func, xlwings.arg, xlwings.ret, xlwings.sub = saved


def call_like_excel(func: Any, *values: Any) -> Any:
    """Call ``func`` as Excel does: each value (what a cell or range holds: tuples of tuples, floats,
    None for blanks, error codes) read with its argument's options, the result written back."""
    _windows_engine()
    info = func.__xlfunc__
    arguments = []
    for index, value in enumerate(values):
        arg_info = info["args"][min(index, len(info["args"]) - 1)]
        if value is MISSING:
            arguments.append(arg_info.get("optional"))
        else:
            arguments.append(conversion.read(None, value, arg_info["options"]))  # type: ignore[no-untyped-call]
    return conversion.write(func(*arguments), None, info["ret"]["options"])  # type: ignore[no-untyped-call]


def _as_excel_hands_it(argument: Any) -> Any:
    """A ``formulas`` argument as COM hands it to a UDF: a range as tuples of rows (one cell as
    its value), numbers as floats, blanks as None."""
    values = getattr(argument, "value", argument)
    if isinstance(values, np.ndarray):
        rows = tuple(tuple(_cell(v) for v in row) for row in values.tolist())
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return _cell(values)


def _cell(value: Any) -> Any:
    if (
        value is None
        or str(value) == "empty"
        or (type(value).__name__ == "XlError" and str(value) == "#EMPTY!")
    ):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return value


def evaluate_workbook(path: Path, udfs: types.ModuleType) -> dict[str, Any]:
    """Every cell of the workbook as the ``formulas`` engine computes it, with the add-in's
    functions registered under their names (called as Excel calls them). Keys: ``SHEET!A1``."""
    import formulas
    from formulas.functions import Array

    functions = formulas.get_functions()
    for name in udfs.__all__:
        function = getattr(udfs, name)
        if function.__xlfunc__["sub"]:
            continue  # macros, not worksheet functions

        def call(*arguments: Any, _function: Any = function) -> Any:
            result = call_like_excel(_function, *(_as_excel_hands_it(a) for a in arguments))
            if isinstance(result, list) and len(result) == 1 and len(result[0]) == 1:
                return result[0][0]
            return np.array(result, dtype=object).view(Array)  # a spill, as formulas holds one

        functions[name] = call
    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    cells = {}
    for key, ranges in solution.items():
        if not hasattr(ranges, "value"):
            continue  # the model's own nodes, not cells
        sheet_cell = str(key).split("]", 1)[-1].replace("'", "")
        cells[sheet_cell.upper()] = ranges.value
    return cells


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[str] = []

    def alert(self, prompt: str, title: str | None = None, **_: Any) -> None:
        self.alerts.append(prompt)


class FakeBook:
    """The part of ``xlwings.Book`` the macros use, over a real xlsx file (openpyxl): Excel
    cannot run here. ``save()`` writes what the macros did back to the file."""

    def __init__(self, path: Path, saved: bool = True) -> None:
        from openpyxl import load_workbook

        self.path = path
        self.book = load_workbook(path)
        self.name = path.name
        self.fullname = str(path)
        self.api = types.SimpleNamespace(Saved=saved)
        self.app = FakeApp()
        self.sheets = _FakeSheets(self)

    def save(self) -> None:
        self.book.save(self.path)


class _FakeSheets:
    def __init__(self, owner: FakeBook) -> None:
        self.owner = owner

    @property
    def active(self) -> _FakeSheet:
        return _FakeSheet(self.owner.book.worksheets[0])

    def __getitem__(self, name: str) -> _FakeSheet:
        return _FakeSheet(self.owner.book[name])

    def __iter__(self) -> Any:
        return iter([_FakeSheet(ws) for ws in self.owner.book.worksheets])

    def add(self, name: str, after: Any = None) -> _FakeSheet:
        return _FakeSheet(self.owner.book.create_sheet(name))


class _FakeSheet:
    def __init__(self, worksheet: Any) -> None:
        self.ws = worksheet
        self.name = worksheet.title

    @property
    def used_range(self) -> Any:
        last = types.SimpleNamespace(row=self.ws.max_row, column=self.ws.max_column)
        return types.SimpleNamespace(last_cell=last)

    def range(self, first: Any, last: Any = None) -> _FakeRange:
        from openpyxl.utils.cell import coordinate_to_tuple

        top = coordinate_to_tuple(first) if isinstance(first, str) else first
        bottom = last if last is not None else top
        return _FakeRange(self.ws, top, bottom)

    def clear(self) -> None:
        for row in self.ws.iter_rows():
            for cell in row:
                cell.value = None
                cell.hyperlink = None


class _FakeRange:
    def __init__(self, ws: Any, top: tuple[int, int], bottom: tuple[int, int]) -> None:
        self.ws, self.top, self.bottom = ws, top, bottom

    def options(self, **_: Any) -> _FakeRange:
        return self

    def expand(self, direction: str = "table") -> _FakeRange:
        row = self.top[0]
        while self.ws.cell(row + 1, self.top[1]).value not in (None, ""):
            row += 1
        return _FakeRange(self.ws, self.top, (row, self.top[1]))

    @property
    def value(self) -> Any:
        rows = []
        for r in range(self.top[0], self.bottom[0] + 1):
            rows.append([self.ws.cell(r, c).value for c in range(self.top[1], self.bottom[1] + 1)])
        if self.top == self.bottom and self.ws.cell(*self.top).value is None:
            return None
        return rows

    @value.setter
    def value(self, rows: Any) -> None:
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                self.ws.cell(self.top[0] + r, self.top[1] + c).value = item

    @property
    def color(self) -> Any:
        fill = self.ws.cell(*self.top).fill
        return None if fill is None or fill.fill_type is None else fill.fgColor.rgb

    @color.setter
    def color(self, rgb: Any) -> None:
        from openpyxl.styles import PatternFill

        cell = self.ws.cell(*self.top)
        if rgb is None:
            cell.fill = PatternFill(fill_type=None)
        else:
            cell.fill = PatternFill("solid", fgColor="{:02X}{:02X}{:02X}".format(*rgb))

    def add_hyperlink(self, address: str, text_to_display: str | None = None) -> None:
        cell = self.ws.cell(*self.top)
        cell.hyperlink = address
        cell.value = text_to_display or address
