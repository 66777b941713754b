"""What the RPF says about each code it names, as arrays for the compiled figures pass.

Built once per RPF from the instrument table (``instruments.instrument_table``) and kept with it:
per code one float64 row (``figures_kernel.TABLE_COLUMNS``: flat rate, cash delta, its LRA
group's threshold, bucket rate and beta, tick size multiplier, corporate action rates; NaN where
the RPF gives none), its scenario row and LRA group, and the kernel's per-parameter arguments.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cpdesk.engine.margin import figures_kernel as kernel
from cpdesk.engine.margin.calculator import MarginParameters, whole_hkd
from cpdesk.engine.margin.instruments import InstrumentTerms, instrument_table
from cpdesk.engine.margin.portfolio import tail_parameters
from cpdesk.engine.numbers import decimal_ratio
from cpdesk.engine.rpf.derived import kept_with_rpf
from cpdesk.engine.rpf.model import RiskParameterFile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NO_GROUPS = np.zeros(0, dtype=np.int64)  # no flat group file; no IPO code the RPF names
_NO_HEDGE = np.zeros(3)
_KEPT_ARGUMENTS = 256
KernelArguments = tuple[IntArray, FloatArray, float, float, int, int, int]
Kept = TypeVar("Kept")


# Past this many places 10^d x a sum may no longer be held exactly in float64's 52 bits.
_MAX_PRODUCT_PLACES = 9


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _float(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def _row(t: InstrumentTerms) -> tuple[float, ...]:
    """One code's parameters in figures_kernel's column order."""
    stock, product, action = t.liquidation_info, t.structured_product, t.corporate_action
    return (
        _float(t.flat_rate),
        _float(t.cash_delta_per_quantity_hkd),
        _float(stock.threshold_hkd if stock else None),
        _float(stock.bucket_rate if stock else None),
        _float(stock.beta if stock else None),
        _float(product.tick_size_multiplier if product else None),
        _float(action.short_addon_rate if action else None),
        _float(action.long_addon_rate if action else None),
    )


@dataclass(frozen=True, eq=False)
class FigureTables:
    """The RPF's per-code parameters as the compiled pass reads them: every code the RPF names
    gets one index, one float64 row of parameters and its scenario row and LRA group."""

    codes: tuple[str, ...]
    index: Mapping[str, int]
    table: FloatArray  # figures_kernel.TABLE_COLUMNS columns, NaN where the RPF gives none
    links: IntArray  # scenario row, LRA group (-1: none)
    multiplier_places: int  # the most decimal places of any structured product's tick size multiplier
    _arguments: dict[tuple[object, ...], KernelArguments] = field(default_factory=dict)
    _summary_terms: dict[tuple[object, ...], IntArray] = field(default_factory=dict)

    @classmethod
    def of(cls, rpf: RiskParameterFile) -> FigureTables:
        terms = instrument_table(rpf)
        named = dict.fromkeys(
            [
                *rpf.scenarios.instrument_ids,
                *rpf.flat_rates,
                *rpf.beta_hedge,
                *rpf.deltas,
                *rpf.structured_products,
                *(f"{prefix}{code}" for code, _ in rpf.corporate_actions for prefix in ("DSP", "SRI", "DIV")),
            ]
        )
        kept = [(code, found) for code in named if (found := terms.terms(code)).in_rpf]
        codes = tuple(code for code, _ in kept)
        index = {code: n for n, code in enumerate(codes)}
        # float(Decimal) is correctly rounded: each entry is the nearest float to the RPF's decimal.
        table = np.array([_row(found) for _, found in kept], dtype=np.float64).reshape(
            -1, kernel.TABLE_COLUMNS
        )
        links = np.array(
            [
                (t.scenario_row, index.get(t.liquidation_group, -1) if t.liquidation_group else -1)
                for _, t in kept
            ],
            dtype=np.int64,
        ).reshape(-1, 2)
        places = max((_places(p.tick_size_multiplier) for p in rpf.structured_products.values()), default=0)
        return cls(codes, index, table, links, places)

    def indices(self, codes: Sequence[str] | pa.Array) -> IntArray:
        """Each code's index, -1 for a code the RPF does not name (hashed in C, not per code)."""
        if not isinstance(codes, pa.Array):
            codes = pa.array(codes, type=pa.string())
        found = pc.index_in(codes, value_set=self.code_array)
        return np.asarray(found.fill_null(-1), dtype=np.int64)

    def product_scale(self, params: MarginParameters) -> float:
        """10^d where tick size multiplier x minimum tick has at most d decimal places for every
        structured product (the compiled pass then rounds their sum exactly for whole
        quantities); 0 where d would pass _MAX_PRODUCT_PLACES."""
        places = self.multiplier_places + _places(params.minimum_tick_size_hkd)
        return 0.0 if places > _MAX_PRODUCT_PLACES else 10.0**places

    @functools.cached_property
    def code_array(self) -> pa.Array:
        return pa.array(self.codes, type=pa.string())

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
            tail = tail_parameters(rpf)
            # The IPO codes the RPF names, as indices in code order (the sub-portfolios' order);
            # the hedge's own FieldType 4 row as (1, threshold, bucket rate), zeros without one.
            ipo = [self.index[code] for code in sorted(params.ipo_codes) if code in self.index]
            hedge = rpf.beta_hedge.get(params.hedge_instrument)
            found = _keep(
                self._arguments,
                key,
                (
                    np.array(ipo, dtype=np.int64) if ipo else NO_GROUPS,
                    _NO_HEDGE
                    if hedge is None
                    else np.array([1.0, float(hedge.threshold_hkd), float(hedge.bucket_rate)]),
                    float(params.flat_rate_multiplier),
                    float(params.minimum_tick_size_hkd),
                    tail.hvar_count,
                    tail.hvar_k,
                    tail.svar_k,
                ),
            )
        return found

    def summary_terms(self, rpf: RiskParameterFile, params: MarginParameters) -> IntArray:
        """The summary's constants as figures_kernel.summary reads them (SUMMARY_TERMS int64s),
        kept per set of parameters; empty where the compiled summary does not apply (a
        position limit, or a constant past figures_kernel.INPUT_BOUND): figures.breakdown_of
        then works the summary out in Python integers."""
        key = (
            params.floor_rate,
            params.holiday,
            params.margin_credit_hkd,
            params.credit_risk_addon_hkd,
            params.adhoc_addon_hkd,
            params.position_limit is None,
        )
        found = self._summary_terms.get(key)
        if found is None:
            hvar_factor, svar_factor, loss_denominator = tail_parameters(rpf).loss_weights
            floor_numerator, floor_denominator = decimal_ratio(params.floor_rate)
            holiday = decimal_ratio(rpf.header.holiday_factor) if params.holiday else (0, 1)
            terms = (
                hvar_factor,
                svar_factor,
                loss_denominator,
                floor_numerator,
                100 * floor_denominator,
                *holiday,
                whole_hkd(params.margin_credit_hkd),
                whole_hkd(params.credit_risk_addon_hkd),
                whole_hkd(params.adhoc_addon_hkd),
                rpf.header.rounding_hkd,
            )
            fits = (
                params.position_limit is None
                and loss_denominator > 0
                and terms[kernel.ROUNDING] > 0
                and terms[kernel.HOLIDAY_DENOMINATOR] > 0
                and max(map(abs, terms)) < kernel.INPUT_BOUND
            )
            found = _keep(self._summary_terms, key, np.array(terms if fits else (), dtype=np.int64))
        return found


def _keep(kept: dict[tuple[object, ...], Kept], key: tuple[object, ...], value: Kept) -> Kept:
    """``kept[key] = value``, the dict started over once it holds _KEPT_ARGUMENTS sets of
    parameters (a batch may bring a set per account)."""
    if len(kept) >= _KEPT_ARGUMENTS:
        kept.clear()
    kept[key] = value
    return value


figure_tables = kept_with_rpf(FigureTables.of)  # built once per RPF, on first use
