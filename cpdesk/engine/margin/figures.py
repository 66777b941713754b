"""The margin breakdown of one portfolio, fast: ``margin_breakdown(rpf, positions, parameters)``.

The sixteen figures (and the rest of :class:`MarginBreakdown`) without the per-position detail
that ``calculate_margin`` also gives. The components come out of one compiled pass
(:mod:`figures_kernel`), which is exact or says it cannot be sure; then, and for anything that
needs a word said about it (a hedge without a FieldType 4 row, a term too large to sum exactly,
an amount past int64), this falls back to ``calculate_margin``, which words the error. Either
way the figures are ``calculate_margin``'s, which the property tests hold portfolio by portfolio.
The weighting of expected shortfalls, the floor, the holiday add-on and the summary are done
here in Python integers, with the same helpers the decimal path uses.
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
    whole_hkd,
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
        figures,
        tails,
    )
    f = figures.tolist()
    if not f[kernel.OK]:
        return _exact(rpf, positions, params)
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


# Every int64 operation below stays under 2^63 when its inputs are under these bounds (checked in
# float64, whose relative error is far below the slack): an account past one takes breakdown_of.
_INPUT_BOUND = 2.0**58
_PRODUCT_BOUND = 2.0**60


def breakdown_rows(
    rpf: RiskParameterFile, params: MarginParameters, figures: IntArray, tails: FloatArray
) -> tuple[IntArray, BoolArray]:
    """:func:`breakdown_of` for many accounts at once, in int64: per account the twenty fields of
    :class:`MarginBreakdown` in order (accounts x 20), and whether they hold (False where a
    guard refuses, where a position limit applies, or where OK is not set: then breakdown_of,
    in Python integers, is the answer)."""
    count = figures.shape[0]
    rows = np.zeros((count, len(MarginBreakdown._fields)), np.int64)
    hvar_factor, svar_factor, loss_denominator = tail_parameters(rpf).loss_weights  # as weighted_loss
    floor_numerator, floor_denominator = params.floor_rate.as_integer_ratio()
    holiday_numerator, holiday_denominator = (
        rpf.header.holiday_factor.as_integer_ratio() if params.holiday else (0, 1)
    )
    constants = (
        whole_hkd(params.margin_credit_hkd),
        whole_hkd(params.credit_risk_addon_hkd),
        whole_hkd(params.adhoc_addon_hkd),
    )
    ints = (
        hvar_factor,
        svar_factor,
        loss_denominator,
        floor_numerator,
        100 * floor_denominator,
        holiday_numerator,
    )
    if (
        params.position_limit is not None
        or not 0 < loss_denominator < _PRODUCT_BOUND
        or max(map(abs, (*ints, holiday_denominator, *constants))) >= _INPUT_BOUND
    ):
        return rows, np.zeros(count, dtype=bool)
    ok = figures[:, kernel.OK] != 0
    present = tails[:, :, 2] != 0
    hvar = np.where(present, np.minimum(tails[:, :, 0], 0.0), 0.0)
    svar = np.where(present, np.minimum(tails[:, :, 1], 0.0), 0.0)
    ok &= (np.abs(hvar) * hvar_factor + np.abs(svar) * svar_factor).sum(axis=1) < _PRODUCT_BOUND
    components = figures[:, kernel.FLAT_RATE_HKD : kernel.CORPORATE_ACTION_HKD + 1]
    ok &= (np.abs(components) < _INPUT_BOUND).all(axis=1)
    marks = figures[:, [kernel.MARKET_VALUE_HKD, kernel.CONTRACT_VALUE_HKD]]
    ok &= (np.abs(marks) < _INPUT_BOUND).all(axis=1)
    base = np.maximum(figures[:, kernel.LONG_CENTS], figures[:, kernel.SHORT_CENTS])
    ok &= np.abs(base) * float(floor_numerator) < _PRODUCT_BOUND
    zero = np.int64(0)
    kept = ok[:, None]
    hvar_i = np.where(kept, hvar, 0.0).astype(np.int64)  # whole numbers below 2^53: exact
    svar_i = np.where(kept, svar, 0.0).astype(np.int64)
    loss = (hvar_i * hvar_factor + svar_i * svar_factor).sum(axis=1)
    floor = _round_ratio(np.where(ok, base, zero) * floor_numerator, 100 * floor_denominator)
    # round_off is monotonic: the larger of the two rounded is the larger one rounded (margin_of).
    pm = np.maximum(_round_ratio(np.abs(loss), loss_denominator), floor)
    flat = figures[:, kernel.FLAT_RATE_HKD]
    ok &= np.abs(pm + flat) * float(holiday_numerator) < _PRODUCT_BOUND
    holiday = _round_ratio(np.where(ok, pm + flat, zero) * holiday_numerator, holiday_denominator)
    before_holiday = pm + components.sum(axis=1)
    aggregated = before_holiday + holiday
    step = rpf.header.rounding_hkd
    aggregated_rounded = -((-aggregated) // step) * step
    mtm = marks[:, 0] - marks[:, 1]
    favourable, requirement = np.maximum(mtm, 0), np.maximum(-mtm, 0)
    net_margin = np.maximum(aggregated_rounded - favourable, 0)
    credit, credit_risk, adhoc = constants
    after_credit = np.maximum(net_margin - credit, 0)
    for column, values in enumerate(
        (
            pm,
            *components.T,
            holiday,
            aggregated,
            aggregated_rounded,
            mtm,
            favourable,
            requirement,
            net_margin,
            after_credit,
            zero,  # the position limit add-on: no position limit here
            after_credit + requirement + credit_risk + adhoc,
            credit_risk,
            adhoc,
            credit,
            floor,
        )
    ):
        rows[:, column] = values
    return rows, ok


def _round_ratio(numerators: IntArray, denominator: int) -> IntArray:
    """numbers.round_ratio over an array (denominator > 0)."""
    magnitude = (2 * np.abs(numerators) + denominator) // (2 * denominator)
    return np.where(numerators >= 0, magnitude, -magnitude)


def _exact(rpf: RiskParameterFile, positions: Sequence[Position], params: MarginParameters) -> MarginFigures:
    result = calculate_margin(rpf, positions, params)
    return MarginFigures(result.breakdown, result.warnings)
