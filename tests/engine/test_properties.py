"""Properties of the calculator that hold for any portfolio (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters, PositionLimitInputs, calculate_margin
from cpdesk.engine.margin.batch import PortfolioBatch, portfolio_margin_batch
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf import RiskParameterFile
from cpdesk.engine.rpf.synthetic import universe
from tests.support.margin_inputs import positions, synthetic_rpf

INSTRUMENTS = 40
NAMES = universe(INSTRUMENTS)
CODES = [*NAMES.scenario_instruments, *NAMES.tier_n, *NAMES.corporate_action_positions, "UNKNOWN1"]
IPO = frozenset({NAMES.stocks[1], NAMES.stocks[2]})


@pytest.fixture(scope="module")
def rpf() -> RiskParameterFile:
    return synthetic_rpf(INSTRUMENTS, seed=5)


portfolios = st.lists(positions(CODES), min_size=1, max_size=12)
PARAMS = MarginParameters(
    flat_rate_multiplier=Decimal("1.5"),
    ipo_codes=IPO,
    holiday=True,
    position_limit=PositionLimitInputs(Decimal(10_000_000), Decimal(3), None, Decimal("0.25")),
)
SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(portfolio=portfolios, data=st.data())
def test_order_of_positions_never_matters(
    rpf: RiskParameterFile, portfolio: list[Position], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(portfolio))
    assert (
        calculate_margin(rpf, shuffled, PARAMS).breakdown
        == calculate_margin(rpf, portfolio, PARAMS).breakdown
    )


@SETTINGS
@given(portfolio=portfolios, code=st.sampled_from(CODES), at=st.integers(min_value=0, max_value=12))
def test_a_zero_position_changes_nothing(
    rpf: RiskParameterFile, portfolio: list[Position], code: str, at: int
) -> None:
    with_zero = [*portfolio[:at], Position(code, Decimal(0), Decimal(0), Decimal(0)), *portfolio[at:]]
    assert (
        calculate_margin(rpf, with_zero, PARAMS).breakdown
        == calculate_margin(rpf, portfolio, PARAMS).breakdown
    )


@SETTINGS
@given(portfolio=portfolios, cut=st.integers(min_value=1), which=st.integers(min_value=0))
def test_splitting_a_position_differs_only_by_per_term_rounding(
    rpf: RiskParameterFile, portfolio: list[Position], cut: int, which: int
) -> None:
    index = which % len(portfolio)
    whole = portfolio[index]
    size = abs(int(whole.quantity))
    assume(size >= 2)
    part = 1 + cut % (size - 1)  # 1 .. size-1 units go to the first row, the rest to the second
    sign = 1 if whole.quantity > 0 else -1
    mv_cents = whole.market_value_cents * part // size
    cv_cents = whole.contract_value_cents * part // size
    first = Position(
        whole.instrument_id, Decimal(sign * part), Decimal(cv_cents).scaleb(-2), Decimal(mv_cents).scaleb(-2)
    )
    second = Position(
        whole.instrument_id,
        whole.quantity - first.quantity,
        whole.contract_value_hkd - first.contract_value_hkd,
        whole.market_value_hkd - first.market_value_hkd,
    )
    split = [*portfolio[:index], first, second, *portfolio[index + 1 :]]
    one = calculate_margin(rpf, portfolio, PARAMS).breakdown
    two = calculate_margin(rpf, split, PARAMS).breakdown
    assert abs(one.portfolio_margin - two.portfolio_margin) <= 2
    assert abs(one.corporate_action_margin - two.corporate_action_margin) <= 1
    assert abs(one.mtm - two.mtm) <= 2  # MV and CV are each rounded at position level
    assert one.flat_rate_margin == two.flat_rate_margin
    assert (one.lra_instrument, one.lra_portfolio) == (two.lra_instrument, two.lra_portfolio)
    assert one.structured_product_addon == two.structured_product_addon


@SETTINGS
@given(portfolio=portfolios)
def test_components_are_never_negative(rpf: RiskParameterFile, portfolio: list[Position]) -> None:
    figures = calculate_margin(rpf, portfolio, PARAMS).breakdown.as_dict()
    assert all(value >= 0 for name, value in figures.items() if name != "mtm")
    assert figures["favourable_mtm"] - figures["mtm_requirement"] == figures["mtm"]


@settings(
    parent=settings(),
    max_examples=max(25, settings().max_examples // 8),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(portfolios, min_size=1, max_size=15), st.booleans())
def test_batch_equals_one_at_a_time(rpf: RiskParameterFile, many: list[list[Position]], ipo: bool) -> None:
    params = PARAMS if ipo else replace(PARAMS, ipo_codes=frozenset())
    batch = portfolio_margin_batch(rpf, PortfolioBatch.of(many), params.ipo_codes, params.floor_rate)
    singles = [calculate_margin(rpf, p, params).breakdown for p in many]
    assert batch.margin.tolist() == [b.portfolio_margin for b in singles]
    assert batch.floor == [b.portfolio_margin_floor for b in singles]


def test_empty_batch_and_empty_portfolio(rpf: RiskParameterFile) -> None:
    empties = portfolio_margin_batch(rpf, PortfolioBatch.of([[], []]), IPO, Decimal("0.025"))
    assert empties.margin.tolist() == [0, 0]
    assert empties.floor == [0, 0]
    empty = calculate_margin(rpf, [], PARAMS).breakdown
    assert empty.total == 0
    assert empty.aggregated_rounded == 0
