"""Marginable positions from a CP's own unsettled trades, as HKSCC makes them (IM Calculation
Guide v1.4 §4.3–4.8): each step a pure function over immutable rows, in the guide's order, and
each records what it did to every row. Built so far: SSC/SCC cover (§4.3, ``cover``), the
combination of multi-counter positions (§4.4, ``counters``), corporate actions (§4.5,
``corporate``), cross-day
netting (§4.6), cross-currency MTM netting (§4.7) and the intraday runs (§4.8, ``intraday``).
Still to come: reading the CSV inputs, one pipeline function, ``cpdesk positions`` and
``cpdesk margin --trades``."""

from cpdesk.engine.marginable.mtm import FxRate, MtmResult, cross_currency_mtm
from cpdesk.engine.marginable.netting import (
    MarkedPosition,
    NettedPosition,
    NettingStep,
    TradeRow,
    mark_to_market,
    net_across_days,
)

__all__ = [
    "FxRate",
    "MarkedPosition",
    "MtmResult",
    "NettedPosition",
    "NettingStep",
    "TradeRow",
    "cross_currency_mtm",
    "mark_to_market",
    "net_across_days",
]
