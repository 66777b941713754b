"""The guide's §4.3 examples of Specific Stock and Cash Collateral cover, to the share and cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cpdesk.engine.marginable import FxRate, TradeRow
from cpdesk.engine.marginable.cover import (
    CashCollateral,
    StockCollateral,
    cover_long_positions,
    cover_short_positions,
)

FX = {"CNY": FxRate(Decimal("1.1"), Decimal(0))}  # the example's CNY 1 = HKD 1.1
NOV = {d: date(2019, 11, d) for d in (1, 4, 5, 6, 7)}


def row(trade: date, settle: date, code: str, quantity: int, amount: int, currency: str = "HKD") -> TradeRow:
    return TradeRow(trade, settle, code, currency, quantity, Decimal(amount))


def shape(rows: tuple[TradeRow, ...]) -> list[tuple[str, str, int, Decimal]]:
    return [(r.stock_code, r.currency, r.quantity, r.amount) for r in rows]


def test_stock_collateral_on_5_november_2019() -> None:
    rows = (
        row(NOV[4], NOV[6], "5", -4_000, -240_000),
        row(NOV[1], NOV[5], "388", -1_500, -360_000),
        row(NOV[4], NOV[6], "700", -1_000, -300_000),
        row(NOV[4], NOV[6], "700", -10, 2_700, "CNY"),  # short with a payable: still covered
        row(NOV[4], NOV[6], "941", -1_000, -65_000),
        row(NOV[4], NOV[6], "941", -1_000, -60_000, "CNY"),
        row(NOV[5], NOV[7], "2828", -2_000, -120_000),
    )
    pledges = [
        StockCollateral("5", NOV[6], 1_500),
        StockCollateral("700", NOV[6], 1_500),
        StockCollateral("941", NOV[6], 1_500),
        StockCollateral("2828", NOV[7], 1_500),
        StockCollateral("388", NOV[5], 1_500),  # settles today: not allowed to cover
    ]
    covered, steps = cover_short_positions(rows, pledges, NOV[5], FX)
    assert shape(covered) == [
        ("5", "HKD", -2_500, Decimal(-150_000)),
        ("388", "HKD", -1_500, Decimal(-360_000)),
        ("700", "HKD", 0, Decimal(0)),
        ("700", "CNY", 0, Decimal(0)),
        ("941", "HKD", -500, Decimal(-32_500)),
        ("941", "CNY", 0, Decimal(0)),
        ("2828", "HKD", -500, Decimal(-30_000)),
    ]
    by_stock = {(s.stock_code, s.currency): s for s in steps}
    assert by_stock[("700", "HKD")].collateral_left == 500  # HKD first: average price 300 > 297
    assert by_stock[("700", "CNY")].collateral_left == 490
    assert by_stock[("941", "CNY")].collateral_left == 500  # CNY first: 66 > 65


def test_stock_collateral_on_a_half_trading_day() -> None:
    dec23, dec24, dec30 = date(2019, 12, 23), date(2019, 12, 24), date(2019, 12, 30)
    rows = (
        row(dec23, dec30, "5", -4_000, -240_000),
        row(dec24, dec30, "5", 2_000, 126_000),  # a long position is never covered by stock
        row(dec23, dec30, "700", -1_000, -330_000),
        # The guide prints this CNY row's amount in HKD: −720,000, so CNY −654,545.45 at 1.1.
        TradeRow(dec24, dec30, "700", "CNY", -2_000, Decimal("-654545.45")),
    )
    pledges = [StockCollateral("5", dec30, 2_500), StockCollateral("700", dec30, 2_500)]
    covered, _ = cover_short_positions(rows, pledges, dec24, FX)
    assert shape(covered) == [
        ("5", "HKD", -1_500, Decimal(-90_000)),
        ("5", "HKD", 2_000, Decimal(126_000)),
        ("700", "HKD", -500, Decimal(-165_000)),
        ("700", "CNY", 0, Decimal(0)),  # the higher average price (360 > 330): covered first
    ]


def test_cash_collateral_on_5_november_2019() -> None:
    rows = (
        row(NOV[4], NOV[6], "5", 4_000, 240_000),
        row(NOV[1], NOV[5], "388", 1_500, 360_000),
        row(NOV[4], NOV[6], "700", 100, 30_000),
        row(NOV[5], NOV[7], "5", 2_000, 180_000),
    )
    pledges = [
        CashCollateral("5", "HKD", NOV[4], Decimal(60_000)),
        CashCollateral("388", "HKD", NOV[1], Decimal(60_000)),
        CashCollateral("700", "HKD", NOV[4], Decimal(60_000)),
        CashCollateral("5", "HKD", NOV[5], Decimal(60_000)),
    ]
    covered, _ = cover_long_positions(rows, pledges, NOV[5], FX)
    assert shape(covered) == [
        ("5", "HKD", 3_000, Decimal(180_000)),
        ("388", "HKD", 1_500, Decimal(360_000)),  # settles today
        ("700", "HKD", 0, Decimal(0)),
        ("5", "HKD", 1_334, Decimal(120_000)),  # 1,333.33 rounded up: never understated
    ]


@given(
    quantity=st.integers(-10_000, 10_000),
    amount=st.integers(-(10**7), 10**7),
    pledged=st.integers(0, 20_000),
)
def test_a_cover_never_increases_an_exposure(quantity: int, amount: int, pledged: int) -> None:
    rows = (row(NOV[4], NOV[6], "5", quantity, amount),)
    (after,), _ = cover_short_positions(rows, [StockCollateral("5", NOV[6], pledged)], NOV[5], FX)
    assert abs(after.quantity) <= abs(quantity)
    assert abs(after.amount) <= abs(amount)
    (cashed,), _ = cover_long_positions(
        rows, [CashCollateral("5", "HKD", NOV[4], Decimal(pledged))], NOV[5], FX
    )
    assert abs(cashed.quantity) <= abs(quantity)
    assert abs(cashed.amount) <= abs(amount)
