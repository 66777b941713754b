"""What xlwings writes into Excel for the add-in on Windows: the VBA wrapper of each function
(``xlwings.udfs.generate_vba_wrapper``, run here) and the Function Wizard's texts that
``xlwings.udfs.import_udfs`` hands to ``Application.MacroOptions`` (read from the same records)."""

from __future__ import annotations

import io
import re
import types

from tests.support.excel import windows_udfs, xlwings_windows

UDFS = windows_udfs()
WINDOWS = xlwings_windows()
EXPECTED = {
    "CPD_RPF": "Function CPD_RPF(path, Optional lenient)",
    "CPD_MARGIN": "Function CPD_MARGIN(positions, rpf, Optional field, Optional parameters)",
    "CPD_PORTFOLIO_MARGIN": "Function CPD_PORTFOLIO_MARGIN(positions, rpf, Optional parameters)",
    "CPD_LRA": "Function CPD_LRA(positions, rpf, Optional hedge_instrument)",
    "CPD_MSTD": (
        "Function CPD_MSTD(buy_turnover, overdue_short, spsa_sell, avg_buy, avg_overdue, avg_spsa, rate)"
    ),
    "CPD_MSTD_REPORT": "Function CPD_MSTD_REPORT(path)",
    "CPD_LOP_CHECK": "Function CPD_LOP_CHECK(cells, kind, submitter, trade_date)",
    "CPD_WHATIF": "Function CPD_WHATIF(positions, rpf, trades, Optional parameters)",
    "CPD_EXPLAIN": "Function CPD_EXPLAIN(positions, rpf, Optional parameters)",
}


def _vba() -> str:
    out = io.StringIO()
    workbook = types.SimpleNamespace(Name="cpdesk-margin.xlsm")
    WINDOWS.generate_vba_wrapper("cpdesk.excel_addin.udfs", UDFS, out, workbook)
    return out.getvalue()


def test_every_function_gets_its_vba_wrapper_with_its_arguments() -> None:
    declared = re.findall(r"^Function [^\n]*\)", _vba(), flags=re.MULTILINE)
    assert sorted(declared) == sorted(EXPECTED.values())
    assert 'XLPy.CallUDF("cpdesk.excel_addin.udfs", "CPD_MARGIN"' in _vba()


def test_the_two_buttons_are_macros_excel_can_assign() -> None:
    declared = re.findall(r"^Sub [^\n]*\)", _vba(), flags=re.MULTILINE)
    assert sorted(declared) == ["Sub CPD_UPLOAD_LOP()", "Sub CPD_VALIDATE_LOP()"]


def test_the_function_wizard_texts() -> None:
    for name in EXPECTED:
        info = getattr(UDFS, name).__xlfunc__
        assert info["category"] == "cpdesk", name
        assert not info["volatile"], name  # recalculated only when an argument changes
        description = info["ret"]["doc"][:255]  # what import_udfs hands to MacroOptions
        assert description, name
        assert "Python function" not in description, name
        for argument in info["args"]:
            assert not argument["doc"].startswith("Positional argument"), (name, argument["name"])
            assert len(argument["doc"]) <= 255, (name, argument["name"])


def test_spilling_functions_declare_expand() -> None:
    for name in (
        "CPD_MARGIN",
        "CPD_PORTFOLIO_MARGIN",
        "CPD_LRA",
        "CPD_MSTD_REPORT",
        "CPD_LOP_CHECK",
        "CPD_WHATIF",
        "CPD_EXPLAIN",
    ):
        assert getattr(UDFS, name).__xlfunc__["ret"]["options"].get("expand") == "table", name
