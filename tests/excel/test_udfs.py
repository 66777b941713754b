"""The worksheet functions called as Windows Excel calls them (tests/support/excel.py): the values
a range holds, through xlwings' conversion layer with the options each function declares. The
guide's worked example (IM Calculation Guide v1.4 §3) must come out to the dollar."""

from __future__ import annotations

import csv
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cpdesk import samples
from cpdesk.desk import Desk
from cpdesk.desk.rpf_library import PARAMETER_BOUNDS
from cpdesk.excel_addin import errors
from tests.support import seed003
from tests.support.excel import CELL_ERRORS, MISSING, call_like_excel, windows_udfs
from tests.support.lop_books import NAME, SCHEMA, book, future_row

UDFS = windows_udfs()
DIV0 = next(code for code, text in CELL_ERRORS.items() if text == "#DIV/0!")


def _range(path: Path) -> tuple[tuple[Any, ...], ...]:
    """A CSV as Excel holds it once pasted: numbers as floats, text as text."""

    def cell(text: str) -> Any:
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return text

    with path.open(newline="") as handle:
        return tuple(tuple(cell(value) for value in row) for row in csv.reader(handle))


POSITIONS = _range(samples.GUIDE_POSITIONS)
# The guide's example inputs (README "demo-margin"), as a Parameters sheet holds them.
PARAMETERS = (
    ("multiplier", 2.0),
    ("ipo", "1876,3690"),
    ("flat groups", str(samples.GUIDE_FLAT_GROUPS)),
    ("Holiday", True),
    ("alc", 75_000_000.0),
    ("alc_multiplier", 4.0),
    ("alc_cap", 280_000_000.0),
    ("pla_rate", 0.25),
    ("credit_risk_addon", 12_000_000.0),
    ("adhoc_addon", 600_000.0),
    (None, None),  # a range drawn a row too long
)


@pytest.fixture(scope="module")
def rpf() -> str:
    (handle,) = call_like_excel(UDFS.CPD_RPF, str(samples.GUIDE_RPF), True)[0]
    return str(handle)


def test_cpd_rpf_returns_a_short_handle(rpf: str) -> None:
    # The guide's sample: valuation date, instruments with scenarios, HVaR/SVaR scenarios in use.
    assert rpf == "RPF01 2019-04-01 · 7 instr. · 10/10"


def test_the_guides_total_and_portfolio_margin_come_out(rpf: str) -> None:
    total = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "total", PARAMETERS)
    assert total == [[67_717_169]]
    pm = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "Portfolio Margin", PARAMETERS)
    assert pm == [[10_000_000]]


def test_the_whole_breakdown_spills_as_component_and_hkd(rpf: str) -> None:
    table = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, MISSING, PARAMETERS)
    assert table[0] == ["Component", "HKD"]
    figures = dict(row for row in table[1:])
    assert figures["portfolio_margin"] == 10_000_000
    assert figures["lra_instrument"] + figures["lra_portfolio"] == 176_827 + 90_038
    assert figures["total"] == 67_717_169
    assert len(table) == 1 + 20  # every figure of the breakdown, in its order


def test_a_path_works_in_place_of_the_handle() -> None:
    # Without lenient the guide's printed sample (10 of 1,000 scenarios) is refused, by name.
    (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, str(samples.GUIDE_RPF), "total")[0]
    assert text.startswith("#VALUE! rpf: ")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: [rows[0][:3], *[r[:3] for r in rows[1:]]], "#VALUE! positions row 1: "),
        (lambda rows: [rows[0], (rows[1][0], "ten", *rows[1][2:]), *rows[2:]], "#VALUE! positions row 2"),
        (
            lambda rows: [rows[0], (rows[1][0], DIV0, *rows[1][2:]), *rows[2:]],
            "#VALUE! positions: row 2, column 2 holds the error #DIV/0!",
        ),
        (lambda rows: [], "#VALUE! positions: the range is empty"),
    ],
    ids=["no-market-value-column", "text-quantity", "error-in-a-cell", "empty"],
)
def test_bad_positions_give_a_short_value_error(rpf: str, change: Any, expected: str) -> None:
    rows = change([tuple(r) for r in POSITIONS])
    (text,) = call_like_excel(UDFS.CPD_MARGIN, tuple(rows) if rows else ((None,),), rpf, "total")[0]
    assert text.startswith(expected), text
    assert "Traceback" not in text


def test_bad_parameters_and_fields_are_named(rpf: str) -> None:
    (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "total", (("multipler", 2.0),))[0]
    assert text.startswith("#VALUE! parameters: unknown multipler")
    (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "totl", PARAMETERS)[0]
    assert text.startswith("#VALUE! field: 'totl' is not one of portfolio_margin, ")
    (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "total", (("alc", 1.0),))[0]
    assert text == "#VALUE! parameters: alc given without alc_multiplier, pla_rate"


@pytest.mark.parametrize("name", sorted(PARAMETER_BOUNDS))
def test_each_parameter_out_of_its_desk_bounds_is_named(rpf: str, name: str) -> None:
    """The add-in's parameters range takes the bounds `cpdesk margin` takes: one table in the desk."""
    low, high = PARAMETER_BOUNDS[name]
    limit = {"alc": 1.0, "alc_multiplier": 1.0, "pla_rate": 0.1}
    for wrong in (float(high * 10 + 1), float(low - 1)):
        given = {**limit, name: wrong} if name in (*limit, "alc_cap") else {name: wrong}
        (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "total", tuple(given.items()))[0]
        assert text.startswith(f"#VALUE! parameters: {name} "), text
        assert text.endswith(f"must be from {low:,} to {high:,}"), text
    at_the_bound = {**limit, name: float(high)}
    (inside,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, rpf, "total", tuple(at_the_bound.items()))[0]
    assert isinstance(inside, int), inside  # the bound itself is taken


def test_an_rpf_handle_from_another_session_is_not_available() -> None:
    (text,) = call_like_excel(UDFS.CPD_MARGIN, POSITIONS, "RPF01 2020-01-01 · 9 instr. · 1/1", "total")[0]
    assert text == "#N/A rpf: not loaded in this Excel session; recalculate its CPD_RPF cell"


@pytest.mark.parametrize("rate", ["18%", "18.00%", 0.18, 18.0])
def test_cpd_mstd_takes_the_rate_as_excel_shows_it(rate: Any) -> None:
    # Seed 003's worked figures: buy turnover 1,000,000,000 CNY at 18% is 180,000,000 a day.
    assert call_like_excel(UDFS.CPD_MSTD, 1e9, 0.0, 0.0, 0.0, 0.0, 0.0, rate) == [[180_000_000]]


def test_cpd_mstd_refuses_a_negative_amount() -> None:
    (text,) = call_like_excel(UDFS.CPD_MSTD, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.18)[0]
    assert text == "#VALUE! buy_turnover: '-1' must be an amount zero or above"


def test_cpd_portfolio_margin_spills_each_sub_portfolio(rpf: str) -> None:
    rows = call_like_excel(UDFS.CPD_PORTFOLIO_MARGIN, POSITIONS, rpf, PARAMETERS)
    assert rows[0] == ["Sub-portfolio", "HVaR ES (6)", "SVaR ES (10)"]
    by_label = {row[0]: row for row in rows[1:]}
    assert set(by_label) >= {"non-IPO", "IPO 1876", "IPO 3690", "floor", "portfolio margin"}
    assert by_label["non-IPO"][1] == -4_793_885.67  # the guide's six worst HVaR scenarios, averaged
    assert by_label["floor"][2] == 10_000_000
    assert by_label["portfolio margin"][2] == 10_000_000


def test_cpd_lra_gives_the_guides_two_add_ons(rpf: str) -> None:
    rows = call_like_excel(UDFS.CPD_LRA, POSITIONS, rpf, MISSING)
    assert rows[0] == ["Group", "Delta-eq. MV", "Threshold", "Rate", "LRA", "Beta hedge MV"]
    lines = {row[0]: row for row in rows[1:]}
    assert lines["instrument level"][4] == 176_827
    (portfolio,) = [row for label, row in lines.items() if label.startswith("portfolio level")]
    assert portfolio[4] == 90_038


def test_cpd_mstd_report_recomputes_seed_003s_rows(tmp_path: Path) -> None:
    path = tmp_path / seed003.DATA_NAME
    path.write_bytes(seed003.data_zip())
    rows = call_like_excel(UDFS.CPD_MSTD_REPORT, str(path))
    assert rows[0] == ["Record", "Market", "Daily", "Monthly", "Requirement", "HKEX R24", "Agrees"]
    assert [row[1:5] + row[6:] for row in rows[1:]] == [
        ["MAMK", 473_535, 184_427, 473_535, "yes"],
        ["SZMK", 1_073_766, 1_498_719, 1_498_719, "yes"],
    ]
    (text,) = call_like_excel(UDFS.CPD_MSTD_REPORT, str(tmp_path / "absent.CSV.ZIP"))[0]
    assert text.startswith("#N/A path: ")


def test_cpd_lop_check_lists_what_lop_validate_lists(tmp_path: Path) -> None:
    rows = [future_row(Long_Position=-5), future_row(Contract_Month="DEC99")]
    saved = tmp_path / NAME
    saved.write_bytes(book(rows))
    expected = Desk.standalone().validate_lop(saved)
    live = (
        (*SCHEMA.kinds["LOPBI"].names,),
        *[tuple(row.get(n) for n in SCHEMA.kinds["LOPBI"].names) for row in rows],
    )
    kind, submitter, trade_date = NAME.removesuffix(".xlsx").split("_")
    spilled = call_like_excel(UDFS.CPD_LOP_CHECK, live, kind, submitter, float(trade_date))
    assert spilled[0] == ["Cell", "Field", "Problem"]
    assert [row[2] for row in spilled[1:]] == [p.message for p in expected.problems]
    assert len(spilled) > 1


def test_headers_in_any_case_and_spacing_and_blank_rows_below_are_taken(rpf: str) -> None:
    header = ("instrument id", "QUANTITY", "Contract Value", "market value")
    drawn_long = (header, *POSITIONS[1:], (None, None, None, None), (None, None, None, None))
    assert call_like_excel(UDFS.CPD_MARGIN, drawn_long, rpf, "total", PARAMETERS) == [[67_717_169]]


def test_a_changed_rpf_file_loads_again(tmp_path: Path) -> None:
    copy = tmp_path / "rpf.csv"
    text = samples.GUIDE_RPF.read_text()
    copy.write_text(text)
    (first,) = call_like_excel(UDFS.CPD_RPF, str(copy), True)[0]
    assert first == "RPF01 2019-04-01 · 7 instr. · 10/10"
    assert call_like_excel(UDFS.CPD_RPF, str(copy), True) == [[first]]  # unchanged: the same load
    before = copy.stat().st_mtime
    copy.write_text(text.replace("Valuation_DT,1/4/2019", "Valuation_DT,2/4/2019", 1))  # d/m/yyyy
    os.utime(copy, (before + 1, before + 1))  # a file system that keeps whole seconds sees it too
    (second,) = call_like_excel(UDFS.CPD_RPF, str(copy), True)[0]
    assert second == "RPF01 2019-04-02 · 7 instr. · 10/10"


def test_a_fault_of_cpdesks_shows_a_short_text_and_logs_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "excel-addin.log"
    monkeypatch.setattr(errors, "LOG_PATH", log)
    logger = logging.getLogger("cpdesk.excel_addin")
    monkeypatch.setattr(logger, "handlers", [])

    @errors.answered
    def broken() -> None:
        raise ZeroDivisionError("a bug")

    assert broken() == [[f"#VALUE! cpdesk error (see {log})"]]
    written = log.read_text()
    assert "Traceback" in written
    assert "ZeroDivisionError: a bug" in written


def test_cpd_rpf_takes_the_archived_zip(tmp_path: Path) -> None:
    archived = tmp_path / "RPF01_HKSCC_20190401210000.CSV.ZIP"
    with zipfile.ZipFile(archived, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("RPF01_HKSCC_20190401210000.CSV", samples.GUIDE_RPF.read_bytes())
    (handle,) = call_like_excel(UDFS.CPD_RPF, str(archived), True)[0]
    assert handle == "RPF01 2019-04-01 · 7 instr. · 10/10"
    assert call_like_excel(UDFS.CPD_MARGIN, POSITIONS, handle, "total", PARAMETERS) == [[67_717_169]]


def test_cpd_whatif_spills_before_after_and_change_per_scenario(rpf: str) -> None:
    trades = (
        ("Scenario", "InstrumentID", "Quantity", "ContractValue", "MarketValue"),
        ("close 700", "700", 1_000_000.0, 384_000_000.0, 400_000_000.0),
        ("buy 1299", "1299", 100_000.0, 8_000_000.0, 8_000_000.0),
    )
    spilled = call_like_excel(UDFS.CPD_WHATIF, POSITIONS, rpf, trades, PARAMETERS)
    assert spilled[0] == ["Scenario", "Component", "Before", "After", "Change"]
    rows = spilled[1:]
    assert {row[0] for row in rows} == {"close 700", "buy 1299"}
    totals = {row[0]: row for row in rows if row[1] == "total"}
    assert totals["close 700"][2] == 67_717_169  # before: the guide's total
    for scenario, field, before, after, change in rows:
        assert change == after - before, (scenario, field)
    (text,) = call_like_excel(UDFS.CPD_WHATIF, POSITIONS, rpf, (("InstrumentID",), ("700",)), PARAMETERS)[0]
    assert text.startswith("#VALUE! trades row 1: ")


def test_cpd_margin_with_an_account_column_spills_one_row_per_account(rpf: str) -> None:
    """Each account's row equals CPD_MARGIN over that account's positions alone; a bad account
    shows its reason and the others are margined."""
    header = ("Account", *POSITIONS[0])
    body = [("A", *row) for row in POSITIONS[1:]]
    some = POSITIONS[1:4]
    body += [("B", *row) for row in some]
    body.append(("C", "700", "lots", 1.0, 1.0))
    body.append(("A", "1299", 5.0, 400.0, 400.0))  # A's rows need not stand together here
    spilled = call_like_excel(UDFS.CPD_MARGIN, (header, *body), rpf, None, PARAMETERS)
    assert spilled[0][0] == "Account"
    assert [row[0] for row in spilled[1:]] == ["A", "B", "C"]
    fields = spilled[0][1:]
    alone_a = (POSITIONS[0], *POSITIONS[1:], ("1299", 5.0, 400.0, 400.0))
    for row, portfolio in ((spilled[1], alone_a), (spilled[2], (POSITIONS[0], *some))):
        whole = dict(call_like_excel(UDFS.CPD_MARGIN, portfolio, rpf, None, PARAMETERS)[1:])
        assert dict(zip(fields, row[1:], strict=True)) == {f: whole[f] for f in fields}
    assert spilled[3][1].startswith("#VALUE! positions row ")
    assert "'lots'" in spilled[3][1]
    totals = call_like_excel(UDFS.CPD_MARGIN, (header, *body), rpf, "total", PARAMETERS)
    assert totals[0] == ["Account", "total"]
    assert totals[1][1] == spilled[1][fields.index("total") + 1]


def test_cpd_explain_spills_shares_that_add_up_to_the_expected_shortfall(rpf: str) -> None:
    spilled = call_like_excel(UDFS.CPD_EXPLAIN, POSITIONS, rpf, PARAMETERS)
    assert spilled[0] == [
        "Instrument",
        "Sub-portfolio",
        "HVaR ES share",
        "SVaR ES share",
        "Standalone",
        "Incremental",
        "Incr. total",
    ]
    rows = spilled[1:]
    assert len(rows) == len(POSITIONS) - 1
    assert [row[0] for row in rows[:2]] == ["658", "700"]
    subs = call_like_excel(UDFS.CPD_PORTFOLIO_MARGIN, POSITIONS, rpf, PARAMETERS)[1:]
    for label, hvar_es, svar_es in (row for row in subs if row[0] in {"non-IPO", "IPO 1876", "IPO 3690"}):
        members = [row for row in rows if row[1] == label]
        assert sum(row[2] for row in members) == pytest.approx(hvar_es, abs=0.01 * len(members)), label
        assert sum(row[3] for row in members) == pytest.approx(svar_es, abs=0.01 * len(members)), label
    (text,) = call_like_excel(UDFS.CPD_EXPLAIN, (("InstrumentID",), ("700",)), rpf)[0]
    assert text.startswith("#VALUE! positions row 1: ")
