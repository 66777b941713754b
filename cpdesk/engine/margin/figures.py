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

import itertools
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from cpdesk.engine.margin.portfolio import floor_ratio, margin_of, tail_parameters, weighted_loss
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.margin.rpf_columns import rpf_columns
from cpdesk.engine.numbers import round_ratio
from cpdesk.engine.problems import Problem
from cpdesk.engine.rpf.derived import kept_with_rpf
from cpdesk.engine.rpf.model import RiskParameterFile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NO_GROUPS = np.zeros(0, dtype=np.int64)
_NO_HEDGE = np.zeros(3)
_KEPT_ARGUMENTS = 256
_MARKET = operator.attrgetter("market_value_cents")
_CONTRACT = operator.attrgetter("contract_value_cents")
_QUANTITY = operator.attrgetter("quantity_float")
KernelArguments = tuple[IntArray, FloatArray, float, float, int, int, int]


class MarginFigures(NamedTuple):
    breakdown: MarginBreakdown
    warnings: tuple[Problem, ...]  # the positions the RPF has no row for


@dataclass(frozen=True, eq=False)
class FigureTables:
    """The RPF's per-code parameters as the compiled pass reads them: one float64 row per code
    (the columnar engine's index) and its scenario row and LRA group."""

    index: Mapping[str, int]
    table: FloatArray  # figures_kernel.TABLE_COLUMNS columns, NaN where the RPF gives none
    links: IntArray  # scenario row, LRA group (-1: none)
    _arguments: dict[tuple[object, ...], KernelArguments] = field(default_factory=dict)

    @classmethod
    def of(cls, rpf: RiskParameterFile) -> FigureTables:
        columns = rpf_columns(rpf)
        table = np.full((len(columns.codes), kernel.TABLE_COLUMNS), math.nan)
        for where, scale, values in (
            (kernel.FLAT_RATE, columns.flat_scale, columns.flat_rate),
            (kernel.CASH_DELTA, columns.lra_scale, columns.cash_delta),
            (kernel.THRESHOLD, columns.lra_scale, columns.threshold),
            (kernel.BUCKET_RATE, columns.rate_scale, columns.bucket_rate),
            (kernel.BETA, columns.beta_scale, columns.beta),
            (kernel.TICK_MULTIPLIER, columns.tick_scale, columns.tick_multiplier),
            (kernel.SHORT_ADDON, columns.action_scale, columns.short_addon),
            (kernel.LONG_ADDON, columns.action_scale, columns.long_addon),
        ):
            # int / int is correctly rounded: each entry is the nearest float to the decimal.
            unit = 10**scale
            table[:, where] = [math.nan if v is None else v / unit for v in values.tolist()]
        links = np.stack([columns.scenario_row, columns.lra_group], axis=1).astype(np.int64)
        return cls(columns.index, table, np.ascontiguousarray(links))

    def arguments(self, rpf: RiskParameterFile, params: MarginParameters) -> KernelArguments:
        """The kernel's arguments after the positions: IPO codes, hedge, multiplier, minimum tick
        and the tails' k (kept per set of parameters: the same few, call after call)."""
        key = (
            params.ipo_codes,
            params.hedge_instrument,
            params.flat_rate_multiplier,
            params.minimum_tick_size_hkd,
        )
        found = self._arguments.get(key)
        if found is None:
            if len(self._arguments) >= _KEPT_ARGUMENTS:  # a batch may bring a set per account
                self._arguments.clear()
            tail = tail_parameters(rpf)
            # The IPO codes the RPF names, as indices in code order (the sub-portfolios' order);
            # the hedge's own FieldType 4 row as (1, threshold, bucket rate), zeros without one.
            ipo = [self.index[code] for code in sorted(params.ipo_codes) if code in self.index]
            hedge = rpf.beta_hedge.get(params.hedge_instrument)
            found = self._arguments[key] = (
                np.array(ipo, dtype=np.int64) if ipo else _NO_GROUPS,
                _NO_HEDGE
                if hedge is None
                else np.array([1.0, float(hedge.threshold_hkd), float(hedge.bucket_rate)]),
                float(params.flat_rate_multiplier),
                float(params.minimum_tick_size_hkd),
                tail.hvar_count,
                tail.hvar_k,
                tail.svar_k,
            )
        return found


figure_tables = kept_with_rpf(FigureTables.of)  # built once per RPF, on first use


def flat_group_ids(codes: Iterable[str], groups: Mapping[str, str] | None) -> IntArray:
    """Each position's flat rate group as a number (components.flat_rate_margin names them);
    empty for no group file (one group)."""
    if groups is None:
        return _NO_GROUPS
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
    # map() over the positions' attributes: no Python frame per position (this is the hot path of
    # every what-if and Excel cell).
    code = np.fromiter(map(tables.index.get, codes, itertools.repeat(-1)), np.int64, count)
    try:
        market = np.fromiter(map(_MARKET, positions), np.int64, count)
        contract = np.fromiter(map(_CONTRACT, positions), np.int64, count)
    except OverflowError:  # past int64: the decimal path margins it (or says why not)
        return _exact(rpf, positions, params)
    figures, tails = kernel.portfolio_figures(
        rpf.scenarios.returns,
        rpf.scenarios.max_abs_return,
        tables.table,
        tables.links,
        code,
        np.fromiter(map(_QUANTITY, positions), np.float64, count),
        market,
        contract,
        flat_group_ids(codes, params.flat_groups),
        *tables.arguments(rpf, params),
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


def _exact(rpf: RiskParameterFile, positions: Sequence[Position], params: MarginParameters) -> MarginFigures:
    result = calculate_margin(rpf, positions, params)
    return MarginFigures(result.breakdown, result.warnings)
