"""Blank templates from the schema: filled with one valid row they validate clean; workbooks/
holds the same four; the schema file itself is checked."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from cpdesk.desk.lop_reports import LOP_BUTTONS, MACRO_WORKBOOK
from cpdesk.engine.lop.schema import SchemaError, parse_schema
from cpdesk.engine.lop.template import template_workbook
from tests.support.lop_books import NAME, SCHEMA, TRADE_DATE, check, future_row, stock_option_row
from tests.support.paths import REPO

WORKBOOKS = REPO / "workbooks"
KINDS = ("LOPBI", "LOPTO", "SOLBI", "SOLTO")


def _sheet(content: bytes, kind: str) -> Worksheet:
    sheet = load_workbook(io.BytesIO(content))[SCHEMA.kinds[kind].sheet]
    assert isinstance(sheet, Worksheet)
    return sheet


def _fill(content: bytes, kind: str, row: dict[str, object]) -> bytes:
    """Type one row into the template (row 2), as a preparer would, and save it."""
    book = load_workbook(io.BytesIO(content))
    sheet = book[SCHEMA.kinds[kind].sheet]
    for index, name in enumerate(SCHEMA.kinds[kind].names, start=1):
        sheet.cell(row=2, column=index, value=row.get(name))  # type: ignore[call-overload]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _valid_row(kind: str) -> dict[str, object]:
    row = stock_option_row() if kind.startswith("SOL") else future_row()
    if kind.endswith("TO"):
        row["Transaction Originator Name"] = row.pop("Beneficial Owner Name")
    return row


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_with_one_valid_row_validates_clean(kind: str) -> None:
    submitter = "SBCFB" if kind.startswith("SOL") else "00CFB"
    filled = _fill(template_workbook(SCHEMA.kinds[kind], submitter, TRADE_DATE), kind, _valid_row(kind))
    result = check(filled, name=f"{kind}_{submitter}_{TRADE_DATE}.xlsx")
    assert result.problems == []
    assert result.rows == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_blank_template_itself_is_not_a_report(kind: str) -> None:
    submitter = "SBCFB" if kind.startswith("SOL") else "00CFB"
    result = check(template_workbook(SCHEMA.kinds[kind]), name=f"{kind}_{submitter}_{TRADE_DATE}.xlsx")
    assert [(p.cell, p.message) for p in result.problems] == [
        ("A2", "the report holds no positions (a blank template)")
    ]


def test_the_template_has_header_widths_drop_downs_and_help() -> None:
    kind = SCHEMA.kinds["LOPBI"]
    sheet = _sheet(template_workbook(kind), "LOPBI")
    assert [c.value for c in sheet[1]] == list(kind.names)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 32
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert rules["D2:D5001"].type == "list"
    assert (
        rules["D2:D5001"].formula1
        == '"HKID,Passport,Business Registration,Certificate of Incorporation,LEI,Other"'
    )
    assert rules["H2:H5001"].formula1 == '"Future,Option"'
    assert rules["L2:L5001"].type == "whole"
    assert rules["L2:L5001"].operator == "greaterThanOrEqual"
    assert rules["C2:C5001"].type == "textLength"
    assert rules["I2:I5001"].prompt is not None
    assert "up to 9 characters" in rules["I2:I5001"].prompt
    assert all(rule.showInputMessage for rule in rules.values())
    assert len(rules) == len(kind.columns)


def _structure(content: bytes, kind: str) -> object:
    sheet = _sheet(content, kind)
    return (
        sheet.title,
        [c.value for c in sheet[1]],
        {letter: dim.width for letter, dim in sheet.column_dimensions.items()},
        sheet.freeze_panes,
        sorted(
            (str(v.sqref), v.type, v.operator, v.formula1, v.prompt, v.error)
            for v in sheet.data_validations.dataValidation
        ),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_workbooks_folder_holds_the_templates_the_schema_makes(kind: str) -> None:
    shipped = (WORKBOOKS / f"{kind}_template.xlsx").read_bytes()
    made = template_workbook(SCHEMA.kinds[kind], buttons=LOP_BUTTONS, macro_book=MACRO_WORKBOOK)
    assert _structure(shipped, kind) == _structure(made, kind), "workbooks/ is stale: run `make workbooks`"
    for part in ("xl/drawings/vmlDrawing1.vml", "xl/externalLinks/_rels/externalLink1.xml.rels"):
        assert _part(shipped, part) == _part(made, part), f"{part} is stale: run `make workbooks`"


def _part(content: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read(name)


def test_a_filled_template_keeps_codes_typed_as_text() -> None:
    filled = _fill(template_workbook(SCHEMA.kinds["LOPBI"]), "LOPBI", future_row())
    sheet = _sheet(filled, "LOPBI")
    assert sheet["A2"].number_format == "@"
    assert check(filled, name=NAME).ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns.A]\ntype = 'money'\nrequired = true\n[kinds]\n", "type 'money' is not one of"),
        (
            "[columns.A]\ntype = 'text'\nrequired = true\n[kinds.LOPBI]\ncolumns = ['B']\n",
            "undefined columns",
        ),
        (
            "[columns.A]\ntype = 'text'\npattern = '('\nrequired = true\n[kinds]\n",
            "pattern '(' is not a regular expression",
        ),
        ("columns = [", "Invalid value (at end of document)"),
        ("[columns.A]\ntype = 'text'\n[kinds]\n", "missing or bad entry 'required'"),
    ],
)
def test_a_bad_schema_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=r".") as caught:
        parse_schema(text, "built-in test")
    assert message in str(caught.value)
    assert str(caught.value).startswith("built-in test")
