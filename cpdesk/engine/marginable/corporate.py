"""Corporate action position adjustment (guide §4.5), after multi-counter combination.

For each action of HKEX's Corporate Action Position Adjustment Report, every position in its
instrument traded before the ex-date:

- keeps its contract value while its quantity is multiplied by the conversion ratio (bonus share,
  split, consolidation), under the converted instrument code when there is one (conversion);
- gains benefit entitlement positions computed from its quantity before the action: a cash
  dividend (``DIV`` code, quantity 0, contract value = quantity × dividend amount, HKD), a stock
  dividend (``DSP``, quantity × entitled quantity, contract value 0) and rights (``SRI``, quantity ×
  rights quantity, contract value 0).

Quantities are rounded down when positive and up when negative (footnote 60). Several actions on
one instrument apply one by one, in ex-date order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from cpdesk.engine.marginable.mtm import HKD
from cpdesk.engine.marginable.netting import TradeRow
from cpdesk.engine.numbers import EXACT


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """One line of the Corporate Action Position Adjustment Report (its twelve columns)."""

    business_date: date
    ex_date: date
    market: str
    instrument: str
    converted_instrument: str = ""
    conversion_ratio: Decimal | None = None
    cash_dividend_code: str = ""
    cash_dividend_amount: Decimal | None = None  # HKD per share, as the report prints it (−0.78)
    stock_dividend_code: str = ""
    entitled_stock_quantity: Decimal | None = None
    rights_code: str = ""
    rights_quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ActionStep:
    line: int | None
    instrument: str
    ex_date: date
    quantity_before: int
    quantity_after: int
    instrument_after: str
    entitlements: tuple[tuple[str, int, Decimal], ...]  # (code, quantity, contract value)


def entitled(quantity: int, per_share: Decimal) -> int:
    """``quantity`` × ``per_share``, rounded down when positive and up when negative."""
    exact = Fraction(quantity) * Fraction(per_share)
    return math.floor(exact) if exact >= 0 else math.ceil(exact)


def apply_corporate_actions(
    rows: Sequence[TradeRow], actions: Sequence[CorporateAction]
) -> tuple[tuple[TradeRow, ...], tuple[ActionStep, ...]]:
    """Rows after every action (entitlement rows right after the row they come from)."""
    current = list(rows)
    steps: list[ActionStep] = []
    for action in sorted(actions, key=lambda a: a.ex_date):
        adjusted: list[TradeRow] = []
        for row in current:
            if row.stock_code != action.instrument or row.trade_date >= action.ex_date:
                adjusted.append(row)
                continue
            changed, created = _apply(row, action)
            adjusted += [changed, *created]
            steps.append(
                ActionStep(
                    row.line,
                    row.stock_code,
                    action.ex_date,
                    row.quantity,
                    changed.quantity,
                    changed.stock_code,
                    tuple((c.stock_code, c.quantity, c.amount) for c in created),
                )
            )
        current = adjusted
    return tuple(current), tuple(steps)


def _apply(row: TradeRow, action: CorporateAction) -> tuple[TradeRow, list[TradeRow]]:
    before = row.quantity
    changed = row
    if action.conversion_ratio is not None:
        changed = replace(
            row,
            stock_code=action.converted_instrument or row.stock_code,
            quantity=entitled(before, action.conversion_ratio),
        )
    created = []
    if action.cash_dividend_code and action.cash_dividend_amount is not None:
        amount = EXACT.multiply(Decimal(before), action.cash_dividend_amount)
        created.append(
            replace(row, stock_code=action.cash_dividend_code, currency=HKD, quantity=0, amount=amount)
        )
    # A stock dividend and rights: a quantity per share held, no contract value.
    for code, per_share in (
        (action.stock_dividend_code, action.entitled_stock_quantity),
        (action.rights_code, action.rights_quantity),
    ):
        if code and per_share is not None:
            created.append(
                replace(row, stock_code=code, quantity=entitled(before, per_share), amount=Decimal(0))
            )
    return changed, created
