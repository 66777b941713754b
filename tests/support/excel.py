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


def windows_udfs() -> types.ModuleType:
    """``cpdesk.excel_addin.udfs`` decorated by xlwings' Windows decorators."""
    for name in ("pythoncom", "pywintypes"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    if "win32com.client" not in sys.modules:
        package, client = types.ModuleType("win32com"), types.ModuleType("win32com.client")
        client.Dispatch = object  # type: ignore[attr-defined]
        package.client = client  # type: ignore[attr-defined]
        sys.modules["win32com"], sys.modules["win32com.client"] = package, client
    from xlwings import udfs as windows

    saved = xlwings.func, xlwings.arg, xlwings.ret
    xlwings.func, xlwings.arg, xlwings.ret = windows.xlfunc, windows.xlarg, windows.xlret  # type: ignore[assignment]
    try:
        import cpdesk.excel_addin.udfs as module

        return importlib.reload(module)
    finally:
        xlwings.func, xlwings.arg, xlwings.ret = saved


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
