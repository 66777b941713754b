"""Several rows of one instrument are one position for every margin component (the guide's
cross-day netting, §4.6): a long and a short row of 700 used to count twice towards the portfolio
margin's floor."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.batch import PortfolioBatch, portfolio_margin_batch
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.rpf import RiskParameterFile

LONG = Position("700", Decimal(830_000), Decimal(318_720_000), Decimal(332_000_000))
SHORT = Position("700", Decimal(-500_000), Decimal(-192_000_000), Decimal(-200_000_000))
NET = Position("700", Decimal(330_000), Decimal(126_720_000), Decimal(132_000_000))


def test_a_long_and_a_short_row_of_one_stock_are_margined_as_their_net(guide_rpf: RiskParameterFile) -> None:
    rows = calculate_margin(guide_rpf, [LONG, SHORT])
    netted = calculate_margin(guide_rpf, [NET])
    assert rows.portfolio.floor_base_hkd == Decimal(132_000_000)  # was 332,000,000 row by row
    assert rows.breakdown.portfolio_margin == 3_300_000  # 2.5% of 132,000,000 (was 8,300,000)
    assert rows.breakdown == netted.breakdown


def test_the_batch_nets_the_same_way(guide_rpf: RiskParameterFile) -> None:
    batch = PortfolioBatch.of([[LONG, SHORT], [NET]])
    margins = portfolio_margin_batch(guide_rpf, batch, frozenset(), MarginParameters().floor_rate)
    assert margins.margin.tolist() == [3_300_000, 3_300_000]
    assert margins.floor == [3_300_000, 3_300_000]


def test_netting_keeps_the_first_seen_order_and_sums_exactly() -> None:
    other = Position("1299", Decimal(1), Decimal("0.01"), Decimal("0.02"))
    assert net_by_instrument([LONG, other, SHORT]) == (NET, other)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_splitting_a_position_into_rows_changes_no_figure(
    data: st.DataObject,
    guide_rpf: RiskParameterFile,
    guide_positions: tuple[Position, ...],
    guide_parameters: MarginParameters,
) -> None:
    whole = calculate_margin(guide_rpf, guide_positions, guide_parameters)
    index = data.draw(st.integers(0, len(guide_positions) - 1))
    chosen = guide_positions[index]
    share = data.draw(st.integers(-3, 3))  # a part that may even have the other sign
    part = Position(chosen.instrument_id, Decimal(share), Decimal(share * 7), Decimal(share * 9))
    rest = Position(
        chosen.instrument_id,
        chosen.quantity - share,
        chosen.contract_value_hkd - share * 7,
        chosen.market_value_hkd - share * 9,
    )
    split = [*guide_positions[:index], part, rest, *guide_positions[index + 1 :]]
    assert calculate_margin(guide_rpf, split, guide_parameters).breakdown == whole.breakdown
