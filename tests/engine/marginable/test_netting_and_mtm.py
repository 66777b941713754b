"""The guide's §4.6 (cross-day netting) and §4.7 (cross-currency MTM netting) examples, to the
dollar, and the properties the pipeline must keep."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cpdesk.engine.marginable import (
    FxRate,
    MarkedPosition,
    TradeRow,
    cross_currency_mtm,
    mark_to_market,
    net_across_days,
)

# §4.6: instrument 5 traded on three days, not yet settled.
ROWS_46 = (
    TradeRow(date(2019, 11, 1), date(2019, 11, 5), "5", "HKD", 400, Decimal(24_000), line=2),
    TradeRow(date(2019, 11, 4), date(2019, 11, 6), "5", "HKD", -800, Decimal(-49_600), line=3),
    TradeRow(date(2019, 11, 5), date(2019, 11, 7), "5", "HKD", 1200, Decimal(73_200), line=4),
)
# §4.7's FX rates and haircuts (CCMIR02).
FX = {"CNY": FxRate(Decimal("1.15"), Decimal("0.03")), "USD": FxRate(Decimal("7.8"), Decimal("0.01"))}


def _cp(sign: int) -> tuple[MarkedPosition, ...]:
    """§4.7's Clearing Participant A (sign 1) or B (sign -1, the counterparty on every trade)."""
    rows = (
        ("700", 100, 40_000, "HKD", "380"),
        ("80737", -5_000, -15_000, "CNY", "3.5"),
        ("3188", -600, -25_200, "CNY", "40"),
        ("3167", 100, 900, "USD", "9.5"),
    )
    return tuple(
        MarkedPosition(
            code,
            currency,
            sign * quantity,
            Decimal(sign * value),
            Decimal(price),
            Decimal(price) * sign * quantity,
        )
        for code, quantity, value, currency, price in rows
    )


def test_cross_day_netting_gives_the_guides_position() -> None:
    (netted,), (step,) = net_across_days(ROWS_46)
    assert (netted.instrument_id, netted.quantity, netted.contract_value) == ("5", 800, Decimal(47_600))
    assert (step.rows, step.lines) == (3, (2, 3, 4))
    (marked,) = mark_to_market([netted], {"5": Decimal(70)})
    assert marked.market_value == Decimal(56_000)  # $70 × 800


def test_cp_a_has_an_mtm_requirement_of_3154() -> None:
    result = cross_currency_mtm(_cp(1), FX)
    assert (result.mtm_requirement_hkd, result.favourable_mtm_hkd) == (3_154, 0)
    by = {c.currency: c for c in result.by_currency}
    assert by["HKD"].hkd == -2_000
    assert by["CNY"].hkd == -1_540  # (2,500 − 1,200) × 1.15 × (1 + 3%), a loss
    assert by["USD"].hkd == 386  # (−50) × 7.8 × (1 − 1%), a gain


def test_cp_b_has_a_favourable_mtm_of_3056() -> None:
    result = cross_currency_mtm(_cp(-1), FX)
    assert (result.favourable_mtm_hkd, result.mtm_requirement_hkd) == (3_056, 0)


@given(st.permutations(ROWS_46))
def test_netting_does_not_depend_on_the_order_of_the_rows(rows: list[TradeRow]) -> None:
    positions, _ = net_across_days(rows)
    assert [(p.quantity, p.contract_value) for p in positions] == [(800, Decimal(47_600))]


@given(st.integers(-2_000, 2_000), st.integers(-(10**6), 10**6))
def test_splitting_a_row_changes_no_netted_figure(quantity: int, cents: int) -> None:
    whole = ROWS_46[0]
    part = Decimal(cents) / 100
    split = (
        TradeRow(whole.trade_date, whole.settlement_date, "5", "HKD", quantity, part),
        TradeRow(
            whole.trade_date,
            whole.settlement_date,
            "5",
            "HKD",
            whole.quantity - quantity,
            whole.amount - part,
        ),
        *ROWS_46[1:],
    )
    assert net_across_days(split)[0] == net_across_days(ROWS_46)[0]
