"""cpdesk's worksheet functions (xlwings UDFs, category "cpdesk").

Thin by design: each converts its arguments at the edge (:mod:`cells`), calls the desk layer and
returns a spilling array; what goes wrong is one cell of text (:mod:`errors`), never a traceback.
Loaded RPF01 files stay in memory for the Excel session (``CPD_RPF``'s handle names one).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlwings as xw

from cpdesk.connectors.errors import InputRejected
from cpdesk.desk import Desk
from cpdesk.desk.rpf_library import LoadedRpf, RpfLibrary, margin_rows, parameters_from
from cpdesk.engine.problems import InputError
from cpdesk.engine.reports.mstd import MstdInputs
from cpdesk.excel_addin.cells import Rows, named_values, rows_of, table, text_of
from cpdesk.excel_addin.errors import BadInput, Missing, answered

CATEGORY = "cpdesk"
LIBRARY = RpfLibrary()  # the Excel session's loaded RPF01 files


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
        return LIBRARY.load(Path(text).expanduser())
    except InputRejected as exc:
        raise BadInput(f"rpf: {exc}") from None


@xw.func(category=CATEGORY)
@xw.arg("path", doc="an RPF01 file: the CSV, or the archived .CSV.ZIP")
@xw.arg("lenient", doc="TRUE to accept rows with fewer scenarios than the header counts")
@answered
def CPD_RPF(path: Any, lenient: Any = False) -> Any:  # noqa: N802 (Excel's naming)
    """Loads an RPF01 once per Excel session; returns a handle the other functions take."""
    text = text_of(path)
    if not text:
        raise BadInput("path: give the RPF01 file's path")
    try:
        return LIBRARY.load(Path(text).expanduser(), lenient=bool(lenient)).handle
    except InputRejected as exc:
        raise BadInput(f"path: {exc}") from None


@xw.func(category=CATEGORY)
@xw.arg(
    "positions",
    ndim=2,
    err_to_str=True,
    doc="InstrumentID, Quantity, ContractValue, MarketValue with a header row",
)
@xw.arg("rpf", doc="CPD_RPF's handle, or an RPF01 path")
@xw.arg("field", doc="one figure (total, portfolio_margin, ...); leave out for the whole breakdown")
@xw.arg(
    "parameters", ndim=2, err_to_str=True, doc="a two-column name/value range: multiplier, ipo, holiday, ..."
)
@xw.ret(expand="table")
@answered
def CPD_MARGIN(positions: Any, rpf: Any, field: Any = None, parameters: Any = None) -> Any:  # noqa: N802
    """HKSCC initial margin of a portfolio (VaR Platform guide v1.4), HKD: the breakdown, or one figure."""
    breakdown = _margin(positions, rpf, parameters).breakdown.as_dict()
    wanted = text_of(field).lower().replace(" ", "_")
    if not wanted:
        return table(("Component", "HKD"), list(breakdown.items()))
    if wanted not in breakdown:
        raise BadInput(f"field: {field!r} is not one of {', '.join(breakdown)}")
    return breakdown[wanted]


def _margin(positions: Any, rpf: Any, parameters: Any) -> Any:
    loaded = _rpf(rpf)
    rows = rows_of(positions, "positions")
    try:
        chosen = parameters_from(named_values(parameters, "parameters"))
    except InputRejected as exc:
        raise BadInput(str(exc)) from None
    try:
        return margin_rows(loaded, rows, chosen, "positions")
    except InputError as exc:
        first = exc.problems[0]
        where = f"row {first.line}" if first.line else ""
        field = f" [{first.field}]" if first.field else ""
        raise BadInput(f"positions {where}{field}: {first.message}".replace("  ", " ")) from None


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


__all__ = ["CPD_MARGIN", "CPD_MSTD", "CPD_RPF", "Rows"]
