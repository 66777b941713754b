"""Northbound Mainland Settlement Deposit (MSTD) requirement and its reconciliation (seed 003).

    daily   = (buy turnover + overdue short position + SPSA sell turnover) x rate          (R18)
    monthly = (average daily buy turnover + average overdue short position
               + average daily SPSA sell turnover) x rate                                 (R22)
    requirement = max(daily, monthly)                                                    (R24)

Amounts are in the trading currency (CNY) and rounded to the nearest dollar, halves up, as the
report's sample shows (2,630,748.50 x 18% = 473,534.73 -> 473,535).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cpdesk.engine.numbers import EXACT, round_off
from cpdesk.engine.reports.rmcnm01 import Rmcnm01Row

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MstdInputs:
    buy_turnover_cny: Decimal
    overdue_short_position_cny: Decimal
    spsa_sell_turnover_cny: Decimal
    average_daily_buy_turnover_cny: Decimal
    average_overdue_short_position_cny: Decimal
    average_daily_spsa_sell_turnover_cny: Decimal
    deposit_rate: Decimal  # a fraction: 18% is 0.18

    @classmethod
    def of(cls, row: Rmcnm01Row) -> MstdInputs:
        def amount(value: Decimal | None) -> Decimal:
            return ZERO if value is None else value

        return cls(
            amount(row.buy_turnover_cny),
            amount(row.overdue_short_position_cny),
            amount(row.spsa_sell_turnover_cny),
            amount(row.average_daily_buy_turnover_cny),
            amount(row.average_overdue_short_position_cny),
            amount(row.average_daily_spsa_sell_turnover_cny),
            row.deposit_rate,
        )


@dataclass(frozen=True, slots=True)
class MstdRequirement:
    daily_exact_cny: Decimal
    monthly_exact_cny: Decimal
    daily_cny: int
    monthly_cny: int
    requirement_cny: int


def mstd_requirement(inputs: MstdInputs) -> MstdRequirement:
    daily = EXACT.multiply(
        inputs.buy_turnover_cny + inputs.overdue_short_position_cny + inputs.spsa_sell_turnover_cny,
        inputs.deposit_rate,
    )
    monthly = EXACT.multiply(
        inputs.average_daily_buy_turnover_cny
        + inputs.average_overdue_short_position_cny
        + inputs.average_daily_spsa_sell_turnover_cny,
        inputs.deposit_rate,
    )
    daily_cny, monthly_cny = round_off(daily), round_off(monthly)
    return MstdRequirement(daily, monthly, daily_cny, monthly_cny, max(daily_cny, monthly_cny))


@dataclass(frozen=True, slots=True)
class Disagreement:
    record: int
    market: str
    field: str  # "R18 Daily MSTD Requirement" etc.
    reported_cny: Decimal | None
    recomputed_cny: Decimal


@dataclass(frozen=True, slots=True)
class RowReconciliation:
    row: Rmcnm01Row
    recomputed: MstdRequirement
    disagreements: tuple[Disagreement, ...]


def _agrees(reported: Decimal | None, exact: Decimal, rounded: int) -> bool:
    """The report's figure matches if it is the exact value, the whole-dollar value, or the exact
    value rounded to the places the report shows."""
    if reported is None:
        return False
    if reported in (exact, Decimal(rounded)):
        return True
    places = max(0, -int(reported.as_tuple().exponent))
    return reported == exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=EXACT)


def reconcile(row: Rmcnm01Row) -> RowReconciliation:
    """Recompute R18, R22 and R24 from the row's own inputs and name every figure that differs."""
    result = mstd_requirement(MstdInputs.of(row))
    requirement_exact = max(result.daily_exact_cny, result.monthly_exact_cny)
    checks = (
        (
            "R18 Daily MSTD Requirement",
            row.daily_mstd_requirement_cny,
            result.daily_exact_cny,
            result.daily_cny,
        ),
        (
            "R22 Monthly MSTD Requirement",
            row.monthly_mstd_requirement_cny,
            result.monthly_exact_cny,
            result.monthly_cny,
        ),
        ("R24 MSTD Requirement", row.mstd_requirement_cny, requirement_exact, result.requirement_cny),
    )
    disagreements = tuple(
        Disagreement(row.record, row.market, field, reported, Decimal(rounded))
        for field, reported, exact, rounded in checks
        if not _agrees(reported, exact, rounded)
    )
    return RowReconciliation(row, result, disagreements)
