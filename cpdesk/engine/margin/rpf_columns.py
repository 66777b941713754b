"""The RPF's per-instrument parameters as arrays, for the compiled figures (figures.FigureTables).

Every code the RPF names gets one index; each decimal parameter (flat rate, cash delta,
threshold, bucket rate, beta, tick size multiplier, corporate action rates) becomes a column of
Python integers at one power of ten per parameter (exact; the figure tables divide each once,
correctly rounded, into the nearest float). Built once per RPF and kept with it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cpdesk.engine.margin.instruments import instrument_table
from cpdesk.engine.rpf.derived import kept_with_rpf
from cpdesk.engine.rpf.model import RiskParameterFile

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]


def scale_of(values: Sequence[Decimal]) -> int:
    """Decimal places needed to hold every value as an integer."""
    exponents = [int(v.as_tuple().exponent) for v in values]  # finite: the parser checked
    return max([0, *(-e for e in exponents)])


def fixed(value: Decimal) -> tuple[int, int]:
    """``value`` as (integer, scale): value = integer / 10**scale."""
    scale = scale_of([value])
    return int(value.scaleb(scale)), scale


@dataclass(frozen=True, eq=False)
class RpfColumns:
    """The RPF's per-instrument parameters as arrays over one index of every code it names."""

    index: Mapping[str, int]
    codes: tuple[str, ...]
    scenario_row: IntArray  # -1: no FieldType 1/2 row
    flat_scale: int
    flat_rate: ObjectArray  # FieldType 3 x 10**flat_scale; None where there is none
    lra_group: IntArray  # index of the LRA group's FieldType 4 stock, -1 where there is none
    lra_scale: int  # cash delta and threshold
    cash_delta: ObjectArray  # FieldType 5's (structured products) or 4's, x 10**lra_scale
    threshold: ObjectArray  # FieldType 4, x 10**lra_scale
    rate_scale: int
    bucket_rate: ObjectArray  # FieldType 4, x 10**rate_scale
    beta_scale: int
    beta: ObjectArray  # FieldType 4, x 10**beta_scale
    tick_scale: int
    tick_multiplier: ObjectArray  # FieldType 6 (10 x column 2) x 10**tick_scale; None: not FT 6
    action_scale: int
    short_addon: ObjectArray  # FieldType 7 rates for DSP/SRI/DIV codes x 10**action_scale
    long_addon: ObjectArray

    @classmethod
    def of(cls, rpf: RiskParameterFile) -> RpfColumns:
        table = instrument_table(rpf)
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
        terms = [table.terms(code) for code in named]
        kept = [(code, t) for code, t in zip(named, terms, strict=True) if t.in_rpf]
        codes = tuple(code for code, _ in kept)
        index = {code: n for n, code in enumerate(codes)}
        stocks = [t.liquidation_info for _, t in kept]

        def scaled_column(values: list[Decimal | None]) -> tuple[int, ObjectArray]:
            scale = scale_of([v for v in values if v is not None])
            column = np.empty(len(values), dtype=object)
            column[:] = [None if v is None else int(v.scaleb(scale)) for v in values]
            return scale, column

        flat_scale, flat_rate = scaled_column([t.flat_rate for _, t in kept])
        lra_values = [t.cash_delta_per_quantity_hkd for _, t in kept] + [
            s.threshold_hkd if s is not None else None for s in stocks
        ]
        lra_scale, lra_column = scaled_column(lra_values)
        rate_scale, bucket = scaled_column([s.bucket_rate if s is not None else None for s in stocks])
        beta_scale, beta = scaled_column([s.beta if s is not None else None for s in stocks])
        tick_scale, tick = scaled_column(
            [t.structured_product.tick_size_multiplier if t.structured_product else None for _, t in kept]
        )
        actions = [t.corporate_action for _, t in kept]
        action_scale, addons = scaled_column(
            [a.short_addon_rate if a else None for a in actions]
            + [a.long_addon_rate if a else None for a in actions]
        )
        groups = np.array(
            [index.get(t.liquidation_group, -1) if t.liquidation_group else -1 for _, t in kept],
            dtype=np.int64,
        )
        return cls(
            index,
            codes,
            np.array([t.scenario_row for _, t in kept], dtype=np.int64),
            flat_scale,
            flat_rate,
            groups,
            lra_scale,
            lra_column[: len(kept)],
            lra_column[len(kept) :],
            rate_scale,
            bucket,
            beta_scale,
            beta,
            tick_scale,
            tick,
            action_scale,
            addons[: len(kept)],
            addons[len(kept) :],
        )

    def indices(self, codes: Sequence[str] | pa.Array) -> IntArray:
        """Each code's index, -1 for a code the RPF does not name (hashed in C, not per code)."""
        if not isinstance(codes, pa.Array):
            codes = pa.array(codes, type=pa.string())
        found = pc.index_in(codes, value_set=self.code_array)
        return np.asarray(found.fill_null(-1), dtype=np.int64)

    @functools.cached_property
    def code_array(self) -> pa.Array:
        return pa.array(self.codes, type=pa.string())


rpf_columns = kept_with_rpf(RpfColumns.of)  # built once per RPF, on first use
