"""Seed 004 (NGRM Briefing, Jan 2020): the three-day example's figures the guide's RPF reproduces.

The briefing's own RPF differs from the guide's in places (700's cash delta is 500 on day 1,
FieldType 7's old layout); only figures that do not depend on those differences are checked.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.portfolio import scenario_pnls
from cpdesk.engine.margin.positions import position
from cpdesk.engine.rpf import RiskParameterFile

MULTIPLIER_2 = MarginParameters(flat_rate_multiplier=Decimal(2))

DAY1 = [
    position("700", -500_000, -240_000_000, -250_000_000),
    position("658", -10_000_000, -62_000_000, -60_000_000),
    position("3606", 1_000_000, 28_000_000, 30_000_000),
    position("26883", 11_000_000, 300_000, 200_000),
]
DAY2 = [
    position("700", 1_000_000, 336_000_000, 400_000_000),  # day 1 and day 2 700 positions, cross-day netted
    position("658", -2_000_000, -12_400_000, -12_000_000),  # after 8,000,000 shares of SSC
    position("3606", 833_333, "23333333", 25_000_000),  # after HKD 5,000,000 of SCC
    position("26883", 11_000_000, 300_000, 200_000),
    position("DSP700", -100_000, 0, -50_000_000),
]
DAY3 = [position("700", 1_500_000, 576_000_000, 600_000_000)]


def test_day1_scenario_returns(guide_rpf: RiskParameterFile) -> None:
    hvar, svar = scenario_pnls(guide_rpf, ["700"], [-250_000_000_00])
    assert tuple(hvar[:2]) == (-3_477_500, 3_555_000)
    assert tuple(svar[:2]) == (-10_256_500, -23_218_250)
    hvar, svar = scenario_pnls(guide_rpf, ["26883"], [200_000_00])
    assert tuple(hvar[:2]) == (27_292, -25_853)
    assert tuple(svar[:2]) == (50_954, 132_065)
    hvar, _ = scenario_pnls(guide_rpf, ["700", "26883"], [-250_000_000_00, 200_000_00])
    assert tuple(hvar[:2]) == (-3_450_208, 3_529_147)


def test_rank_and_average_the_worst_six(guide_rpf: RiskParameterFile) -> None:
    """ "Rank" and "Average" slides: scenarios 1, 6, 5, 9, 10, 8 are the worst; their mean -3,108,229."""
    hvar, _ = scenario_pnls(guide_rpf, ["700", "26883"], [-250_000_000_00, 200_000_00])
    order = np.argsort(hvar, kind="stable")[:6] + 1
    assert sorted(order[:2]) == [1, 6]
    assert list(order[2:]) == [5, 9, 10, 8]
    assert [int(hvar[i - 1]) for i in (1, 6, 5, 9, 10, 8)] == [
        -3_450_208,
        -3_450_208,
        -3_362_160,
        -3_362_159,
        -3_362_159,
        -1_662_482,
    ]
    average = Fraction(int(np.sort(hvar)[:6].sum()), 6)
    assert round(average) == -3_108_229


def test_day1_flat_rate_floor_and_structured_product(guide_rpf: RiskParameterFile) -> None:
    day1 = calculate_margin(guide_rpf, DAY1, MULTIPLIER_2)
    assert day1.breakdown.flat_rate_margin == 14_400_000
    assert day1.breakdown.portfolio_margin_floor == 6_250_000
    assert day1.portfolio.floor_base_hkd == 250_000_000
    assert day1.breakdown.structured_product_addon == 55_000
    groups = {g.underlying: g for g in day1.liquidation.groups}
    assert groups["700"].delta_equivalent_mv_hkd == -200_000_000 + Decimal("1962400")


def test_day2_corporate_action_flat_rate_and_lra(guide_rpf: RiskParameterFile) -> None:
    day2 = calculate_margin(guide_rpf, DAY2, MULTIPLIER_2)
    b = day2.breakdown
    assert b.corporate_action_margin == 25_000_000
    assert b.flat_rate_margin == 6_000_000
    assert (b.lra_instrument, b.lra_portfolio) == (224_317, 223_532)
    assert b.lra_instrument + b.lra_portfolio == 447_849
    (group,) = day2.liquidation.groups
    assert group.delta_equivalent_mv_hkd == 401_962_400
    assert group.beta_hedge_mv_hkd == 361_766_160
    hvar, svar = scenario_pnls(guide_rpf, ["700"], [400_000_000_00])
    assert tuple(hvar[:2]) == (5_564_000, -5_688_000)
    assert tuple(svar[:2]) == (16_410_400, 37_149_200)


def test_day3_position_brought_down(guide_rpf: RiskParameterFile) -> None:
    day3 = calculate_margin(guide_rpf, DAY3, MarginParameters())
    assert (day3.breakdown.lra_instrument, day3.breakdown.lra_portfolio) == (660_000, 580_000)
    hvar, svar = scenario_pnls(guide_rpf, ["700"], [600_000_000_00])
    assert tuple(hvar[:2]) == (8_346_000, -8_532_000)
    assert tuple(svar[:2]) == (24_615_600, 55_723_800)


def test_day3_ipo_stock_added(guide_rpf: RiskParameterFile) -> None:
    positions = [*DAY3, position("1876", 100_000, 2_700_000, 3_000_000)]
    day3 = calculate_margin(guide_rpf, positions, MarginParameters(ipo_codes=frozenset({"1876"})))
    assert (day3.breakdown.lra_instrument, day3.breakdown.lra_portfolio) == (660_000, 587_200)
    assert day3.liquidation.beta_hedge_total_hkd == 543_600_000
    assert [sub.label for sub in day3.portfolio.sub_portfolios] == ["non-IPO", "IPO 1876"]
    hvar, svar = scenario_pnls(guide_rpf, ["1876"], [3_000_000_00])
    assert tuple(hvar[:2]) == (33_384, -44_367)
    assert tuple(svar[:2]) == (121_848, 228_468)
