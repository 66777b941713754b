"""The columnar path gives every account exactly the breakdown calculate_margin gives it alone."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.columnar import PositionColumns, margin_columns
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.problems import InputError
from cpdesk.engine.rpf import RiskParameterFile
from tests.support.margin_inputs import INSTRUMENTS, KNOWN, NAMES, margin_parameters, positions, synthetic_rpf


@pytest.fixture(scope="module")
def rpf() -> RiskParameterFile:
    return synthetic_rpf(INSTRUMENTS, seed=5)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.lists(st.lists(positions([*KNOWN, "UNKNOWN1"]), min_size=1, max_size=10), min_size=1, max_size=8),
    margin_parameters,
)
def test_every_account_equals_calculate_margin_alone(
    rpf: RiskParameterFile, accounts: list[list[Position]], params: MarginParameters
) -> None:
    found = margin_columns(rpf, PositionColumns.of(accounts), params)
    for portfolio, breakdown, exact in zip(accounts, found.breakdowns, found.exact_path, strict=True):
        try:
            alone = calculate_margin(rpf, portfolio, params)
        except InputError:
            assert exact, "an account calculate_margin refuses must go to it, to be told why"
            continue
        if exact:  # where calculate_margin has something to say (or a bound is near the limit)
            assert breakdown is None
        else:
            assert breakdown == alone.breakdown
            assert not alone.warnings


def test_a_missing_hedge_sends_only_accounts_with_lra_to_the_exact_path(rpf: RiskParameterFile) -> None:
    stock = Position(NAMES.stocks[3], Decimal(1000), Decimal(100), Decimal(100))
    tier_n = Position(NAMES.tier_n[0], Decimal(1000), Decimal(100), Decimal(100))
    # Not in the RPF at all, or a structured product (its LRA terms are its underlying's, but it
    # has no FieldType 4 row of its own).
    for hedge in ("NOT-IN-RPF", NAMES.structured_products[0]):
        params = replace(MarginParameters(), hedge_instrument=hedge)
        found = margin_columns(rpf, PositionColumns.of([[stock], [tier_n]]), params)
        assert found.exact_path.tolist() == [True, False]
        assert found.breakdowns[1] == calculate_margin(rpf, [tier_n], params).breakdown
        with pytest.raises(InputError, match="has no FieldType 4 row"):
            calculate_margin(rpf, [stock], params)


def test_an_rpf_margined_is_freed_with_its_tables_when_nothing_else_holds_it() -> None:
    # The tables are kept with the RPF (weakly keyed): margin history over a year of files must
    # not keep every file's scenario matrix alive.
    import gc
    import weakref

    held = synthetic_rpf(INSTRUMENTS, seed=6, name="gone.csv")
    stock = Position(NAMES.stocks[3], Decimal(1000), Decimal(100), Decimal(100))
    calculate_margin(held, [stock])
    margin_columns(held, PositionColumns.of([[stock]]), MarginParameters())
    gone = weakref.ref(held)
    del held
    gc.collect()
    assert gone() is None


def test_an_account_whose_totals_could_pass_64_bits_goes_to_the_exact_path(rpf: RiskParameterFile) -> None:
    # 10,000 rows of the largest whole quantity sum past 2^63: wrapped, they would be nonsense.
    big = Position(NAMES.stocks[3], Decimal(999_999_999_999_999), Decimal(1), Decimal(1))
    small = Position(NAMES.stocks[3], Decimal(1000), Decimal(100), Decimal(100))
    found = margin_columns(rpf, PositionColumns.of([[big] * 10_000, [small]]), MarginParameters())
    assert found.exact_path.tolist() == [True, False]
    assert found.breakdowns[1] == calculate_margin(rpf, [small]).breakdown


def test_terms_each_within_range_whose_sum_is_not_are_refused_not_summed_inexactly(
    rpf: RiskParameterFile,
) -> None:
    # Each |MV| x max |return| is 6e13 HKD, under the 1e14 a term may reach; three of them are
    # not: the float sums of the scenario P&L would no longer be exact.
    codes = NAMES.stocks[3:6]
    rows = [rpf.scenarios.index[code] for code in codes]
    positions = [
        Position(code, Decimal(1), Decimal(0), Decimal(int(6e13 / rpf.scenarios.max_abs_return[row])))
        for code, row in zip(codes, rows, strict=True)
    ]
    with pytest.raises(InputError, match="add up past 100,000,000,000,000 HKD"):
        calculate_margin(rpf, positions)
    assert calculate_margin(rpf, positions[:1]).breakdown.portfolio_margin > 0
    found = margin_columns(rpf, PositionColumns.of([positions, positions[:1]]), MarginParameters())
    assert found.exact_path.tolist() == [True, False]


def test_structured_product_addons_of_exactly_a_half_are_rounded_in_the_compiled_pass(
    rpf: RiskParameterFile,
) -> None:
    # Multiplier 5 x minimum tick 0.001 x quantity: an odd hundred is a half (100 -> 0.5 HKD),
    # which no float error bound can round; counted in thousandths it is exact.
    product = NAMES.structured_products[0]
    assert rpf.structured_products[product].tick_size_multiplier == 5
    accounts = [[Position(product, Decimal(q), Decimal(1), Decimal(1))] for q in range(100, 3000, 100)]
    found = margin_columns(rpf, PositionColumns.of(accounts), MarginParameters())
    addons = []
    for portfolio, breakdown in zip(accounts, found.breakdowns, strict=True):
        assert breakdown == calculate_margin(rpf, portfolio).breakdown
        addons.append(breakdown.structured_product_addon)
    assert not found.exact_path.any()
    assert addons[:4] == [1, 1, 2, 2]  # 0.5, 1.0, 1.5, 2.0: halves away from zero
    # A minimum tick with more places than the pass can count in leaves halves to the exact path.
    fine = replace(MarginParameters(), minimum_tick_size_hkd=Decimal("0.0000000001"))
    tiny = [[Position(product, Decimal(10**9), Decimal(1), Decimal(1))]]  # 0.5 HKD
    assert margin_columns(rpf, PositionColumns.of(tiny), fine).exact_path.tolist() == [True]
    assert calculate_margin(rpf, tiny[0], fine).breakdown.structured_product_addon == 1
