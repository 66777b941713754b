"""The guide's §4.5 examples of corporate action position adjustment (ex-date 5 Nov 2019)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cpdesk.engine.marginable import TradeRow
from cpdesk.engine.marginable.corporate import CorporateAction, apply_corporate_actions, entitled

NOV4, NOV5, NOV7 = date(2019, 11, 4), date(2019, 11, 5), date(2019, 11, 7)
ROWS = (
    TradeRow(NOV4, NOV7, "5", "HKD", 400, Decimal(24_000), line=2),
    TradeRow(NOV5, NOV7, "5", "HKD", -600, Decimal(-20_000), line=3),  # traded on the ex-date
)


def action(**fields: object) -> CorporateAction:
    return CorporateAction(NOV5, NOV5, "HKMK", "5", **fields)  # type: ignore[arg-type]


SPLIT = {"converted_instrument": "5", "conversion_ratio": Decimal(2)}
DIV = {"cash_dividend_code": "DIV5", "cash_dividend_amount": Decimal("-0.78")}
DSP = {"stock_dividend_code": "DSP5", "entitled_stock_quantity": Decimal("0.13")}
SRI = {"rights_code": "SRI5", "rights_quantity": Decimal("1.5")}


def shape(rows: tuple[TradeRow, ...]) -> list[tuple[date, str, int, Decimal]]:
    return [(r.trade_date, r.stock_code, r.quantity, r.amount) for r in rows]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (SPLIT, [(NOV4, "5", 800, Decimal(24_000))]),
        (DIV, [(NOV4, "5", 400, Decimal(24_000)), (NOV4, "DIV5", 0, Decimal(-312))]),
        (DSP, [(NOV4, "5", 400, Decimal(24_000)), (NOV4, "DSP5", 52, Decimal(0))]),
        (SRI, [(NOV4, "5", 400, Decimal(24_000)), (NOV4, "SRI5", 600, Decimal(0))]),
        (
            SPLIT | DIV | DSP | SRI,
            [
                (NOV4, "5", 800, Decimal(24_000)),
                (NOV4, "DIV5", 0, Decimal(-312)),
                (NOV4, "DSP5", 52, Decimal(0)),
                (NOV4, "SRI5", 600, Decimal(0)),
            ],
        ),
    ],
    ids=["split", "cash-dividend", "stock-dividend", "rights", "all-four"],
)
def test_the_guides_adjustments(fields: dict[str, object], expected: list[object]) -> None:
    adjusted, steps = apply_corporate_actions(ROWS, [action(**fields)])
    # The position traded on the ex-date is untouched, after every adjustment of the one before.
    assert shape(adjusted) == [*expected, (NOV5, "5", -600, Decimal(-20_000))]
    (step,) = steps
    assert (step.line, step.quantity_before) == (2, 400)


def test_stock_conversion_changes_the_code() -> None:
    rows = (TradeRow(NOV4, NOV7, "8359", "HKD", 5_000, Decimal(6_650)),)
    conversion = CorporateAction(NOV5, NOV5, "HKMK", "8359", "150", Decimal(1))
    adjusted, _ = apply_corporate_actions(rows, [conversion])
    assert shape(adjusted) == [(NOV4, "150", 5_000, Decimal(6_650))]


def test_actions_on_several_ex_dates_apply_one_by_one() -> None:
    later = CorporateAction(NOV7, NOV7, "HKMK", "5", "5", Decimal(3))
    adjusted, steps = apply_corporate_actions(ROWS, [later, action(**SPLIT)])
    # 400 × 2 on 5 Nov, then × 3 on 7 Nov; the 5 Nov trade is before the 7 Nov ex-date: × 3 only.
    assert shape(adjusted) == [(NOV4, "5", 2_400, Decimal(24_000)), (NOV5, "5", -1_800, Decimal(-20_000))]
    assert [s.ex_date for s in steps] == [NOV5, NOV7, NOV7]


@pytest.mark.parametrize(("quantity", "expected"), [(7, 0), (-7, 0), (8, 1), (-8, -1)])
def test_entitlements_round_towards_zero(quantity: int, expected: int) -> None:
    assert entitled(quantity, Decimal("0.13")) == expected  # footnote 60
