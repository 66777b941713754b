"""The guide's rounding rules, exactly."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin.components import holiday_addon
from cpdesk.engine.numbers import (
    EXACT,
    decimal_ratio,
    parse_decimal,
    round_cents,
    round_off,
    round_up_to_multiple,
    tail_count,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("176827.2"), 176_827),
        (Decimal("18433039.33"), 18_433_039),
        (Decimal("0.5"), 1),
        (Decimal("-0.5"), -1),
        (Decimal("2.5"), 3),
        (Decimal("-2.5"), -3),
        (Decimal("-2.4999999999"), -2),
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(-28_763_314, 6), -4_793_886),
        (7, 7),
    ],
)
def test_round_off_is_half_away_from_zero(value: Decimal | Fraction | int, expected: int) -> None:
    assert round_off(value) == expected


def test_round_off_refuses_floats() -> None:
    with pytest.raises(TypeError):
        round_off(2.5)  # type: ignore[arg-type]


def test_round_cents() -> None:
    assert [round_cents(c) for c in (150, -150, 149, -149, 0, 12_345_67)] == [2, -2, 1, -1, 0, 12_346]


def test_rounding_up_to_the_rounding_parameter() -> None:
    assert round_up_to_multiple(46_929_904, 10_000) == 46_930_000
    assert round_up_to_multiple(28_496_865, 10_000) == 28_500_000
    assert round_up_to_multiple(46_930_000, 10_000) == 46_930_000
    assert round_up_to_multiple(0, 10_000) == 0
    with pytest.raises(ValueError, match="rounding step"):
        round_up_to_multiple(1, 0)


def test_tail_count_is_computed_in_decimal() -> None:
    assert math.ceil((1 - 0.994) * 1000) == 7  # the binary floating point trap
    assert tail_count(Decimal("0.994"), 1000) == 6
    assert tail_count(Decimal("0.98"), 1018) == 21  # 20.36 rounded up
    assert tail_count(Decimal("0.5"), 1) == 1


@pytest.mark.parametrize("text", ["", "abc", "NaN", "inf", "1e", "--1"])
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"empty value|not a (finite )?number"):
        parse_decimal(text)


def test_parse_decimal_accepts_thousands_separators() -> None:
    assert parse_decimal(" -62,000,000 ") == Decimal(-62_000_000)


def test_combined_parses_keep_both_values_and_every_problem_in_order() -> None:
    from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity

    first = Parsed(1, (Problem("a.csv", 2, None, "odd", Severity.WARNING, ProblemCode.PRECISION),))
    second = Parsed("x", (Problem("b.csv", 3, "Qty", "bad", code=ProblemCode.BAD_VALUE),))
    both = first.combined_with(second)
    assert both.value == (1, "x")
    assert [str(p) for p in both.problems] == ["a.csv:2: odd (warning)", "b.csv:3: [Qty] bad"]
    assert [p.code for p in both.errors] == [ProblemCode.BAD_VALUE]
    assert not both.ok


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(min_value=0, max_value=10, places=10, allow_nan=False, allow_infinity=False),
)
def test_the_holiday_addon_in_integers_is_the_decimal_product_rounded_off(
    portfolio_margin: int, flat_rate_margin: int, factor: Decimal
) -> None:
    expected = round_off(EXACT.multiply(Decimal(portfolio_margin + flat_rate_margin), factor))
    assert holiday_addon(portfolio_margin, flat_rate_margin, factor) == expected
    assert decimal_ratio(factor) == factor.as_integer_ratio()


def test_the_holiday_addon_rounds_a_half_away_from_zero() -> None:
    assert holiday_addon(1, 0, Decimal("0.5")) == 1
    assert holiday_addon(-1, 0, Decimal("0.5")) == -1
    assert holiday_addon(3, 2, Decimal("0.1")) == 1  # 0.5
