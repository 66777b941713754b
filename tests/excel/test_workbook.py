"""The traders' workbook, evaluated by a formula engine that runs here (the ``formulas`` package)
with the add-in's functions registered under their names and called as Excel calls them: the
shipped ``workbooks/cpdesk-margin.xlsm`` shows the guide's figures."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cpdesk.excel_addin.workbook import UDF_MODULE, write_margin_workbook
from tests.support.excel import evaluate_workbook, windows_udfs
from tests.support.paths import REPO

SHIPPED = REPO / "workbooks" / "cpdesk-margin.xlsm"


@pytest.fixture(scope="module")
def cells() -> dict[str, Any]:
    return evaluate_workbook(SHIPPED, windows_udfs())


def _value(cells: dict[str, Any], cell: str) -> Any:
    return cells[cell].tolist()[0][0]


def test_the_margin_sheet_shows_the_guides_figures(cells: dict[str, Any]) -> None:
    assert _value(cells, "MARGIN!B4") == "RPF01 2019-04-01 · 7 instr. · 10/10"
    assert _value(cells, "MARGIN!B6") == 67_717_169  # total MTM and margin requirement
    assert _value(cells, "MARGIN!B7") == 10_000_000  # portfolio margin
    assert _value(cells, "MARGIN!B9") == 176_827  # LRA, instrument level
    assert _value(cells, "MARGIN!B10") == 90_038  # LRA, portfolio level


def test_the_mstd_sheet_agrees_with_hkex(cells: dict[str, Any]) -> None:
    for row in (2, 3):
        assert _value(cells, f"MSTD!J{row}") == _value(cells, f"MSTD!I{row}")


def test_the_spilling_functions_answer(cells: dict[str, Any]) -> None:
    # The formula engine keeps a spill's first cell: each table's header shows it answered.
    assert _value(cells, "DETAILS!A2") == "Component"
    assert _value(cells, "DETAILS!D2") == "Sub-portfolio"
    assert _value(cells, "DETAILS!D11") == "Group"


def test_the_workbook_carries_xlwings_settings_and_its_vba(tmp_path: Path) -> None:
    made = write_margin_workbook(tmp_path / "cpdesk-margin.xlsm")
    with zipfile.ZipFile(made) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    book = load_workbook(made, keep_vba=True)
    settings = {row[0]: row[1] for row in book["xlwings.conf"].iter_rows(values_only=True) if row[0]}
    assert settings["UDF Modules"] == UDF_MODULE
    assert book.sheetnames == ["Margin", "Details", "Positions", "Parameters", "MSTD", "xlwings.conf"]


def test_the_shipped_workbook_is_what_make_workbooks_writes(tmp_path: Path) -> None:
    made = load_workbook(write_margin_workbook(tmp_path / "fresh.xlsm"))
    shipped = load_workbook(SHIPPED)
    for sheet in made.sheetnames:
        fresh = [tuple(r) for r in made[sheet].iter_rows(values_only=True)]
        assert fresh == [tuple(r) for r in shipped[sheet].iter_rows(values_only=True)], sheet
