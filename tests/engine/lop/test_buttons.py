"""The "Validate LOP" and "Upload LOP" buttons on the shipped LOP templates: legacy form buttons
whose macros are the add-in's Subs in the margin workbook (an .xlsx holds no VBA of its own).
Excel cannot run here, so the package is read part by part, and LibreOffice Calc (a second office
suite, headless) opens it and must find both buttons right of the report's columns."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from cpdesk.desk.lop_reports import LOP_BUTTONS, MACRO_WORKBOOK
from cpdesk.engine.lop.buttons import Button, ButtonRow, with_buttons
from cpdesk.engine.lop.template import template_workbook
from cpdesk.excel_addin import udfs
from tests.support.lop_books import SCHEMA, TRADE_DATE, check, future_row, stock_option_row
from tests.support.paths import REPO

KINDS = ("LOPBI", "LOPTO", "SOLBI", "SOLTO")
VML = {"v": "urn:schemas-microsoft-com:vml", "x": "urn:schemas-microsoft-com:office:excel"}
SYSTEM_PYTHON = Path("/usr/bin/python3")


def _parts(kind: str) -> dict[str, bytes]:
    package = zipfile.ZipFile(REPO / "workbooks" / f"{kind}_template.xlsx")
    return {name: package.read(name) for name in package.namelist()}


def _buttons(parts: dict[str, bytes]) -> list[tuple[str, str, list[int]]]:
    """(caption, macro, anchor) of each button in the sheet's VML drawing."""
    drawing = ElementTree.fromstring(parts["xl/drawings/vmlDrawing1.vml"])
    found = []
    for shape in drawing.iterfind("v:shape", VML):
        data = shape.find("x:ClientData", VML)
        assert data is not None
        assert data.get("ObjectType") == "Button"
        caption = "".join(shape.find("v:textbox", VML).itertext())  # type: ignore[union-attr]
        anchor = [int(n) for n in data.findtext("x:Anchor", "", VML).split(",")]
        found.append((caption, data.findtext("x:FmlaMacro", "", VML), anchor))
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_each_template_has_both_buttons_calling_the_add_in_macros(kind: str) -> None:
    parts = _parts(kind)
    for name, data in parts.items():
        if name.endswith((".xml", ".rels", ".vml")):
            ElementTree.fromstring(data)  # every part is well-formed, its prefixes declared
    assert [(caption, macro) for caption, macro, _ in _buttons(parts)] == [
        ("Validate LOP", "[1]!CPD_VALIDATE_LOP"),
        ("Upload LOP", "[1]!CPD_UPLOAD_LOP"),
    ]
    # [1] is the workbook's first external link: the margin workbook, by name, beside the report.
    link_rels = parts["xl/externalLinks/_rels/externalLink1.xml.rels"].decode()
    assert f'Target="{MACRO_WORKBOOK}" TargetMode="External"' in link_rels
    assert re.search(
        r"<externalReferences><externalReference r:id=\"rId\d+\"/>", parts["xl/workbook.xml"].decode()
    )
    assert "<legacyDrawing r:id=" in parts["xl/worksheets/sheet1.xml"].decode()
    # On the header row, right of the last column, one column left free.
    columns = len(SCHEMA.kinds[kind].columns)
    anchors = [anchor for _, _, anchor in _buttons(parts)]
    assert [(a[0], a[2], a[4], a[6]) for a in anchors] == [
        (columns + 1, 0, columns + 2, 0),
        (columns + 3, 0, columns + 4, 0),
    ]


def test_the_buttons_name_macros_the_add_in_declares() -> None:
    for button in LOP_BUTTONS:
        assert button.macro in udfs.__all__
        assert callable(getattr(udfs, button.macro))


@pytest.mark.parametrize("kind", KINDS)
def test_a_shipped_template_filled_in_still_validates_clean(kind: str) -> None:
    from openpyxl import load_workbook

    submitter = "SBCFB" if kind.startswith("SOL") else "00CFB"
    row = stock_option_row() if kind.startswith("SOL") else future_row()
    if kind.endswith("TO"):
        row["Transaction Originator Name"] = row.pop("Beneficial Owner Name")
    book = load_workbook(REPO / "workbooks" / f"{kind}_template.xlsx")
    sheet = book[SCHEMA.kinds[kind].sheet]
    for index, name in enumerate(SCHEMA.kinds[kind].names, start=1):
        sheet.cell(row=2, column=index, value=row.get(name))  # type: ignore[call-overload]
    buffer = io.BytesIO()
    book.save(buffer)
    result = check(buffer.getvalue(), name=f"{kind}_{submitter}_{TRADE_DATE}.xlsx")
    assert result.problems == []


@pytest.mark.parametrize(
    ("buttons", "book", "message"),
    [
        ((Button("Go", "CPD GO"),), MACRO_WORKBOOK, "'CPD GO' is not a macro name"),
        ((Button("Go", "=CALL()"),), MACRO_WORKBOOK, "is not a macro name"),
        ((Button("Go", "CPD_GO"),), "../macros.xlsm", "is not a macro workbook's file name"),
        ((Button("Go", "CPD_GO"),), "report.xlsx", "is not a macro workbook's file name"),
    ],
)
def test_a_bad_macro_or_workbook_name_is_refused(
    buttons: tuple[Button, ...], book: str, message: str
) -> None:
    blank = template_workbook(SCHEMA.kinds["LOPBI"])
    with pytest.raises(ValueError, match=re.escape(message)):
        with_buttons(blank, ButtonRow(buttons, book, row=1, column=15))


def test_captions_are_escaped_in_the_drawing() -> None:
    blank = template_workbook(SCHEMA.kinds["LOPBI"])
    package = with_buttons(blank, ButtonRow((Button("Check <all> & go", "CPD_GO"),), MACRO_WORKBOOK, 1, 15))
    drawing = zipfile.ZipFile(io.BytesIO(package)).read("xl/drawings/vmlDrawing1.vml")
    caption = "".join(ElementTree.fromstring(drawing).find("v:shape/v:textbox", VML).itertext())  # type: ignore[union-attr]
    assert caption == "Check <all> & go"


def _libreoffice() -> None:
    if shutil.which("soffice") and SYSTEM_PYTHON.exists():
        probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import uno"], capture_output=True, check=False)
        if probe.returncode == 0:
            return
    if os.environ.get("CPDESK_REQUIRE_LIBREOFFICE"):
        pytest.fail("LibreOffice Calc with python3-uno is required here (CPDESK_REQUIRE_LIBREOFFICE)")
    pytest.skip("LibreOffice Calc and python3-uno are not installed (CI installs them)")


@pytest.mark.parametrize("kind", ["LOPBI", "SOLTO"])
def test_libreoffice_opens_the_template_with_both_buttons_right_of_the_data(
    kind: str, tmp_path: Path
) -> None:
    _libreoffice()
    script = REPO / "tests" / "support" / "libreoffice_shapes.py"
    done = subprocess.run(
        [str(SYSTEM_PYTHON), str(script), str(REPO / "workbooks" / f"{kind}_template.xlsx"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert [c["label"] for c in seen["controls"]] == ["Validate LOP", "Upload LOP"]
    last_column_end = seen["columns"][len(SCHEMA.kinds[kind].columns)]
    assert all(c["x"] > last_column_end for c in seen["controls"])
    assert seen["controls"][0]["x"] < seen["controls"][1]["x"]
