"""cpdesk's worksheet functions (xlwings UDFs, category "cpdesk").

Thin by design: each converts its arguments at the edge (:mod:`cells`), calls the desk layer and
returns a spilling array; what goes wrong is one cell of text (:mod:`errors`), never a traceback.
Loaded RPF01 files stay in memory for the Excel session (``CPD_RPF``'s handle names one).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import xlwings as xw

from cpdesk import samples
from cpdesk.connectors.errors import InputRejected
from cpdesk.desk import Desk
from cpdesk.desk.batch_files import FIGURES
from cpdesk.desk.rpf_library import (
    LoadedRpf,
    RpfLibrary,
    account_column,
    account_margin_rows,
    breakdown_rows,
    explain_rows,
    margin_rows,
    parameters_from,
    what_if_rows,
)
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.problems import InputError
from cpdesk.engine.reports.mstd import MstdInputs
from cpdesk.excel_addin import macros
from cpdesk.excel_addin.cells import GUIDE_SAMPLE, named_values, rows_of, table, text_of
from cpdesk.excel_addin.errors import BadInput, Missing, answered

CATEGORY = "cpdesk"
LIBRARY = RpfLibrary()  # the Excel session's loaded RPF01 files
LOCAL_DESK = Desk.standalone()  # LOP rules need no configuration (exchange holidays: the built-in calendar)


F = TypeVar("F", bound=Callable[..., Any])


def _portfolio_arguments(func: F) -> F:
    """``positions`` and ``rpf``, as every margin function declares them."""
    func = xw.arg("rpf", doc="CPD_RPF's handle, or an RPF01 path")(func)
    return xw.arg(
        "positions",
        ndim=2,
        err_to_str=True,
        doc="InstrumentID, Quantity, ContractValue, MarketValue with a header row",
    )(func)


def _path(text: str, sample: Path) -> Path:
    """A path typed in a cell; ``guide-sample`` names the guide's sample file shipped with cpdesk."""
    return sample if text.lower() == GUIDE_SAMPLE else Path(text).expanduser()


def _rpf(value: Any) -> LoadedRpf:
    """A handle CPD_RPF returned, or a path."""
    text = text_of(value)
    if not text:
        raise BadInput("rpf: give CPD_RPF(path) or a path")
    found = LIBRARY.find(text)
    if found is not None:
        return found
    if text.startswith("RPF01 ") and " · " in text:
        raise Missing("rpf: not loaded in this Excel session; recalculate its CPD_RPF cell")
    try:
        return LIBRARY.load(_path(text, samples.GUIDE_RPF))
    except InputRejected as exc:
        raise BadInput(f"rpf: {exc}") from None


@xw.func(category=CATEGORY)
@xw.arg("path", doc="an RPF01 file: the CSV, or the archived .CSV.ZIP (guide-sample: the guide's)")
@xw.arg("lenient", doc="TRUE to accept rows with fewer scenarios than the header counts")
@answered
def CPD_RPF(path: Any, lenient: Any = False) -> Any:  # noqa: N802 (Excel's naming)
    """Loads an RPF01 once per Excel session; returns a handle the other functions take."""
    text = text_of(path)
    if not text:
        raise BadInput("path: give the RPF01 file's path")
    try:
        return LIBRARY.load(_path(text, samples.GUIDE_RPF), lenient=bool(lenient)).handle
    except InputRejected as exc:
        raise BadInput(f"path: {exc}") from None


@xw.func(category=CATEGORY)
@_portfolio_arguments
@xw.arg("field", doc="one figure (total, portfolio_margin, ...); leave out for the whole breakdown")
@xw.arg(
    "parameters", ndim=2, err_to_str=True, doc="a two-column name/value range: multiplier, ipo, holiday, ..."
)
@xw.ret(expand="table")
@answered
def CPD_MARGIN(positions: Any, rpf: Any, field: Any = None, parameters: Any = None) -> Any:  # noqa: N802
    """HKSCC initial margin of a portfolio (VaR Platform guide v1.4), HKD: the breakdown, or one
    figure; with an Account column, one row per account."""
    wanted = text_of(field).lower().replace(" ", "_")
    loaded, rows, chosen = _rpf(rpf), rows_of(positions, "positions"), _parameters(parameters)
    if account_column(rows[0]) is not None:
        return _per_account(loaded, rows, chosen, wanted)
    breakdown = _margin_of_rows(loaded, rows, chosen, breakdown_rows).as_dict()
    if not wanted:
        return table(("Component", "HKD"), list(breakdown.items()))
    if wanted not in breakdown:
        raise BadInput(f"field: {field!r} is not one of {', '.join(breakdown)}")
    return breakdown[wanted]


def _per_account(loaded: LoadedRpf, rows: list[list[str]], chosen: Any, wanted: str) -> Any:
    """One row per account: the account, then every figure (or ``wanted``); an account that cannot
    be margined shows its reason where its first figure would be."""
    figures = list(FIGURES)
    if wanted and wanted not in MarginBreakdown._fields:
        raise BadInput(f"field: {wanted!r} is not one of {', '.join(figures)}")
    columns = [wanted] if wanted else figures
    spilled: list[list[Any]] = []
    for account, outcome in account_margin_rows(loaded, rows, chosen, "positions"):
        if isinstance(outcome, InputError):
            reason = f"#VALUE! {_first_problem(outcome)}"
            spilled.append([account, reason, *([""] * (len(columns) - 1))])
        else:
            values = outcome.as_dict()
            spilled.append([account, *(values[name] for name in columns)])
    return table(("Account", *columns), spilled)


def _parameters(parameters: Any) -> Any:
    named = named_values(parameters, "parameters")
    for name, value in named.items():
        if "".join(name.lower().split()).replace("_", "") == "flatgroups" and value.lower() == GUIDE_SAMPLE:
            named[name] = str(samples.GUIDE_FLAT_GROUPS)
    try:
        return parameters_from(named)
    except InputRejected as exc:
        raise BadInput(str(exc)) from None


def _first_problem(exc: InputError) -> str:
    first = exc.problems[0]
    where = f"row {first.line}" if first.line else ""
    field = f" [{first.field}]" if first.field else ""
    return f"{first.source} {where}{field}: {first.message}".replace("  ", " ")


def _margin(positions: Any, rpf: Any, parameters: Any) -> Any:
    return _margin_of_rows(_rpf(rpf), rows_of(positions, "positions"), _parameters(parameters))


def _margin_of_rows(loaded: LoadedRpf, rows: list[list[str]], chosen: Any, compute: Any = margin_rows) -> Any:
    """``compute`` (margin_rows, with every detail, or breakdown_rows) of the rows, its first
    problem as the cell's error."""
    try:
        return compute(loaded, rows, chosen, "positions")
    except InputError as exc:
        raise BadInput(_first_problem(exc)) from None


@xw.func(category=CATEGORY)
@_portfolio_arguments
@xw.arg(
    "trades",
    ndim=2,
    err_to_str=True,
    doc="hypothetical trades like the positions, with an optional Scenario column naming each set",
)
@xw.arg("parameters", ndim=2, err_to_str=True, doc="a two-column name/value range: multiplier, ipo, ...")
@xw.ret(expand="table")
@answered
def CPD_WHATIF(positions: Any, rpf: Any, trades: Any, parameters: Any = None) -> Any:  # noqa: N802
    """The portfolio's margin without and with each set of hypothetical trades, HKD: every figure
    before, after and its change (the difference of two full calculations)."""
    loaded = _rpf(rpf)
    chosen = _parameters(parameters)
    try:
        before, sets = what_if_rows(
            loaded, rows_of(positions, "positions"), rows_of(trades, "trades"), chosen
        )
    except InputError as exc:
        raise BadInput(_first_problem(exc)) from None
    figures = before.as_dict()
    spilled: list[list[Any]] = []
    for name, after in sets:
        changed = after.as_dict()
        spilled += [
            [name, field, value, changed[field], changed[field] - value] for field, value in figures.items()
        ]
    return table(("Scenario", "Component", "Before", "After", "Change"), spilled)


@xw.func(category=CATEGORY)
@_portfolio_arguments
@xw.arg("parameters", ndim=2, err_to_str=True, doc="a two-column name/value range (multiplier, ipo, ...)")
@xw.ret(expand="table")
@answered
def CPD_EXPLAIN(positions: Any, rpf: Any, parameters: Any = None) -> Any:  # noqa: N802
    """Which positions drive the margin, HKD: per position its sub-portfolio, its share of the HVaR
    and SVaR expected shortfall (the shares add up to each), its margin alone, and the portfolio's
    margin and total less those without it."""
    loaded = _rpf(rpf)
    chosen = _parameters(parameters)
    try:
        found = explain_rows(loaded, rows_of(positions, "positions"), chosen, "positions")
    except InputError as exc:
        raise BadInput(_first_problem(exc)) from None
    rows = [
        [
            p.instrument_id,
            p.sub_portfolio or "-",
            _money(p.hvar_share_hkd),
            _money(p.svar_share_hkd),
            p.standalone_margin_hkd,
            p.incremental_margin_hkd,
            p.incremental_total_hkd,
        ]
        for p in found.positions
    ]
    header = (
        "Instrument",
        "Sub-portfolio",
        "HVaR ES share",
        "SVaR ES share",
        "Standalone",
        "Incremental",
        "Incr. total",
    )
    return table(header, rows)


@xw.func(category=CATEGORY)
@_portfolio_arguments
@xw.arg("parameters", ndim=2, err_to_str=True, doc="a two-column name/value range (ipo, floor_rate, ...)")
@xw.ret(expand="table")
@answered
def CPD_PORTFOLIO_MARGIN(positions: Any, rpf: Any, parameters: Any = None) -> Any:  # noqa: N802
    """Portfolio margin per sub-portfolio (non-IPO, each IPO): HVaR and SVaR expected shortfall,
    then the weighted loss, the floor and the portfolio margin, HKD."""
    detail = _margin(positions, rpf, parameters).portfolio
    rows: list[list[Any]] = [
        [sub.label, _money(sub.hvar_es_hkd), _money(sub.svar_es_hkd)] for sub in detail.sub_portfolios
    ]
    rows += [
        ["weighted loss", "", _money(detail.weighted_loss_hkd)],
        ["floor", "", _money(detail.floor_hkd)],
        ["portfolio margin", "", detail.margin_hkd],
    ]
    return table(("Sub-portfolio", f"HVaR ES ({detail.hvar_k})", f"SVaR ES ({detail.svar_k})"), rows)


@xw.func(category=CATEGORY)
@_portfolio_arguments
@xw.arg("hedge_instrument", doc="the portfolio-level hedge (default the guide's, the Tracker Fund 2800)")
@xw.ret(expand="table")
@answered
def CPD_LRA(positions: Any, rpf: Any, hedge_instrument: Any = None) -> Any:  # noqa: N802
    """The liquidation risk add-on: per underlying group the delta-equivalent MV, threshold, rate
    and instrument-level LRA, then the portfolio-level line, HKD."""
    hedge = text_of(hedge_instrument)
    parameters = [["hedge_instrument", hedge]] if hedge else None
    lra = _margin(positions, rpf, parameters).liquidation
    rows: list[list[Any]] = [
        [
            g.underlying,
            _money(g.delta_equivalent_mv_hkd),
            _money(g.threshold_hkd),
            float(g.bucket_rate),
            _money(g.instrument_lra_hkd),
            _money(g.beta_hedge_mv_hkd),
        ]
        for g in lra.groups
    ]
    rows.append(["instrument level", "", "", "", lra.instrument_level_hkd, ""])
    rows.append(
        [
            f"portfolio level (hedge {lra.hedge_instrument})",
            "",
            "",
            "",
            lra.portfolio_level_hkd,
            _money(lra.beta_hedge_total_hkd),
        ]
    )
    return table(("Group", "Delta-eq. MV", "Threshold", "Rate", "LRA", "Beta hedge MV"), rows)


def _money(value: Any) -> float:
    """An amount in a cell: a double, to the cent (Excel holds nothing finer)."""
    return round(float(value), 2)


@xw.func(category=CATEGORY)
@xw.arg("path", doc="an RMCNM01 data file (.CSV or .CSV.ZIP)")
@xw.ret(expand="table")
@answered
def CPD_MSTD_REPORT(path: Any) -> Any:  # noqa: N802
    """An RMCNM01 data file's rows with the MSTD requirement recomputed, and whether HKEX agrees."""
    text = text_of(path)
    if not text:
        raise BadInput("path: give an RMCNM01 data file")
    location = Path(text).expanduser()
    if not location.is_file():
        raise Missing(f"path: {location} is not a file")
    report = Desk.reconcile_mstd(location)
    if not report.results:
        first = report.problems[0] if report.problems else "no rows"
        raise BadInput(f"path: {first}")
    rows = [
        [
            r.row.record,
            r.row.market,
            r.recomputed.daily_cny,
            r.recomputed.monthly_cny,
            r.recomputed.requirement_cny,
            "" if r.row.mstd_requirement_cny is None else float(r.row.mstd_requirement_cny),
            "yes" if not r.disagreements else "NO: " + ", ".join(d.field for d in r.disagreements),
        ]
        for r in report.results
    ]
    header = ("Record", "Market", "Daily", "Monthly", "Requirement", "HKEX R24", "Agrees")
    return table(header, rows)


@xw.func(category=CATEGORY)
@xw.arg("cells", ndim=2, doc="the report's cells: its header row, then its rows")
@xw.arg("kind", doc="LOPBI, LOPTO, SOLBI or SOLTO")
@xw.arg("submitter", doc="the submitter code HKEX assigned (5 characters)")
@xw.arg("trade_date", doc="the trade date, yyyymmdd or a date")
@xw.ret(expand="table")
@answered
def CPD_LOP_CHECK(cells: Any, kind: Any, submitter: Any, trade_date: Any) -> Any:  # noqa: N802
    """A LOP report's problems (cell, field, reason) by the rules of `cpdesk lop validate`; cells are
    counted from the range's top-left cell as A1."""
    if not isinstance(cells, list) or not cells:
        raise BadInput("cells: give the report's range, its header row first")
    name = f"{text_of(kind).upper()}_{text_of(submitter).upper()}_{text_of(trade_date)}.xlsx"
    result = LOCAL_DESK.validate_lop_sheet(name, cells)
    if result.ok and not result.problems:
        return f"OK: {result.rows:,} rows, no problems"
    rows = [
        ["!".join(filter(None, (p.sheet, p.cell))) or "-", p.field or "-", p.message] for p in result.problems
    ]
    return table(("Cell", "Field", "Problem"), rows)


@xw.func(category=CATEGORY)
@xw.arg("buy_turnover", doc="R13 Buy Turnover, CNY")
@xw.arg("overdue_short", doc="R14 Overdue Short Position, CNY")
@xw.arg("spsa_sell", doc="R15 SPSA Sell Turnover, CNY")
@xw.arg("avg_buy", doc="R19 average daily Buy Turnover, CNY")
@xw.arg("avg_overdue", doc="R20 average Overdue Short Position, CNY")
@xw.arg("avg_spsa", doc="R21 average daily SPSA Sell Turnover, CNY")
@xw.arg("rate", doc="the deposit rate: 18%, 18.00% or 0.18")
@answered
def CPD_MSTD(  # noqa: N802
    buy_turnover: Any,
    overdue_short: Any,
    spsa_sell: Any,
    avg_buy: Any,
    avg_overdue: Any,
    avg_spsa: Any,
    rate: Any,
) -> Any:
    """The Northbound MSTD requirement (seed 003): max(daily, monthly), CNY."""
    amounts = {
        "buy_turnover": buy_turnover,
        "overdue_short": overdue_short,
        "spsa_sell": spsa_sell,
        "avg_buy": avg_buy,
        "avg_overdue": avg_overdue,
        "avg_spsa": avg_spsa,
    }
    given = {name: _decimal(name, value) for name, value in amounts.items()}
    inputs = MstdInputs(
        given["buy_turnover"],
        given["overdue_short"],
        given["spsa_sell"],
        given["avg_buy"],
        given["avg_overdue"],
        given["avg_spsa"],
        _rate(rate),
    )
    return Desk.mstd(inputs).requirement_cny


@xw.sub
def CPD_VALIDATE_LOP() -> None:  # noqa: N802
    """Validate the active LOP report sheet: its problems go to a 'cpdesk problems' sheet with a
    link to each cell, and the cells are marked (assign this macro to a button)."""
    macros.validate_lop()


@xw.sub
def CPD_UPLOAD_LOP() -> None:  # noqa: N802
    """Upload the saved LOP workbook to HKEX when it is valid, and show the result."""
    macros.upload_lop()


def _decimal(name: str, value: Any) -> Decimal:
    text = text_of(value).replace(",", "")
    try:
        number = Decimal(text or "0")
    except InvalidOperation:
        raise BadInput(f"{name}: {text!r} is not an amount") from None
    if not number.is_finite() or number < 0:
        raise BadInput(f"{name}: {text!r} must be an amount zero or above")
    return number


def _rate(value: Any) -> Decimal:
    text = text_of(value)
    rate = _decimal("rate", text.removesuffix("%"))
    if text.endswith("%") or rate > 1:
        rate /= 100  # "18%", "18.00%", or 18 typed as a percentage
    return rate


__all__ = [
    "CPD_EXPLAIN",
    "CPD_LOP_CHECK",
    "CPD_LRA",
    "CPD_MARGIN",
    "CPD_MSTD",
    "CPD_MSTD_REPORT",
    "CPD_PORTFOLIO_MARGIN",
    "CPD_RPF",
    "CPD_UPLOAD_LOP",
    "CPD_VALIDATE_LOP",
    "CPD_WHATIF",
]
