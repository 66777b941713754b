"""The "Validate LOP" and "Upload LOP" buttons on a workbook (a real xlsx behind xlwings' Book API:
Excel cannot run here), against `cpdesk lop validate` and the simulated facility."""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest
import xlwings as xw

from cpdesk.desk import Desk
from cpdesk.excel_addin.macros import MARK, PROBLEMS_SHEET, upload_lop, validate_lop
from tests.support.excel import FakeBook
from tests.support.lop_books import book, future_row
from tests.support.sites import SiteFactory

RED = "00{:02X}{:02X}{:02X}".format(*MARK)  # as openpyxl keeps a colour: alpha first


def test_validate_lop_lists_what_lop_validate_lists_and_marks_the_cells(tmp_path: Path) -> None:
    path = tmp_path / "LOPBI_00CFB_20261120.xlsx"
    path.write_bytes(book([future_row(Long_Position=-5), future_row(Contract_Month="DEC99")]))
    saved_copy = tmp_path / "copy" / path.name
    saved_copy.parent.mkdir()
    shutil.copy(path, saved_copy)
    expected = Desk.standalone().validate_lop(saved_copy)
    assert expected.problems

    workbook = FakeBook(path)
    result = validate_lop(workbook)
    assert [p.message for p in result.problems] == [p.message for p in expected.problems]
    listed = workbook.sheets[PROBLEMS_SHEET].range("A1").expand().value
    rows = workbook.sheets[PROBLEMS_SHEET].range((1, 1), (len(listed), 3)).value
    assert rows[0] == ["Cell", "Field", "Problem"]
    assert [row[2] for row in rows[1:]] == [p.message for p in expected.problems]
    report = workbook.sheets.active
    linked = [
        c.hyperlink.location or c.hyperlink.target for c in workbook.book[PROBLEMS_SHEET]["A"] if c.hyperlink
    ]
    for problem in expected.problems:
        if problem.cell:
            assert report.range(problem.cell).color == RED, problem.cell
            assert f"#'{report.name}'!{problem.cell}" in linked
    assert workbook.app.alerts == [
        f"{path.name}: {len(expected.problems)} problem(s); see the '{PROBLEMS_SHEET}' sheet"
    ]

    # Fixed and validated again: the marks and the list go.
    report.range("L2").value = [[620]]
    report.range("I3").value = [["MAR27"]]
    again = validate_lop(workbook)
    assert not again.problems
    for problem in expected.problems:
        if problem.cell:
            assert report.range(problem.cell).color is None, problem.cell
    assert workbook.app.alerts[-1] == f"{path.name}: valid (2 rows)"


def test_upload_refuses_an_unsaved_or_invalid_workbook_and_sends_a_valid_one(
    tmp_path: Path, make_site: SiteFactory
) -> None:
    site = make_site(publish=False)
    config = site.config(check_hours="false")

    def sleep(seconds: float) -> None:
        site.clock.advance(seconds=seconds)

    desk = Desk(config, clock=site.now, sleep=sleep)
    reports = tmp_path / "reports"
    reports.mkdir()
    good = reports / "LOPBI_00CFB_20210507.xlsx"
    good.write_bytes(book([future_row(Trade_Date="20210507")]))
    bad = reports / "LOPBI_00CFB_20210506.xlsx"
    bad.write_bytes(book([future_row(Trade_Date="20210506", Long_Position=-5)]))

    unsaved = upload_lop(FakeBook(good, saved=False), desk)
    assert unsaved.endswith("save the workbook first: cpdesk uploads the saved file")
    refused = upload_lop(FakeBook(bad), desk)
    assert refused == "LOPBI_00CFB_20210506.xlsx: not uploaded: 1 problem(s)"
    assert site.facility.uploads == []

    sent = upload_lop(FakeBook(good), desk)
    assert sent.startswith("LOPBI_00CFB_20210507.xlsx: accepted by HKEX (Result.")
    assert [u.name for u in site.facility.uploads] == [good.name]
    desk.close()


def test_a_button_on_the_report_acts_on_the_report_not_on_the_margin_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template's button runs the margin workbook's macro, so xlwings' caller is that workbook;
    the macro must validate the active workbook, the report whose button was pressed."""
    path = tmp_path / "LOPBI_00CFB_20261120.xlsx"
    path.write_bytes(book([future_row(Long_Position=-5)]))
    report = FakeBook(path)
    margin_book = types.SimpleNamespace(
        name="cpdesk-margin.xlsm", app=types.SimpleNamespace(books=types.SimpleNamespace(active=report))
    )
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: margin_book))
    result = validate_lop()
    assert [p.cell for p in result.problems] == ["L2"]
    assert PROBLEMS_SHEET in [sheet.name for sheet in report.sheets]
