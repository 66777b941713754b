"""The P&L kernel rounds every (market value x return) term exactly, halves away from zero."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin.kernel import (
    MAX_ABS_TERM_HKD,
    bare_tail_sums,
    scenario_pnl,
    smallest_sum,
    tail_sums,
)
from cpdesk.engine.rpf.checks import MAX_ABS_RETURN, row_checks


def exact(cents: int, ret: Decimal) -> int:
    return int((Decimal(cents) / 100 * ret).to_integral_value(rounding=ROUND_HALF_UP))


def kernel_terms(cents: list[int], returns: list[Decimal]) -> list[int]:
    """Each (cents[i], returns[i]) as its own one-position portfolio over one scenario."""
    out = []
    for c, r in zip(cents, returns, strict=True):
        matrix = np.array([[float(r)]])
        max_abs, _ = row_checks(matrix)
        pnl = scenario_pnl(
            matrix, max_abs, np.array([0]), np.array([c / 100.0]), np.array([c], dtype=np.int64)
        )
        out.append(int(pnl[0]))
    return out


returns_10dp = st.decimals(min_value=Decimal(-99_999), max_value=Decimal(99_999), places=10, allow_nan=False)
cents_values = st.one_of(
    st.integers(min_value=-(10**14), max_value=10**14), st.integers(min_value=-(10**18), max_value=10**18)
)


@settings()
@given(st.lists(st.tuples(cents_values, returns_10dp), min_size=1, max_size=20))
@example([(-400_000_000_00, Decimal("0.01391")), (2_000_000_00, Decimal("0.136461"))])
def test_terms_match_decimal_arithmetic(pairs: list[tuple[int, Decimal]]) -> None:
    assume(all(abs(c / 100 * float(r)) < MAX_ABS_TERM_HKD for c, r in pairs))
    cents = [c for c, _ in pairs]
    rets = [r for _, r in pairs]
    assert kernel_terms(cents, rets) == [exact(c, r) for c, r in pairs]


@settings()
@given(
    odd_a=st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: 2 * n + 1),
    odd_b=st.integers(min_value=-(10**5), max_value=10**5).map(lambda n: 2 * n + 1),
    places=st.integers(min_value=1, max_value=10),
    nudge=st.sampled_from([-1, 0, 1]),
)
def test_exact_halves_and_their_neighbours(odd_a: int, odd_b: int, places: int, nudge: int) -> None:
    """a/10^d x (b x 5 x 10^(d-1)) = a*b/2, a half whenever a and b are odd; one cent either side too."""
    ret = Decimal(odd_a).scaleb(-places)
    cents = int(Decimal(odd_b * 5).scaleb(places - 1) * 100) + nudge
    assume(abs(ret) < MAX_ABS_RETURN and abs(cents / 100 * float(ret)) < MAX_ABS_TERM_HKD)
    assert kernel_terms([cents], [ret]) == [exact(cents, ret)]


def test_known_halves() -> None:
    cases = [
        (50, Decimal(1)),
        (-50, Decimal(1)),
        (250, Decimal(1)),
        (-250, Decimal(1)),
        (500, Decimal("0.1")),
        (1_500, Decimal("0.1")),
        (-2_500, Decimal("0.1")),
        (1, Decimal(50)),
        (12_345, Decimal("0.0000000004")),
    ]
    assert kernel_terms([c for c, _ in cases], [r for _, r in cases]) == [1, -1, 3, -3, 1, 2, -3, 1, 0]


def test_halves_that_binary_floating_point_gets_wrong() -> None:
    # -2,830,500,000.00 x -1.031675 is 2,920,156,087.5 exactly; in float64 it is ...087.4999995.
    cases = [(-283_050_000_000, Decimal("-1.031675")), (-8_868_500_000_000, Decimal("0.0470455"))]
    naive = [round((c / 100) * float(r)) for c, r in cases]
    assert naive == [2_920_156_087, -4_172_230_167]
    assert kernel_terms([c for c, _ in cases], [r for _, r in cases]) == [2_920_156_088, -4_172_230_168]


HALVES = [
    (-283_050_000_000, Decimal("-1.031675")),
    (-8_868_500_000_000, Decimal("0.0470455")),
    (50, Decimal(1)),
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.integers(min_value=-(10**14), max_value=10**14),
                st.lists(returns_10dp, min_size=3, max_size=3),
            ),
            st.sampled_from(HALVES).map(lambda h: (h[0], [h[1], -h[1], h[1]])),
        ),
        min_size=1,
        max_size=11,
    )
)
def test_a_portfolio_sums_each_positions_exactly_rounded_terms(
    positions: list[tuple[int, list[Decimal]]],
) -> None:
    # Rows go through the kernel four at a time and then one by one: halves anywhere in a block
    # of four, or after it, are each rounded exactly.
    assume(all(abs(c / 100 * float(r)) < MAX_ABS_TERM_HKD for c, rets in positions for r in rets))
    matrix = np.array([[float(r) for r in rets] for _, rets in positions])
    max_abs, _ = row_checks(matrix)
    cents = np.array([c for c, _ in positions], dtype=np.int64)
    pnl = scenario_pnl(matrix, max_abs, np.arange(len(positions)), cents / 100.0, cents)
    expected = [sum(exact(c, rets[s]) for c, rets in positions) for s in range(3)]
    assert [int(v) for v in pnl] == expected


def test_tail_sums_average_the_worst_scenarios() -> None:
    returns = np.array([[0.1, -0.2, 0.3, -0.4, 0.5, -0.6]])  # 3 HVaR then 3 SVaR scenarios
    max_abs, _ = row_checks(returns)
    out = np.zeros((1, 2))
    tail_sums(
        returns,
        max_abs,
        np.array([0]),
        np.array([100.0]),
        np.array([10_000], dtype=np.int64),
        np.array([0, 1]),
        3,
        2,
        1,
        out,
    )
    assert out.tolist() == [[-20 + 10, -60]]


def test_bare_kernel_agrees_away_from_ties() -> None:
    rng = np.random.default_rng(3)
    returns = np.round(rng.normal(0, 0.03, (30, 40)), 6)
    max_abs, _ = row_checks(returns)
    rows = rng.integers(0, 30, 200).astype(np.int64)
    cents = (rng.integers(-(10**6), 10**6, 200) * 100 + 37).astype(np.int64)
    offsets = np.arange(0, 201, 10, dtype=np.int64)
    exact_out, bare_out = np.zeros((20, 2)), np.zeros((20, 2))
    tail_sums(returns, max_abs, rows, cents / 100.0, cents, offsets, 20, 2, 3, exact_out)
    bare_tail_sums(returns, rows, cents / 100.0, offsets, 20, 2, 3, bare_out)
    assert np.array_equal(exact_out, bare_out)


def test_row_checks_flag_more_than_ten_places() -> None:
    max_abs, fine = row_checks(np.array([[0.1234567891, -0.5], [0.12345678912, 0.0]]))
    assert max_abs.tolist() == [0.5, 0.12345678912]
    assert fine.tolist() == [True, False]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=300),
    st.integers(min_value=1, max_value=60),
)
def test_the_tail_sum_is_the_sum_of_the_k_smallest(values: list[int], k: int) -> None:
    # One pass for a small k, np.partition beyond 32, everything when k reaches the count.
    expected = sum(sorted(values)[:k])
    assert smallest_sum(np.array(values, dtype=np.float64), k) == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 2**32)),
            st.tuples(st.integers(min_value=-300, max_value=300), st.integers(0, 2**32)),  # sums bunch
            st.sampled_from(HALVES).map(lambda h: (h[0], -1)),
        ),
        min_size=1,
        max_size=9,
    ),
    st.integers(min_value=1, max_value=45),
    st.integers(min_value=1, max_value=45),
)
def test_tails_picked_from_float_sums_equal_the_exact_sums_tails(
    positions: list[tuple[int, int]], hvar_k: int, svar_k: int
) -> None:
    # tail_sums picks each tail from float sums of the unrounded products and sums only the
    # candidates exactly; the reference sums every scenario exactly (scenario_pnl) and takes the
    # k smallest. k past 32 takes the partition path; tiny positions bunch the sums past the
    # candidate limit.
    scenarios, hvar_count = 60, 36
    matrix = np.empty((len(positions), scenarios))
    for n, (_, seed) in enumerate(positions):
        if seed < 0:  # a half in every scenario, of either sign
            ret = float(next(r for c, r in HALVES if c == positions[n][0]))
            matrix[n] = [ret if s % 2 else -ret for s in range(scenarios)]
        else:
            matrix[n] = np.round(np.random.default_rng(seed).normal(0, 0.05, scenarios), 10)
    max_abs, _ = row_checks(matrix)
    cents = np.array([c for c, _ in positions], dtype=np.int64)
    assume((np.abs(cents) / 100 * max_abs).sum() < MAX_ABS_TERM_HKD)
    rows = np.arange(len(positions), dtype=np.int64)
    pnl = scenario_pnl(matrix, max_abs, rows, cents / 100.0, cents)
    out = np.zeros((1, 3))
    offsets = np.array([0, len(rows)])
    tail_sums(matrix, max_abs, rows, cents / 100.0, cents, offsets, hvar_count, hvar_k, svar_k, out)
    expected = [sum(sorted(pnl[:hvar_count])[:hvar_k]), sum(sorted(pnl[hvar_count:])[:svar_k])]
    assert out[0, :2].tolist() == expected


def test_a_scenario_whose_float_sum_is_not_the_smallest_can_still_be_the_tail() -> None:
    # Scenario 0 holds two halves: unrounded its sum is -7,092,386,255.0, exactly (each half
    # away from zero) -256. Scenario 1's is -255.07 unrounded, -255 exactly. The worst scenario
    # by float sums is 1, by exact sums 0: only the band around the k-th finds it. Plain float
    # rounding (the bare kernel) rounds both halves toward zero and picks scenario 1 too.
    cents = np.array([-283_050_000_000, -8_868_500_000_000], dtype=np.int64)
    returns = np.array([[1.031675, 2.5057008497, 0.0], [0.0470455, 0.0, 0.0]])
    max_abs, _ = row_checks(returns)
    rows = np.arange(2, dtype=np.int64)
    pnl = scenario_pnl(returns, max_abs, rows, cents / 100.0, cents)
    assert pnl[:2].tolist() == [-7_092_386_256, -7_092_386_255]
    bare = np.zeros((1, 2))
    bare_tail_sums(returns, rows, cents / 100.0, np.array([0, 2]), 2, 1, 1, bare)
    assert bare[0, 0] == -7_092_386_255  # plain rounding alone picks scenario 1
    out = np.zeros((1, 3))
    tail_sums(returns, max_abs, rows, cents / 100.0, cents, np.array([0, 2]), 2, 1, 1, out)
    assert out[0, 0] == -7_092_386_256


def test_the_band_is_wider_than_half_the_positions() -> None:
    # Four positions of 1 HKD. Scenario 0: four halves, -42 unrounded, -44 exactly (away from
    # zero). Scenario 1: three terms just short of a half and -13, -44.4999999997 unrounded,
    # -43 exactly. Float sums put scenario 1 first by 2.5, more than n/2 = 2: a band of n/2
    # around the k-th misses scenario 0, the worst exactly.
    cents = np.full(4, 100, dtype=np.int64)
    returns = np.array([[-10.5, -10.4999999999, 0.0, 0.0]] * 3 + [[-10.5, -13.0, 0.0, 0.0]], dtype=np.float64)
    max_abs, _ = row_checks(returns)
    rows = np.arange(4, dtype=np.int64)
    pnl = scenario_pnl(returns, max_abs, rows, cents / 100.0, cents)
    assert pnl[:2].tolist() == [-44, -43]
    out = np.zeros((1, 3))
    tail_sums(returns, max_abs, rows, cents / 100.0, cents, np.array([0, 4]), 2, 1, 1, out)
    assert out[0, 0] == -44
