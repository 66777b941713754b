"""The guide's §4.4 example: multi-counter positions combined into the risk currency (3 Jun 2024,
CNY 1 = HKD 1.1, haircut 3%)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cpdesk.engine.marginable import FxRate, TradeRow
from cpdesk.engine.marginable.counters import combine_counters

JUN3, JUN5 = date(2024, 6, 3), date(2024, 6, 5)
FX = {"CNY": FxRate(Decimal("1.1"), Decimal("0.03"))}


def test_the_guides_combined_risk_positions() -> None:
    rows = (
        TradeRow(JUN3, JUN5, "388", "HKD", -1_000, Decimal(-300_000), line=2),
        TradeRow(JUN3, JUN5, "388", "CNY", 2_500, Decimal(675_000), line=3),
        TradeRow(JUN3, JUN5, "700", "HKD", 500, Decimal(150_000), line=4),
        TradeRow(JUN3, JUN5, "700", "CNY", -1_000, Decimal(-270_000), line=5),
        TradeRow(JUN3, JUN5, "5", "HKD", 100, Decimal(6_000), line=6),  # not a multi-counter stock
    )
    combined, steps = combine_counters(rows, {"388": "HKD", "700": "HKD"}, FX)
    assert [(r.stock_code, r.currency, r.quantity, r.amount) for r in combined] == [
        ("388", "HKD", 1_500, Decimal("464775.00")),  # 675,000 × 1.1 × (1 + 3%): a payable magnified
        ("700", "HKD", -500, Decimal("-138090.00")),  # −270,000 × 1.1 × (1 − 3%): a receivable diminished
        ("5", "HKD", 100, Decimal(6_000)),
    ]
    assert [(s.stock_code, s.lines, s.converted_from) for s in steps] == [
        ("388", (2, 3), ("CNY",)),
        ("700", (4, 5), ("CNY",)),
    ]
