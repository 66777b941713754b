"""Multi-counter eligible securities (guide §4.4): positions traded on another currency counter
are combined into one risk position in the settlement counter's risk currency, after SSC/SCC.

A contract value is converted with the FX rate and the haircut against the CP: a payable
(amount > 0) is magnified (× (1 + haircut)), a receivable diminished (× (1 − haircut)). Rows of
one stock, trade date and settlement date then become one row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from cpdesk.engine.marginable.mtm import HKD, FxRate
from cpdesk.engine.marginable.netting import TradeRow
from cpdesk.engine.numbers import EXACT

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CombineStep:
    stock_code: str
    currency: str  # the risk currency
    lines: tuple[int | None, ...]
    quantity: int
    amount: Decimal
    converted_from: tuple[str, ...]  # the traded currencies converted


def combine_counters(
    rows: Sequence[TradeRow], risk_currency: Mapping[str, str], fx: Mapping[str, FxRate]
) -> tuple[tuple[TradeRow, ...], tuple[CombineStep, ...]]:
    """Rows with every multi-counter stock in its risk currency, one row per stock, trade date and
    settlement date (others unchanged, in their order). Raises KeyError naming a missing rate."""
    out: list[TradeRow] = []
    merged: dict[tuple[object, ...], int] = {}
    lines: dict[int, list[int | None]] = {}
    converted: dict[int, list[str]] = {}
    for row in rows:
        risk = risk_currency.get(row.stock_code)
        if risk is None:
            out.append(row)
            continue
        amount = row.amount if row.currency == risk else _converted(row.amount, row.currency, risk, fx)
        key = (row.stock_code, risk, row.trade_date, row.settlement_date, row.account)
        if key in merged:
            index = merged[key]
            first = out[index]
            # the merged row is already in the risk currency; only quantity and amount add up
            out[index] = replace(
                first, quantity=first.quantity + row.quantity, amount=EXACT.add(first.amount, amount)
            )
        else:
            index = len(out)
            merged[key] = index
            out.append(replace(row, currency=risk, amount=amount))
        lines.setdefault(index, []).append(row.line)
        if row.currency != risk:
            converted.setdefault(index, []).append(row.currency)
    steps = tuple(
        CombineStep(
            out[i].stock_code,
            out[i].currency,
            tuple(lines[i]),
            out[i].quantity,
            out[i].amount,
            tuple(converted.get(i, ())),
        )
        for i in merged.values()
    )
    return tuple(out), steps


def _converted(amount: Decimal, traded: str, risk: str, fx: Mapping[str, FxRate]) -> Decimal:
    rate = _rate(traded, fx) / _rate(risk, fx)
    haircut = max(fx[c].haircut for c in (traded, risk) if c != HKD)
    factor = Decimal(1) + haircut if amount > 0 else Decimal(1) - haircut
    value = EXACT.multiply(EXACT.multiply(amount, rate), factor)
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)


def _rate(currency: str, fx: Mapping[str, FxRate]) -> Decimal:
    return Decimal(1) if currency == HKD else fx[currency].rate
