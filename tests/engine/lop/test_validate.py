"""One test per validation rule, each with a workbook built here and the exact cell reported."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest

from cpdesk.engine.problems import Problem, ProblemCode
from tests.support.lop_books import (
    NAME,
    SCHEMA,
    SOL_NAME,
    book,
    check,
    errors,
    future_row,
    only_error,
    option_row,
    stock_option_row,
)


def test_a_valid_report_has_no_problems() -> None:
    result = check(book([future_row(), option_row(), future_row(HKATS_Code="MHI", Long_Position=3)]))
    assert result.ok, [str(p) for p in result.problems]
    assert result.rows == 3
    assert result.name is not None
    assert result.name.submitter == "00CFB"
    assert result.name.trade_date == date(2026, 11, 20)


# -- the file name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("LOPBI-00CFB-20261120.xlsx", "must be <KIND>_<SUBMITTER>_<yyyymmdd>.xlsx"),
        ("LOPBI_00CFB_20261120.xls", "extension must be .xlsx"),
        ("LOPXX_00CFB_20261120.xlsx", "report kind 'LOPXX' is not one of"),
        ("LOPBI_0CFB_20261120.xlsx", "submitter code '0CFB' must be 5"),
        ("LOPBI_00cfb_20261120.xlsx", "submitter code '00cfb' must be 5 capital"),
        ("LOPBI_00CFB_20261131.xlsx", "trade date '20261131' is not a real yyyymmdd date"),
        ("LOPBI_00CFB_2026112.xlsx", "trade date '2026112' is not a real yyyymmdd date"),
        ("LOPBI_00CFB_20261125.xlsx", "trade date 2026-11-25 is in the future"),
        ("LOPBI_00CFB_20261121.xlsx", "trade date 2026-11-21 is not a trading day"),
    ],
)
def test_file_name_rules(name: str, reason: str) -> None:
    result = check(book([future_row()]), name=name)
    problem = errors(result)[0]
    assert (problem.source, problem.sheet, problem.cell, problem.code) == (
        name,
        None,
        None,
        ProblemCode.FILE_NAME,
    )
    assert reason in problem.message
    assert not result.ok


def test_an_exchange_holiday_is_not_a_trading_day() -> None:
    problem = only_error(check(book([future_row()]), holidays=[date(2026, 11, 20)]))
    assert problem.message == "trade date 2026-11-20 is not a trading day"


def test_today_is_a_valid_trade_date() -> None:
    result = check(book([future_row(Trade_Date="20261124")]), name="LOPBI_00CFB_20261124.xlsx")
    assert result.ok, [str(p) for p in result.problems]


# -- the workbook and its header ----------------------------------------------------------------


def test_a_file_that_is_not_xlsx() -> None:
    problem = only_error(check(b"Submitter Code,Trade Date\n00CFB,20261120\n"))
    assert problem.cell is None
    assert problem.message.startswith("not an xlsx workbook")


def test_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert only_error(check(buffer.getvalue())).message.startswith("not an xlsx workbook")


def test_the_expected_sheet_is_missing() -> None:
    problem = only_error(check(book([future_row()], sheet="Positions")))
    assert problem.sheet is None
    assert problem.message == "no sheet 'LOP'; the workbook has 'Positions'"


def test_a_missing_column_is_named() -> None:
    header = [c for c in book_header() if c != "Country"]
    problem = only_error(check(book([future_row()], header=header)))
    assert (problem.sheet, problem.cell) == ("LOP", "A1")
    assert problem.message == "header lacks column 'Country'"


def test_an_extra_column_is_named_at_its_cell() -> None:
    header = [*book_header(), "Remarks"]
    problem = only_error(check(book([future_row()], header=header)))
    assert (problem.cell, problem.message) == ("N1", "unexpected column 'Remarks'")


def test_reordered_columns_are_reported_at_the_first_misplaced() -> None:
    header = book_header()
    header[11], header[12] = header[12], header[11]  # Short Position before Long Position
    problem = only_error(check(book([future_row()], header=header)))
    assert problem.cell == "L1"
    assert problem.message == "column 'Short Position' is out of order: expected column M"


def test_a_blank_report_is_not_sent() -> None:
    problem = only_error(check(book([])))
    assert (problem.cell, problem.message) == ("A2", "the report holds no positions (a blank template)")


def book_header() -> list[str]:
    return list(SCHEMA.kinds["LOPBI"].names)


# -- each row -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "cell", "message"),
    [
        ({"Beneficial Owner Name": None}, "C3", "Beneficial Owner Name is required"),
        ({"Beneficial Owner Name": "   "}, "C3", "Beneficial Owner Name is required"),
        ({"Long Position": "abc"}, "L3", "Long Position: 'abc' is not a number"),
        (
            {"Country": "HKG"},
            "F3",
            "Country 'HKG' is not a two-letter ISO country code in capitals (e.g. HK)",
        ),
        ({"Identity Document Type": "ID card"}, "D3", "Identity Document Type 'ID card' is not one of"),
        (
            {"Call/Put": "X", "Instrument Type": "Option", "Strike Price": 1},
            "K3",
            "Call/Put 'X' is not one of",
        ),
        ({"Instrument Type": "Swap"}, "H3", "Instrument Type 'Swap' is not one of Future, Option"),
        ({"Contract Month": "DEC26WEEK1"}, "I3", "Contract Month 'DEC26WEEK1' is not 3 to 9 capitals"),
        ({"Beneficial Owner Name": "X" * 141}, "C3", "Beneficial Owner Name is longer than 140 characters"),
        ({"Trade Date": "2026-11-20"}, "B3", "Trade Date: '2026-11-20' is not a yyyymmdd date"),
        (
            {"Strike Price": "n/a", "Instrument Type": "Option", "Call/Put": "C"},
            "J3",
            "'n/a' is not a number",
        ),
    ],
)
def test_cell_rules(change: dict[str, object], cell: str, message: str) -> None:
    problem = only_error(check(book([option_row(), future_row(**_spaced(change))])))
    assert (problem.source, problem.sheet, problem.cell) == (NAME, "LOP", cell)
    assert message in problem.message


def _spaced(change: dict[str, object]) -> dict[str, object]:
    return {key.replace(" ", "_"): value for key, value in change.items()}


def test_weekly_contract_months_of_nine_characters_are_accepted() -> None:
    assert check(book([option_row(Contract_Month="HSI3W2612")])).ok


@pytest.mark.parametrize(("missing", "cell"), [("Strike Price", "J2"), ("Call/Put", "K2")])
def test_an_option_needs_strike_and_call_put(missing: str, cell: str) -> None:
    problem = only_error(check(book([option_row(**{missing.replace(" ", "_"): None})])))
    assert (problem.cell, problem.message) == (cell, f"{missing} is required for an option")


@pytest.mark.parametrize(("given", "value", "cell"), [("Strike Price", 26000, "J2"), ("Call/Put", "C", "K2")])
def test_a_future_has_neither_strike_nor_call_put(given: str, value: object, cell: str) -> None:
    problem = only_error(check(book([future_row(**{given.replace(" ", "_"): value})])))
    assert (problem.cell, problem.message) == (cell, f"{given} must be empty for a future")


def test_stock_options_need_strike_and_call_put_without_an_instrument_column() -> None:
    assert check(book([stock_option_row()], kind="SOLBI"), name=SOL_NAME).ok
    problem = only_error(check(book([stock_option_row(Strike_Price=None)], kind="SOLBI"), name=SOL_NAME))
    assert (problem.cell, problem.message) == ("J2", "Strike Price is required for an option")


@pytest.mark.parametrize(
    ("column", "value", "cell", "message"),
    [
        ("Long Position", -5, "L2", "Long Position: -5 is negative"),
        ("Short Position", 1.5, "M2", "Short Position: 1.5 is not a whole number of contracts"),
        ("Short Position", "12.0001", "M2", "is not a whole number of contracts"),
    ],
)
def test_positions_are_whole_non_negative_numbers(
    column: str, value: object, cell: str, message: str
) -> None:
    problem = only_error(check(book([future_row(**{column.replace(" ", "_"): value})])))
    assert problem.cell == cell
    assert message in problem.message


def test_positions_typed_as_text_with_thousands_separators_are_read() -> None:
    assert check(book([future_row(Long_Position="1,200")])).ok


def test_a_row_with_both_positions_zero_is_an_error() -> None:
    problem = only_error(check(book([future_row(), option_row(Long_Position=0, Short_Position=0)])))
    assert (problem.cell, problem.message) == ("L3", "both positions are zero: report only open positions")


def test_duplicate_rows_for_the_same_identity_and_series() -> None:
    rows = [future_row(), option_row(), future_row(Long_Position=700)]
    problem = only_error(check(book(rows)))
    assert (problem.cell, problem.message) == ("A4", "duplicate of row 2: same identity and series")


def test_duplicates_are_found_whatever_the_case_spacing_or_strike_spelling() -> None:
    rows = [
        option_row(Strike_Price=26000),
        option_row(Strike_Price=26000.0, Beneficial_Owner_Name="chan  tai man"),
    ]
    assert only_error(check(book(rows))).cell == "A3"


def test_same_identity_in_another_series_is_not_a_duplicate() -> None:
    rows = [option_row(), option_row(**{"Call/Put": "P"}), option_row(Strike_Price=26200)]
    assert check(book(rows)).ok


def test_trade_date_inside_the_sheet_must_match_the_name() -> None:
    problem = only_error(check(book([future_row(), future_row(Trade_Date="20261119", HKATS_Code="MHI")])))
    assert problem.cell == "B3"
    assert problem.message == "Trade Date 2026-11-19 differs from the file name's 2026-11-20"


def test_trade_date_as_an_excel_date_is_read() -> None:
    assert check(book([future_row(Trade_Date=datetime(2026, 11, 20))])).ok
    problem = only_error(check(book([future_row(Trade_Date=datetime(2026, 11, 19))])))
    assert problem.cell == "B2"


def test_submitter_inside_the_sheet_must_match_the_name() -> None:
    problem = only_error(check(book([future_row(Submitter_Code="00CFC")])))
    assert problem.cell == "A2"
    assert problem.message == "Submitter Code '00CFC' differs from the file name's '00CFB'"


def test_every_problem_in_a_file_is_listed() -> None:
    rows = [
        future_row(Country="hk", Long_Position=-1),
        future_row(Beneficial_Owner_Name=None, Short_Position=0.5),
    ]
    cells = sorted(str(p.cell) for p in errors(check(book(rows))))
    assert cells == ["C3", "F2", "L2", "M3"]


# -- reportable levels: warnings, not errors ----------------------------------------------------


def test_a_future_position_below_the_reportable_level_is_a_warning() -> None:
    result = check(book([future_row(Long_Position=120, Short_Position=40)]))
    assert result.ok
    [warning] = result.problems
    assert (warning.cell, warning.severity.value) == ("L2", "warning")
    assert warning.message == (
        "HSI DEC26: long 120, short 40 for CHAN TAI MAN are below the reportable level "
        "of 500 contracts per contract month"
    )


def test_one_owners_rows_in_a_class_and_expiry_are_added_before_the_level_is_checked() -> None:
    rows = [stock_option_row(Long_Position=600), stock_option_row(Long_Position=500, Strike_Price=420)]
    assert check(book(rows, kind="SOLBI"), name=SOL_NAME).problems == []
    rows[1] = stock_option_row(Long_Position=500, Strike_Price=420, Identity_Document_Number="B7654321")
    warnings = check(book(rows, kind="SOLBI"), name=SOL_NAME).problems
    assert [(p.cell, p.severity.value) for p in warnings] == [("L2", "warning"), ("L3", "warning")]


def test_products_without_a_level_are_not_warned_about() -> None:
    assert check(book([future_row(HKATS_Code="MHI", Long_Position=3)])).problems == []


def test_stock_options_below_1000_contracts_per_class_and_expiry_are_warned_about() -> None:
    result = check(book([stock_option_row(Long_Position=999)], kind="SOLBI"), name=SOL_NAME)
    assert result.ok
    [warning] = result.problems
    assert warning.cell == "L2"
    assert "reportable level of 1000 contracts per stock option class and expiry" in (warning.message)
    assert check(book([stock_option_row(Long_Position=1000)], kind="SOLBI"), name=SOL_NAME).problems == []


# -- the problem's text -------------------------------------------------------------------------


def test_a_problem_reads_file_sheet_cell_and_reason() -> None:
    problem = Problem(
        "LOPBI_00CFB_20261120.xlsx",
        7,
        "Beneficial Owner Name",
        "Beneficial Owner Name is required",
        code=ProblemCode.EMPTY_VALUE,
        sheet="LOP",
        cell="C7",
    )
    assert str(problem) == "LOPBI_00CFB_20261120.xlsx: LOP!C7: Beneficial Owner Name is required"
    assert problem.as_dict()["cell"] == "C7"


def test_the_sheet_is_checked_against_what_a_wrong_name_still_says() -> None:
    """A trade date in the future is wrong, but the sheet must still match it and the submitter."""
    name = "LOPBI_00CFB_20261125.xlsx"  # the day after TODAY
    result = check(book([future_row(Submitter_Code="11AAA")]), name=name)
    messages = [p.message for p in result.problems if p.is_error]
    assert "trade date 2026-11-25 is in the future" in messages
    assert "Submitter Code '11AAA' differs from the file name's '00CFB'" in messages
    assert "Trade Date 2026-11-20 differs from the file name's 2026-11-25" in messages
