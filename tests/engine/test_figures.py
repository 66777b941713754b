"""margin_breakdown (the compiled pass) gives exactly calculate_margin's breakdown and warnings."""

from __future__ import annotations

import gc
import math
import weakref
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.numbers import round_off
from cpdesk.engine.problems import InputError
from cpdesk.engine.rpf import RiskParameterFile
from tests.support.margin_inputs import INSTRUMENTS, KNOWN, NAMES, margin_parameters, positions, synthetic_rpf


@pytest.fixture(scope="module")
def rpf() -> RiskParameterFile:
    return synthetic_rpf(INSTRUMENTS, seed=5)


@st.composite
def fractional(draw: st.DrawFn, codes: list[str]) -> Position:
    """A position with a quantity of up to four decimal places."""
    base = draw(positions(codes))
    quantity = base.quantity + Decimal(draw(st.integers(min_value=-9999, max_value=9999))).scaleb(-4)
    return Position(base.instrument_id, quantity, base.contract_value_hkd, base.market_value_hkd)


@st.composite
def large(draw: st.DrawFn, codes: list[str]) -> Position:
    """A position big enough for its LRA group and the beta hedge total to pass their thresholds."""
    base = draw(positions(codes))
    scale = draw(st.sampled_from([10, 100]))
    return Position(
        base.instrument_id,
        base.quantity * scale,
        base.contract_value_hkd * scale,
        base.market_value_hkd * scale,
    )


def _same_as_calculate_margin(
    rpf: RiskParameterFile, portfolio: list[Position], params: MarginParameters
) -> None:
    try:
        alone = calculate_margin(rpf, portfolio, params)
    except InputError as refused:
        refusal = refused.problems
    else:
        found = margin_breakdown(rpf, portfolio, params)
        assert found.breakdown == alone.breakdown
        assert found.warnings == alone.warnings
        return
    with pytest.raises(InputError) as raised:
        margin_breakdown(rpf, portfolio, params)
    assert raised.value.problems == refusal


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.lists(positions([*KNOWN, "UNKNOWN1"]) | fractional(KNOWN) | large(KNOWN), min_size=0, max_size=14),
    margin_parameters,
)
def test_every_figure_equals_calculate_margin(
    rpf: RiskParameterFile, portfolio: list[Position], params: MarginParameters
) -> None:
    _same_as_calculate_margin(rpf, portfolio, params)


def test_the_guide_and_briefing_portfolios_give_the_same_figures(rpf: RiskParameterFile) -> None:
    # Same instrument on two rows (netted), a long and a short of one LRA group, a Tier N pair.
    stock, product = NAMES.stocks[0], NAMES.structured_products[0]
    portfolio = [
        Position(stock, Decimal(3_000_000), Decimal("1000.25"), Decimal("15000000.10")),
        Position(stock, Decimal(-500), Decimal(0), Decimal("-2500.05")),
        Position(product, Decimal(-2_000_000), Decimal(0), Decimal("-40000")),
        Position(NAMES.tier_n[0], Decimal(100), Decimal(0), Decimal("5000")),
        Position(NAMES.tier_n[1], Decimal(-100), Decimal(0), Decimal("-5000")),
    ]
    for params in (MarginParameters(), MarginParameters(ipo_codes=frozenset({stock}), holiday=True)):
        _same_as_calculate_margin(rpf, portfolio, params)


def _near_halves(values: range, exact: object, naive: object) -> list[int]:
    """The values whose float computation alone rounds off to another whole HKD than the exact."""
    assert callable(exact)
    assert callable(naive)
    return [v for v in values if math.floor(naive(v) + 0.5) != exact(v)]


def test_a_flat_rate_margin_float_alone_rounds_wrong_is_exact(rpf: RiskParameterFile) -> None:
    code = NAMES.tier_n[0]
    rate, multiplier = rpf.flat_rates[code], Decimal("1.15")
    wrong = _near_halves(
        range(1, 200_000),
        lambda cents: round_off(Decimal(cents) / 100 * rate * multiplier),
        lambda cents: float(cents) * float(rate) * float(multiplier) / 100.0,
    )
    assert wrong, "no amount near a half found: the test would prove nothing"
    params = MarginParameters(flat_rate_multiplier=multiplier)
    for cents in wrong[:20]:
        mv = Decimal(cents).scaleb(-2)
        found = margin_breakdown(rpf, [Position(code, Decimal(1), mv, mv)], params)
        assert found.breakdown.flat_rate_margin == round_off(mv * rate * multiplier)
        _same_as_calculate_margin(rpf, [Position(code, Decimal(1), mv, mv)], params)


def test_a_structured_product_addon_float_alone_rounds_wrong_is_exact(rpf: RiskParameterFile) -> None:
    code = next(iter(rpf.structured_products))
    tick = rpf.structured_products[code].tick_size_multiplier
    minimum = Decimal("0.0021")
    wrong = _near_halves(
        range(1, 400_000),
        lambda q: round_off(Decimal(q) * tick * minimum),
        lambda q: float(q) * float(tick) * float(minimum),
    )
    assert wrong, "no quantity near a half found: the test would prove nothing"
    params = MarginParameters(minimum_tick_size_hkd=minimum)
    for q in wrong[:20]:
        found = margin_breakdown(rpf, [Position(code, Decimal(q), Decimal(0), Decimal(1))], params)
        assert found.breakdown.structured_product_addon == round_off(Decimal(q) * tick * minimum)


def test_exact_halves_round_away_from_zero(rpf: RiskParameterFile) -> None:
    # 0.5 x rate on a corporate action position: net MV 1.01 at 0.5 gives 0.505 -> 1; 3.00 at
    # 0.5 gives exactly 1.5 -> 2 (a half, which float alone cannot be sure of).
    code = NAMES.corporate_action_positions[0]
    for net, expected in ((Decimal("1.01"), 1), (Decimal("3.00"), 2), (Decimal("-3.00"), 2)):
        portfolio = [Position(code, Decimal(1), Decimal(0), net)]
        assert margin_breakdown(rpf, portfolio).breakdown.corporate_action_margin == expected
        _same_as_calculate_margin(rpf, portfolio, MarginParameters())


def test_what_the_decimal_path_refuses_is_refused_with_its_words(rpf: RiskParameterFile) -> None:
    stock = Position(NAMES.stocks[3], Decimal(1000), Decimal(100), Decimal(100))
    for hedge in ("NOT-IN-RPF", NAMES.structured_products[0]):
        with pytest.raises(InputError, match="has no FieldType 4 row"):
            margin_breakdown(rpf, [stock], replace(MarginParameters(), hedge_instrument=hedge))
    codes = NAMES.stocks[3:6]
    too_large = [
        Position(
            code,
            Decimal(1),
            Decimal(0),
            Decimal(int(6e13 / rpf.scenarios.max_abs_return[rpf.scenarios.index[code]])),
        )
        for code in codes
    ]
    with pytest.raises(InputError, match="add up past 100,000,000,000,000 HKD"):
        margin_breakdown(rpf, too_large)


def test_sizes_past_64_bits_and_float_range_go_to_the_decimal_path(rpf: RiskParameterFile) -> None:
    stock, product = NAMES.stocks[3], NAMES.structured_products[2]
    huge_quantity = Position(stock, Decimal(999_999_999_999_999), Decimal(1), Decimal(1))
    huge_amount = Position(NAMES.tier_n[0], Decimal(1), Decimal(1), Decimal(10) ** 17)  # 10^19 cents
    long_product = Position(product, Decimal(10) ** 40, Decimal(0), Decimal(1))  # past 2^52 HKD
    for portfolio in ([huge_quantity], [huge_quantity] * 3, [huge_amount], [long_product]):
        _same_as_calculate_margin(rpf, portfolio, MarginParameters())


def test_an_rpf_is_freed_with_its_figure_tables() -> None:
    held = synthetic_rpf(INSTRUMENTS, seed=6, name="gone.csv")
    margin_breakdown(held, [Position(NAMES.stocks[3], Decimal(1000), Decimal(100), Decimal(100))])
    gone = weakref.ref(held)
    del held
    gc.collect()
    assert gone() is None


def test_an_empty_portfolio_and_unknown_instruments(rpf: RiskParameterFile) -> None:
    assert margin_breakdown(rpf, []).breakdown == calculate_margin(rpf, []).breakdown
    unknown = [Position("NOPE", Decimal(1), Decimal("1.50"), Decimal("2.50"))]
    found = margin_breakdown(rpf, unknown)
    assert [w.field for w in found.warnings] == ["NOPE"]
    assert found.breakdown.mtm == np.int64(1)  # 3 - 2: each amount rounded off at position level


def test_the_property_examples_reach_every_component(rpf: RiskParameterFile) -> None:
    # Guards the property test above: its portfolios must make each figure non-zero somewhere.
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None)
    @given(st.lists(positions(KNOWN) | large(KNOWN), min_size=1, max_size=14))
    def collect(portfolio: list[Position]) -> None:
        found = margin_breakdown(rpf, portfolio, MarginParameters(minimum_tick_size_hkd=Decimal("0.0021")))
        seen.update(name for name, value in found.breakdown.as_dict().items() if value)

    collect()
    assert {"flat_rate_margin", "lra_instrument", "lra_portfolio", "structured_product_addon"} <= seen
    assert {"corporate_action_margin", "portfolio_margin"} <= seen
