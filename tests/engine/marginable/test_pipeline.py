"""The pipeline in the guide's order: each step's example still holds when the steps run together,
and with nothing to cover or adjust it is plain netting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cpdesk.engine.marginable import TradeRow, mark_to_market, net_across_days
from cpdesk.engine.marginable.corporate import CorporateAction
from cpdesk.engine.marginable.cover import StockCollateral
from cpdesk.engine.marginable.pipeline import PipelineInputs, marginable_positions

NOV = {d: date(2019, 11, d) for d in (1, 4, 5, 6, 7)}


def test_the_cross_day_example_through_the_pipeline() -> None:
    rows = (
        TradeRow(NOV[1], NOV[5], "5", "HKD", 400, Decimal(24_000)),
        TradeRow(NOV[4], NOV[6], "5", "HKD", -800, Decimal(-49_600)),
        TradeRow(NOV[5], NOV[7], "5", "HKD", 1200, Decimal(73_200)),
    )
    result = marginable_positions(rows, PipelineInputs(NOV[5], {"5": Decimal(70)}))
    (position,) = result.positions
    assert (position.quantity, position.contract_value, position.market_value) == (
        800,
        Decimal(47_600),
        Decimal(56_000),
    )
    assert result.mtm.favourable_mtm_hkd == 8_400  # 56,000 − 47,600


def test_cover_then_corporate_action_then_netting() -> None:
    rows = (
        TradeRow(NOV[4], NOV[6], "5", "HKD", -4_000, Decimal(-240_000), line=2),
        TradeRow(NOV[4], NOV[6], "5", "HKD", 400, Decimal(24_000), line=3),
    )
    inputs = PipelineInputs(
        NOV[5],
        {"5": Decimal(30), "DIV5": Decimal(0)},
        stock_collateral=[StockCollateral("5", NOV[6], 1_500)],
        corporate_actions=[
            CorporateAction(NOV[5], NOV[5], "HKMK", "5", "5", Decimal(2), "DIV5", Decimal("-0.78"))
        ],
    )
    result = marginable_positions(rows, inputs)
    by = {p.instrument_id: p for p in result.positions}
    # Cover: −4,000 → −2,500 / −150,000; split: −5,000 and +800; dividend on −2,500 and +400.
    assert (by["5"].quantity, by["5"].contract_value) == (-4_200, Decimal(-126_000))
    assert (by["DIV5"].quantity, by["DIV5"].contract_value) == (
        0,
        Decimal("1638.00"),
    )  # (−2,500 + 400) × −0.78
    assert [s.covered_quantity for s in result.stock_cover] == [1_500]
    assert len(result.corporate_actions) == 2


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["5", "700", "941"]), st.integers(-5_000, 5_000), st.integers(-(10**6), 10**6)
        ),
        max_size=12,
    )
)
def test_without_collateral_or_actions_it_is_plain_netting(trades: list[tuple[str, int, int]]) -> None:
    rows = tuple(TradeRow(NOV[4], NOV[6], code, "HKD", q, Decimal(a)) for code, q, a in trades)
    prices = {"5": Decimal(60), "700": Decimal(380), "941": Decimal(65)}
    plain = mark_to_market(net_across_days(rows)[0], prices)
    assert marginable_positions(rows, PipelineInputs(NOV[5], prices)).positions == plain
