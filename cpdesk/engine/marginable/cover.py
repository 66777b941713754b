"""Specific Stock / Cash Collateral position cover (guide §4.3): positions a CP has covered with
collateral pledged in CCMS leave the MTM and margin calculation.

- Stock collateral (SSC, §4.3.1) covers short positions (quantity < 0), pledged by settlement
  counter stock code and settlement date; the counters of a multi-counter security share the code,
  so they are one stock. Within a stock, the position with the higher average price (|amount /
  quantity|, in HKD) is covered first; a position's amount is reduced pro rata to the quantity
  left; a long position is never covered (a half trading day's long/short pair keeps its long).
- Cash collateral (SCC, §4.3.2) covers long positions (quantity > 0, amount > 0), arranged by
  stock code, currency and trade date; a position's quantity is reduced pro rata to the amount
  left, rounded up so that the uncovered quantity is never understated.
- Neither covers a position settling on the business date or before; collateral beyond the
  positions is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from cpdesk.engine.marginable.mtm import HKD, FxRate
from cpdesk.engine.marginable.netting import TradeRow
from cpdesk.engine.numbers import EXACT

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class StockCollateral:
    stock_code: str  # the settlement counter's
    settlement_date: date
    quantity: int


@dataclass(frozen=True, slots=True)
class CashCollateral:
    stock_code: str
    currency: str
    trade_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CoverStep:
    """What a cover did to one row."""

    line: int | None
    stock_code: str
    currency: str
    covered_quantity: int
    covered_amount: Decimal
    collateral_left: Decimal  # quantity (SSC) or amount (SCC) of the pledge after this row
    note: str


def cover_short_positions(
    rows: Sequence[TradeRow],
    pledges: Sequence[StockCollateral],
    business_date: date,
    fx: Mapping[str, FxRate],
) -> tuple[tuple[TradeRow, ...], tuple[CoverStep, ...]]:
    """Rows after the stock collateral's cover (in their order), and what it did to each."""
    left = _pledged({(p.stock_code, p.settlement_date): Decimal(p.quantity) for p in pledges})
    out = list(rows)
    steps = []
    candidates = [
        i
        for i, r in enumerate(rows)
        if r.quantity < 0 and r.settlement_date > business_date and (r.stock_code, r.settlement_date) in left
    ]
    candidates.sort(key=lambda i: -_average_price_hkd(rows[i], fx))  # stable: ties in their order
    for i in candidates:
        row = rows[i]
        key = (row.stock_code, row.settlement_date)
        covered = min(-row.quantity, int(left[key]))
        if covered <= 0:
            continue
        left[key] -= covered
        remaining = row.quantity + covered
        amount = _pro_rata(row.amount, remaining, row.quantity)
        out[i] = replace(row, quantity=remaining, amount=amount)
        note = "fully covered" if remaining == 0 else f"{covered:,} of {-row.quantity:,} covered"
        steps.append(
            CoverStep(row.line, row.stock_code, row.currency, covered, row.amount - amount, left[key], note)
        )
    return tuple(out), tuple(steps)


def cover_long_positions(
    rows: Sequence[TradeRow],
    pledges: Sequence[CashCollateral],
    business_date: date,
    fx: Mapping[str, FxRate],
) -> tuple[tuple[TradeRow, ...], tuple[CoverStep, ...]]:
    """Rows after the cash collateral's cover (in their order), and what it did to each."""
    left = _pledged({(p.stock_code, p.currency, p.trade_date): p.amount for p in pledges})
    out = list(rows)
    steps = []
    candidates = [
        i
        for i, r in enumerate(rows)
        if r.quantity > 0
        and r.amount > 0
        and r.settlement_date > business_date
        and (r.stock_code, r.currency, r.trade_date) in left
    ]
    candidates.sort(key=lambda i: -_average_price_hkd(rows[i], fx))
    for i in candidates:
        row = rows[i]
        key = (row.stock_code, row.currency, row.trade_date)
        covered = min(row.amount, left[key])
        if covered <= 0:
            continue
        left[key] -= covered
        amount = row.amount - covered
        # The quantity left in proportion to the amount left, rounded up: never understated.
        quantity = math.ceil(Fraction(row.quantity) * Fraction(amount) / Fraction(row.amount))
        out[i] = replace(row, quantity=quantity, amount=amount)
        note = "fully covered" if quantity == 0 else f"{covered:,} of {row.amount:,} covered"
        steps.append(
            CoverStep(
                row.line, row.stock_code, row.currency, row.quantity - quantity, covered, left[key], note
            )
        )
    return tuple(out), tuple(steps)


def _pledged(pledges: Mapping[object, Decimal]) -> dict[object, Decimal]:
    return {key: value for key, value in pledges.items() if value > 0}


def _average_price_hkd(row: TradeRow, fx: Mapping[str, FxRate]) -> Decimal:
    """|amount / quantity| in HKD (the order of cover within a stock)."""
    rate = Decimal(1) if row.currency == HKD else fx[row.currency].rate
    return EXACT.multiply(abs(EXACT.divide(row.amount, Decimal(row.quantity))), rate)


def _pro_rata(amount: Decimal, part: int, whole: int) -> Decimal:
    """``amount`` × part / whole, to the cent (halves away from zero)."""
    value = EXACT.divide(EXACT.multiply(amount, Decimal(part)), Decimal(whole))
    return (
        value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)
        if value != value.to_integral_value()
        else value
    )
