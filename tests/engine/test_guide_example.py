"""The HKSCC VaR Platform IM Calculation Guide v1.4 worked example (§3.2, §4.1), figure by figure."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from fractions import Fraction

import pytest

from cpdesk import samples
from cpdesk.engine.margin import MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.calculator import identify
from cpdesk.engine.margin.portfolio import scenario_pnls
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf import RiskParameterFile
from cpdesk.engine.rpf.model import FieldType
from tests.support.paths import SHARED_REFERENCE


@pytest.fixture(scope="module")
def result(
    guide_rpf: RiskParameterFile, guide_positions: tuple[Position, ...], guide_parameters: MarginParameters
) -> MarginResult:
    return calculate_margin(guide_rpf, guide_positions, guide_parameters)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("portfolio_margin", 10_000_000),
        ("flat_rate_margin", 15_180_000),
        ("lra_instrument", 176_827),
        ("lra_portfolio", 90_038),
        ("structured_product_addon", 550_000),
        ("corporate_action_margin", 2_500_000),
        ("holiday_addon", 18_433_039),
        ("aggregated", 46_929_904),
        ("aggregated_rounded", 46_930_000),
        ("mtm", -12_700_000),
        ("favourable_mtm", 0),
        ("mtm_requirement", 12_700_000),
        ("net_margin", 46_930_000),
        ("net_margin_after_credit", 41_930_000),
        # The guide divides by 300,450,000 where its own NMV is 300,550,000 and prints
        # 487,332 / 67,717,332; with the NMV it derived the add-on is 487,169.
        ("position_limit_addon", 487_169),
        ("total", 67_717_169),
        ("credit_risk_addon", 12_000_000),
        ("adhoc_addon", 600_000),
        ("margin_credit", 5_000_000),
        ("portfolio_margin_floor", 10_000_000),
    ],
)
def test_summary_figure(result: MarginResult, field: str, expected: int) -> None:
    assert result.breakdown.as_dict()[field] == expected


def test_lra_total_is_the_sum_of_both_levels(result: MarginResult) -> None:
    assert result.breakdown.lra_instrument + result.breakdown.lra_portfolio == 266_865


def test_first_scenario_pnl_of_each_sub_portfolio(guide_rpf: RiskParameterFile) -> None:
    """§3.2.4.1.1-2 step 1: scenario 1 and 2 portfolio returns, each term rounded off."""
    non_ipo = (
        ["700", "1299", "2823", "26883", "60954"],
        [-400_000_000_00, 80_000_000_00, 30_000_000_00, 2_000_000_00, 10_000_000_00],
    )
    cases = {
        "1876": ((["1876"], [3_000_000_00]), (33_384, -44_367), (121_848, 228_468)),
        "3690": ((["3690"], [7_000_000_00]), (85_687, -113_876), (312_746, 586_404)),
        # The guide's table prints -5,805,118 for scenario 1; its own working gives -5,085,118.
        "non-IPO": (non_ipo, (-5_085_118, 5_202_132), (-15_321_092, -35_058_992)),
    }
    for name, ((ids, cents), hvar_expected, svar_expected) in cases.items():
        hvar, svar = scenario_pnls(guide_rpf, ids, cents)
        assert tuple(hvar[:2]) == hvar_expected, name
        assert tuple(svar[:2]) == svar_expected, name


def test_non_ipo_hvar_matches_the_guide(result: MarginResult) -> None:
    """The guide's 10 printed HVaR scenarios hold the non-IPO portfolio's worst 6 of 1,000."""
    non_ipo = result.portfolio.sub_portfolios[0]
    assert non_ipo.label == "non-IPO"
    assert non_ipo.hvar_es_hkd == Fraction(-28_763_314, 6)  # -4,793,885.67
    assert round(float(non_ipo.hvar_es_hkd), 2) == -4_793_885.67


def test_tail_sizes_come_from_the_header_counts(result: MarginResult) -> None:
    # 6 of 1,000 HVaR scenarios; 21 of 1,018 SVaR scenarios, capped at the 10 the sample prints.
    assert result.portfolio.hvar_k == 6
    assert result.portfolio.svar_k == 10


def test_ipo_segregation(result: MarginResult) -> None:
    labels = {sub.label: sub.instruments for sub in result.portfolio.sub_portfolios}
    assert labels == {
        "non-IPO": ("700", "1299", "2823", "26883", "60954"),
        "IPO 1876": ("1876",),
        "IPO 3690": ("3690",),
    }


def test_portfolio_margin_floor(result: MarginResult) -> None:
    assert result.portfolio.floor_base_hkd == Decimal(400_000_000)
    assert result.portfolio.floor_hkd == 10_000_000


def test_flat_rate_groups(result: MarginResult) -> None:
    groups = {g.group: g for g in result.flat_rate.groups}
    assert (groups["1"].long_mv_hkd, groups["1"].short_mv_hkd, groups["1"].side) == (
        Decimal(30_000_000),
        Decimal(60_000_000),
        "short",
    )
    assert groups["1"].margin_hkd == 7_200_000
    assert (groups["2"].side, groups["2"].margin_hkd) == ("long", Decimal(225_000))
    assert (groups["3"].side, groups["3"].margin_hkd) == ("short", Decimal(165_000))


def test_liquidation_tables(result: MarginResult) -> None:
    groups = {g.underlying: g for g in result.liquidation.groups}
    assert {k: g.delta_equivalent_mv_hkd for k, g in groups.items()} == {
        "700": -380_376_000,
        "1299": 4_199_600,
        "1876": 3_000_000,
        "2823": 30_000_000,
        "3690": 7_000_000,
    }
    assert groups["700"].instrument_lra_hkd == Decimal("176827.2")
    assert {k: g.beta_hedge_mv_hkd for k, g in groups.items()} == {
        "700": -342_338_400,
        "1299": 4_619_560,
        "1876": 3_600_000,
        "2823": 30_000_000,
        "3690": 9_100_000,
    }
    assert result.liquidation.beta_hedge_total_hkd == -295_018_840


def test_structured_product_and_corporate_action_details(result: MarginResult) -> None:
    (charge,) = result.structured_products
    assert (charge.instrument_id, charge.tick_size_multiplier, charge.addon_hkd) == (
        "26883",
        Decimal(5),
        Decimal(550_000),
    )
    charges = {c.position_code: (c.net_mv_hkd, c.rate, c.margin_hkd) for c in result.corporate_actions}
    assert charges == {
        "DSP700": (Decimal(-4_000_000), Decimal("-0.5"), 2_000_000),
        "DIV1299": (Decimal(1_000_000), Decimal(0), 0),
        "SRI3606": (Decimal(1_000_000), Decimal("0.5"), 500_000),
    }


def test_position_limit_details(result: MarginResult) -> None:
    pla = result.position_limit
    assert pla.net_market_value_hkd == 300_550_000
    assert pla.capital_limit_hkd == 280_000_000
    assert pla.margin_base_hkd == 28_500_000  # round up 28,496,865 to 10,000
    assert pla.rate == Decimal("0.25")


def test_identification_table(guide_rpf: RiskParameterFile, guide_positions: tuple[Position, ...]) -> None:
    """§3.2.2: which FieldTypes apply to each position of the sample portfolio."""
    table = dict(identify(guide_rpf, guide_positions))
    ft = FieldType
    assert table["658"] == {ft.FLAT_RATE}
    assert table["700"] == {ft.HVAR_SCENARIOS, ft.SVAR_SCENARIOS, ft.BETA_HEDGE}
    assert table["26883"] == {
        ft.HVAR_SCENARIOS,
        ft.SVAR_SCENARIOS,
        ft.INSTRUMENT_DELTA,
        ft.STRUCTURED_PRODUCT,
    }
    assert table["60954"] == {ft.HVAR_SCENARIOS, ft.SVAR_SCENARIOS, ft.INSTRUMENT_DELTA}
    assert table["DSP700"] == table["DIV1299"] == table["SRI3606"] == {ft.CORPORATE_ACTION}


def test_no_holiday_addon_unless_asked(
    guide_rpf: RiskParameterFile, guide_positions: tuple[Position, ...], guide_parameters: MarginParameters
) -> None:
    from dataclasses import replace

    without = calculate_margin(guide_rpf, guide_positions, replace(guide_parameters, holiday=False)).breakdown
    assert without.holiday_addon == 0
    assert without.aggregated == 46_929_904 - 18_433_039


# SHA-256 of ../shared/reference's copies, so the check holds even where ../shared is absent.
REFERENCE_SHA256 = {
    "rpf01-guide-sample.csv": "6d4876f7e340a2b449575baa1080b5292c3be80ec90032aaf165b4d836f12661",
    "guide-sample-positions.csv": "b7ecc947129943a88d88c06795009aa3fe2c0522d626e24f0edf8b0584591151",
}


def test_shipped_samples_match_the_shared_reference() -> None:
    for shipped in (samples.GUIDE_RPF, samples.GUIDE_POSITIONS):
        assert hashlib.sha256(shipped.read_bytes()).hexdigest() == REFERENCE_SHA256[shipped.name]
        reference = SHARED_REFERENCE / shipped.name
        if reference.exists():
            assert shipped.read_bytes() == reference.read_bytes()


def test_terms_beyond_the_exact_range_are_refused(guide_rpf: RiskParameterFile) -> None:
    from cpdesk.engine.margin.positions import position
    from cpdesk.engine.problems import InputError

    huge = [position("26883", 1, 0, "500000000000000")]  # 5e14 HKD x 0.66 max return
    with pytest.raises(InputError, match="26883 times its largest return exceeds 100,000,000,000,000 HKD"):
        calculate_margin(guide_rpf, huge, MarginParameters())
