"""Marginable positions from a CP's own trades (guide §4.3–4.8): the inputs read and checked, the
pipeline run, the positions in HKD for ``cpdesk margin``."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from cpdesk.engine.marginable.inputs import (
    read_cash_collateral,
    read_corporate_actions,
    read_counters,
    read_fx,
    read_prices,
    read_settlement,
    read_stock_collateral,
    read_trades,
)
from cpdesk.engine.marginable.intraday import Settlement
from cpdesk.engine.marginable.mtm import HKD, FxRate
from cpdesk.engine.marginable.netting import MarkedPosition
from cpdesk.engine.marginable.pipeline import PipelineInputs, PipelineResult, Run, marginable_positions
from cpdesk.engine.problems import Parsed, Problem, ProblemCode, errors_in
from cpdesk.engine.sources import Source, source_name

CENT = Decimal("0.01")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PositionsRequest:
    trades: Source
    business_date: date
    prices: Source
    fx: Source | None = None
    stock_collateral: Source | None = None
    cash_collateral: Source | None = None
    corporate_actions: Source | None = None
    counters: Source | None = None
    run: Run = Run.DAY_END
    settlement: Source | None = None


@dataclass(frozen=True, slots=True)
class HkdPosition:
    """A marginable position as ``cpdesk margin --positions`` reads it: amounts in HKD."""

    instrument_id: str
    quantity: int
    contract_value_hkd: Decimal
    market_value_hkd: Decimal


@dataclass(frozen=True, slots=True)
class PositionsOutcome:
    result: PipelineResult | None
    hkd_positions: tuple[HkdPosition, ...]
    problems: tuple[Problem, ...]


def positions(request: PositionsRequest) -> PositionsOutcome:
    problems: list[Problem] = []

    def take(parsed: Parsed[T]) -> T:
        problems.extend(parsed.problems)
        return parsed.value

    trades = take(read_trades(request.trades))
    prices = take(read_prices(request.prices))
    fx = take(read_fx(request.fx)) if request.fx is not None else {}
    ssc = take(read_stock_collateral(request.stock_collateral)) if request.stock_collateral else ()
    scc = take(read_cash_collateral(request.cash_collateral)) if request.cash_collateral else ()
    counters = take(read_counters(request.counters)) if request.counters is not None else {}
    actions = take(read_corporate_actions(request.corporate_actions)) if request.corporate_actions else ()
    settlement = take(read_settlement(request.settlement)) if request.settlement else Settlement()
    inputs = PipelineInputs(
        request.business_date, prices, fx, ssc, scc, counters, actions, request.run, settlement
    )
    accounts = sorted({row.account for row in trades if row.account})
    if len(accounts) > 1:
        shown = ", ".join(accounts[:5]) + (", ..." if len(accounts) > 5 else "")
        problems.append(
            Problem(
                source_name(request.trades),
                None,
                "Account",
                f"the file holds {len(accounts)} accounts ({shown}); one file is one portfolio: "
                "give each account's trades in a file of its own",
                code=ProblemCode.CONSISTENCY,
            )
        )
    if errors_in(problems):
        return PositionsOutcome(None, (), tuple(problems))
    try:
        result = marginable_positions(trades, inputs)
        hkd = tuple(_in_hkd(p, fx) for p in result.positions)
    except KeyError as exc:
        missing = str(exc.args[0]) if exc.args else str(exc)
        problems.append(Problem("inputs", None, None, missing, code=ProblemCode.INCOMPLETE))
        return PositionsOutcome(None, (), tuple(problems))
    return PositionsOutcome(result, hkd, tuple(problems))


def _in_hkd(p: MarkedPosition, fx: Mapping[str, FxRate]) -> HkdPosition:
    """The position's values at the FX rate (no haircut: the margin components apply their own)."""
    rate = Decimal(1) if p.currency == HKD else fx[p.currency].rate
    return HkdPosition(
        p.instrument_id,
        p.quantity,
        (p.contract_value * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        (p.market_value * rate).quantize(CENT, rounding=ROUND_HALF_UP),
    )


def hkd_positions_csv(positions: Sequence[HkdPosition]) -> bytes:
    """Positions as ``cpdesk margin --positions`` (and ``MarginRequest.positions``) reads them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["InstrumentID", "Quantity", "ContractValue", "MarketValue"])
    for p in positions:
        writer.writerow([p.instrument_id, p.quantity, p.contract_value_hkd, p.market_value_hkd])
    return buffer.getvalue().encode()
