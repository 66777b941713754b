"""The margin breakdown of one portfolio, fast: ``margin_breakdown(rpf, positions, parameters)``.

The sixteen figures (and the rest of :class:`MarginBreakdown`) without the per-position detail
that ``calculate_margin`` also gives. The components come out of one compiled pass
(:mod:`figures_kernel`), which is exact or says it cannot be sure; then, and for anything that
needs a word said about it (a hedge without a FieldType 4 row, a term too large to sum exactly,
an amount past int64), this falls back to ``calculate_margin``, which words the error. Either
way the figures are ``calculate_margin``'s, which the property tests hold portfolio by portfolio.
The weighting of expected shortfalls, the floor, the holiday add-on and the summary are done in
the same compiled call, in int64 (``figures_kernel.summary``) where its guards hold; where they
do not (a position limit, sizes near 2^63), :func:`breakdown_of` does them in Python integers,
with the same helpers the decimal path uses. A property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from cpdesk.engine.margin import figures_kernel as kernel
from cpdesk.engine.margin.calculator import (
    ComponentMargins,
    MarginBreakdown,
    MarginParameters,
    aggregate,
    calculate_margin,
    unknown_instrument,
)
from cpdesk.engine.margin.components import MarkToMarket, flat_group_name, holiday_addon
from cpdesk.engine.margin.figure_tables import NO_GROUPS, figure_tables
from cpdesk.engine.margin.portfolio import floor_ratio, margin_of, tail_parameters, weighted_loss
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.numbers import round_ratio
from cpdesk.engine.problems import Problem
from cpdesk.engine.rpf.model import RiskParameterFile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class MarginFigures(NamedTuple):
    breakdown: MarginBreakdown
    warnings: tuple[Problem, ...]  # the positions the RPF has no row for


def flat_group_ids(codes: Iterable[str], groups: Mapping[str, str] | None) -> IntArray:
    """Each position's flat rate group as a number (components.flat_rate_margin names them);
    empty for no group file (one group)."""
    if groups is None:
        return NO_GROUPS
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(flat_group_name(c, groups), len(ids)) for c in codes], dtype=np.int64)


def margin_breakdown(
    rpf: RiskParameterFile, positions: Sequence[Position], parameters: MarginParameters | None = None
) -> MarginFigures:
    """``calculate_margin(rpf, positions, parameters)``'s breakdown and warnings; raises the same
    InputError where it does."""
    params = parameters or MarginParameters()
    positions = net_by_instrument(positions)
    codes = [p.instrument_id for p in positions]
    tables = figure_tables(rpf)
    count = len(codes)
    # Lists built by comprehensions, then one fromiter each: the fastest way found from Python
    # objects to arrays (this is the hot path of every what-if and Excel cell).
    index = tables.index
    code = np.fromiter([index.get(c, -1) for c in codes], np.int64, count)
    try:
        market = np.fromiter([p.market_value_cents for p in positions], np.int64, count)
        contract = np.fromiter([p.contract_value_cents for p in positions], np.int64, count)
    except OverflowError:  # past int64: the decimal path margins it (or says why not)
        return _exact(rpf, positions, params)
    arguments = tables.arguments(rpf, params)
    figures, tails = np.zeros(kernel.FIGURES, np.int64), np.zeros((len(arguments[0]) + 1, 3))
    summary = np.empty(kernel.SUMMARY_FIELDS, np.int64)
    kernel.portfolio_figures(
        rpf.scenarios.returns,
        rpf.scenarios.max_abs_return,
        tables.table,
        tables.links,
        code,
        np.fromiter([p.quantity_float for p in positions], np.float64, count),
        market,
        contract,
        flat_group_ids(codes, params.flat_groups),
        *arguments,
        0.0,  # quantities need not be whole here: halves of structured products go to _exact
        tables.summary_terms(rpf, params),
        figures,
        tails,
        summary,
    )
    f = figures.tolist()
    if not f[kernel.OK]:
        return _exact(rpf, positions, params)
    if f[kernel.SUMMED]:
        breakdown = MarginBreakdown._make(summary.tolist())
    else:  # a position limit, or figures past the compiled summary's guards
        breakdown = breakdown_of(rpf, params, f, tails.tolist())
    warnings: tuple[Problem, ...] = ()
    if f[kernel.UNKNOWN]:
        warnings = tuple(unknown_instrument(c) for c, n in zip(codes, code.tolist(), strict=True) if n < 0)
    return MarginFigures(breakdown, warnings)


def breakdown_of(
    rpf: RiskParameterFile, params: MarginParameters, figures: list[int], tails: list[list[float]]
) -> MarginBreakdown:
    """The breakdown from one portfolio's compiled figures and sub-portfolio tails (``OK`` set):
    expected shortfalls weighted, the floor, the holiday add-on, then §3.2.7's summary."""
    f, tail = figures, tail_parameters(rpf)
    sums = [(int(h), int(s)) for h, s, present in tails if present]
    floor = floor_ratio(max(f[kernel.LONG_CENTS], f[kernel.SHORT_CENTS]), params.floor_rate)
    pm = margin_of(weighted_loss([h for h, _ in sums], [s for _, s in sums], tail), floor)
    flat = f[kernel.FLAT_RATE_HKD]
    holiday = holiday_addon(pm, flat, rpf.header.holiday_factor) if params.holiday else 0
    components = ComponentMargins(
        pm,
        flat,
        f[kernel.LRA_INSTRUMENT_HKD],
        f[kernel.LRA_PORTFOLIO_HKD],
        f[kernel.STRUCTURED_PRODUCT_HKD],
        f[kernel.CORPORATE_ACTION_HKD],
        holiday,
        round_ratio(*floor),
    )
    marks = MarkToMarket(f[kernel.MARKET_VALUE_HKD], f[kernel.CONTRACT_VALUE_HKD])
    return aggregate(components, marks, params, rpf.header.rounding_hkd)[0]


def breakdown_rows(
    rpf: RiskParameterFile, params: MarginParameters, figures: IntArray, tails: FloatArray
) -> tuple[IntArray, BoolArray]:
    """:func:`breakdown_of` for many accounts at once, compiled (figures_kernel.summary): per
    account the twenty fields of :class:`MarginBreakdown` in order (accounts x 20), and whether
    they hold (False where a guard refuses, where a position limit applies, or where OK is not
    set: then breakdown_of, in Python integers, is the answer)."""
    terms = figure_tables(rpf).summary_terms(rpf, params)
    if not len(terms):
        count = figures.shape[0]
        return np.zeros((count, kernel.SUMMARY_FIELDS), np.int64), np.zeros(count, dtype=bool)
    return kernel.summaries(figures, tails, terms)


def _exact(rpf: RiskParameterFile, positions: Sequence[Position], params: MarginParameters) -> MarginFigures:
    result = calculate_margin(rpf, positions, params)
    return MarginFigures(result.breakdown, result.warnings)
