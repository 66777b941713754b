"""The whole way from a CP's unsettled trades to marginable positions, in the guide's order
(§4.3 → §4.4 → §4.5 → §4.6), then the MTM (§4.7) for the day-end or an intraday run (§4.8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cpdesk.engine.marginable.corporate import ActionStep, CorporateAction, apply_corporate_actions
from cpdesk.engine.marginable.counters import CombineStep, combine_counters
from cpdesk.engine.marginable.cover import (
    CashCollateral,
    CoverStep,
    StockCollateral,
    cover_long_positions,
    cover_short_positions,
)
from cpdesk.engine.marginable.intraday import OffsetStep, Settlement, run_1100, run_1400
from cpdesk.engine.marginable.mtm import FxRate, MtmResult, cross_currency_mtm
from cpdesk.engine.marginable.netting import (
    MarkedPosition,
    NettingStep,
    TradeRow,
    mark_to_market,
    net_across_days,
)


class Run(StrEnum):
    DAY_END = "day-end"
    AT_1100 = "11:00"
    AT_1400 = "14:00"


@dataclass(frozen=True, slots=True)
class PipelineInputs:
    business_date: date
    prices: Mapping[str, Decimal]  # per unit, in the instrument's (risk) currency
    fx: Mapping[str, FxRate] = field(default_factory=dict)
    stock_collateral: Sequence[StockCollateral] = ()
    cash_collateral: Sequence[CashCollateral] = ()
    risk_currency: Mapping[str, str] = field(default_factory=dict)  # multi-counter stocks
    corporate_actions: Sequence[CorporateAction] = ()
    run: Run = Run.DAY_END
    settlement: Settlement = field(default_factory=Settlement)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    positions: tuple[MarkedPosition, ...]
    mtm: MtmResult
    stock_cover: tuple[CoverStep, ...]
    cash_cover: tuple[CoverStep, ...]
    counters: tuple[CombineStep, ...]
    corporate_actions: tuple[ActionStep, ...]
    netting: tuple[NettingStep, ...]
    offset: OffsetStep | None


def marginable_positions(rows: Sequence[TradeRow], inputs: PipelineInputs) -> PipelineResult:
    """Raises KeyError naming an instrument without a price or a currency without an FX rate."""
    day = inputs.business_date
    after_ssc, ssc = cover_short_positions(rows, inputs.stock_collateral, day, inputs.fx)
    after_scc, scc = cover_long_positions(after_ssc, inputs.cash_collateral, day, inputs.fx)
    combined, counters = combine_counters(after_scc, inputs.risk_currency, inputs.fx)
    adjusted, actions = apply_corporate_actions(combined, inputs.corporate_actions)
    # Only the intraday runs set what settles today apart (per row: DueToday, else its date).
    netted, netting = net_across_days(adjusted, None if inputs.run is Run.DAY_END else day)
    marked = mark_to_market(netted, inputs.prices)
    offset = None
    if inputs.run is Run.AT_1100:
        marked, offset = run_1100(marked, inputs.settlement, inputs.fx)
    elif inputs.run is Run.AT_1400:
        marked = run_1400(marked)
    return PipelineResult(
        marked, cross_currency_mtm(marked, inputs.fx), ssc, scc, counters, actions, netting, offset
    )
