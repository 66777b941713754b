"""A chunk's summaries in int64 arrays (figures.breakdown_rows) equal breakdown_of's Python
integers account by account, up to and past the guards, or say they do not hold."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters
from cpdesk.engine.margin import figures_kernel as kernel
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.margin.figures import breakdown_of, breakdown_rows
from cpdesk.engine.rpf import RiskParameterFile
from tests.support.margin_inputs import INSTRUMENTS, margin_parameters, synthetic_rpf


@pytest.fixture(scope="module")
def rpf() -> RiskParameterFile:
    return synthetic_rpf(INSTRUMENTS, seed=5)


# Sizes from a few dollars to past the guards (2^58 and 2^60), where the Python path must answer.
size = st.one_of(st.integers(0, 10**6), st.integers(0, 2**50), st.integers(2**57, 2**61))
tail = st.one_of(st.integers(-(10**9), 10**6), st.integers(-(2**52), 2**52))
account = st.tuples(
    st.lists(size, min_size=9, max_size=9),  # MV, CV (signed below), long, short, the five components
    st.booleans(),
    st.booleans(),
    st.lists(st.tuples(tail, tail, st.booleans()), min_size=3, max_size=3),  # sub-portfolios
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(account, min_size=1, max_size=12),
    margin_parameters,
    st.sampled_from([Decimal("0.025"), Decimal("0.0275"), Decimal("0.1"), Decimal("0.123456789")]),
)
def test_each_row_is_breakdown_of_or_refused(
    rpf: RiskParameterFile,
    accounts: list[tuple[list[int], bool, bool, list[tuple[int, int, bool]]]],
    params: MarginParameters,
    floor_rate: Decimal,
) -> None:
    params = replace(params, floor_rate=floor_rate)
    figures = np.zeros((len(accounts), kernel.FIGURES), np.int64)
    tails = np.zeros((len(accounts), 3, 3))
    for n, (sizes, mv_short, cv_short, subs) in enumerate(accounts):
        mv, cv, long_cents, short_cents, *components = sizes
        figures[n, kernel.OK] = 1
        figures[n, kernel.MARKET_VALUE_HKD] = -mv if mv_short else mv
        figures[n, kernel.CONTRACT_VALUE_HKD] = -cv if cv_short else cv
        figures[n, kernel.LONG_CENTS], figures[n, kernel.SHORT_CENTS] = long_cents, short_cents
        figures[n, kernel.FLAT_RATE_HKD : kernel.CORPORATE_ACTION_HKD + 1] = components
        tails[n] = [(h, s, 1.0 if present else 0.0) for h, s, present in subs]
    rows, ok = breakdown_rows(rpf, params, figures, tails)
    for n, (sizes, _, _, subs) in enumerate(accounts):
        small = max(sizes) < 2**50 and all(abs(h) < 2**40 and abs(s) < 2**40 for h, s, _ in subs)
        if params.position_limit is not None:
            assert not ok[n], "a position limit is breakdown_of's"
        elif small:
            assert ok[n], "nothing near a guard, yet refused"
        if ok[n]:
            expected = breakdown_of(rpf, params, figures[n].tolist(), tails[n].tolist())
            assert MarginBreakdown(*rows[n].tolist()) == expected


def test_an_account_the_compiled_pass_is_not_sure_of_is_refused(rpf: RiskParameterFile) -> None:
    figures = np.zeros((2, kernel.FIGURES), np.int64)
    figures[1, kernel.OK] = 1
    _, ok = breakdown_rows(rpf, MarginParameters(), figures, np.zeros((2, 1, 3)))
    assert ok.tolist() == [False, True]
