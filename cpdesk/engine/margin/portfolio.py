"""Portfolio margin (guide §3.2.4.1): HVaR and SVaR expected shortfall with IPO segregation.

Each IPO stock, together with the structured products whose FieldType 5 underlying is that
stock, is its own sub-portfolio; every other FieldType 1/2 position forms the non-IPO
sub-portfolio. For each sub-portfolio the kernel gives the sum of the k worst scenario P&Ls;
the expected shortfall is that sum over k, clamped at zero when the tail is a gain. The
portfolio margin is

    round_off(max(|sum over sub-portfolios (HVaR x HVaR_WGT + SVaR x SVaR_WGT)|, floor))

with floor = floor rate x max(gross long MV, gross short MV) of the FieldType 1/2 positions.
The combination is done in integers (exact ratios), never in floating point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from cpdesk.engine.margin.kernel import (
    MAX_ABS_TERM_HKD,
    PARALLEL_FROM_SUB_PORTFOLIOS,
    scenario_pnl,
    serial_tail_sums,
    tail_sums,
)
from cpdesk.engine.numbers import round_off, tail_count
from cpdesk.engine.problems import InputError, Problem, ProblemCode
from cpdesk.engine.rpf.model import RiskParameterFile

IntArray = npt.NDArray[np.int64]
NON_IPO = ""


@dataclass(frozen=True, slots=True)
class TailParameters:
    """k and the weights as integer ratios, fixed per RPF."""

    hvar_count: int
    hvar_k: int
    svar_k: int
    hvar_weight: Fraction
    svar_weight: Fraction

    @classmethod
    def of(cls, rpf: RiskParameterFile) -> TailParameters:
        # k comes from the header's scenario counts. A file read with ``lenient`` may carry
        # fewer scenarios (the guide prints 10 of 1000); k is then capped at what is there,
        # which is how the NGRM briefing averages "the worst 6" of its printed scenarios.
        header = rpf.header
        return cls(
            hvar_count=rpf.hvar_count,
            hvar_k=min(tail_count(header.hvar_confidence_level, header.hvar_scenario_count), rpf.hvar_count),
            svar_k=min(tail_count(header.svar_confidence_level, header.svar_scenario_count), rpf.svar_count),
            hvar_weight=Fraction(header.hvar_weight),
            svar_weight=Fraction(header.svar_weight),
        )


@dataclass(frozen=True, slots=True)
class SubPortfolioTail:
    """One segregated sub-portfolio's expected shortfalls (HKD, negative = loss)."""

    ipo_code: str  # "" for the non-IPO sub-portfolio
    instruments: tuple[str, ...]
    hvar_tail_sum_hkd: int
    svar_tail_sum_hkd: int
    hvar_es_hkd: Fraction
    svar_es_hkd: Fraction

    @property
    def label(self) -> str:
        return f"IPO {self.ipo_code}" if self.ipo_code else "non-IPO"


@dataclass(frozen=True, slots=True)
class PortfolioMarginDetail:
    hvar_k: int
    svar_k: int
    sub_portfolios: tuple[SubPortfolioTail, ...]
    weighted_loss_hkd: Fraction
    floor_base_hkd: Decimal
    floor_hkd: Fraction
    margin_hkd: int


def ipo_code_of(rpf: RiskParameterFile, instrument: str, ipo_codes: frozenset[str]) -> str:
    """The IPO sub-portfolio an instrument belongs to, or ``NON_IPO``."""
    if instrument in ipo_codes:
        return instrument
    delta = rpf.deltas.get(instrument)
    if delta is not None and delta.underlying_group in ipo_codes:
        return delta.underlying_group
    return NON_IPO


def combine(
    hvar_sums: Sequence[int], svar_sums: Sequence[int], tail: TailParameters, floor_hkd: Fraction
) -> tuple[Fraction, int]:
    """Weighted loss over sub-portfolios and the rounded portfolio margin, exactly."""
    a, b = tail.hvar_weight.numerator, tail.hvar_weight.denominator
    c, d = tail.svar_weight.numerator, tail.svar_weight.denominator
    hvar_factor = a * d * tail.svar_k
    svar_factor = c * b * tail.hvar_k
    numerator = 0
    for hvar_sum, svar_sum in zip(hvar_sums, svar_sums, strict=True):
        numerator += min(hvar_sum, 0) * hvar_factor + min(svar_sum, 0) * svar_factor
    loss = Fraction(abs(numerator), tail.hvar_k * tail.svar_k * b * d)
    return loss, round_off(max(loss, floor_hkd))


def floor_of(market_value_cents: IntArray, floor_rate: Decimal) -> tuple[Decimal, Fraction]:
    """Floor base (higher of gross long and gross short MV) and floor, in HKD."""
    long_cents = int(market_value_cents[market_value_cents > 0].sum())
    short_cents = int(-market_value_cents[market_value_cents < 0].sum())
    base = Decimal(max(long_cents, short_cents)) / 100
    return base, Fraction(floor_rate) * Fraction(max(long_cents, short_cents), 100)


def run_tails(
    rpf: RiskParameterFile,
    rows: IntArray,
    market_value_cents: IntArray,
    offsets: IntArray,
    tail: TailParameters,
) -> npt.NDArray[np.int64]:
    """Tail sums (HVaR, SVaR) per sub-portfolio ``offsets[p]:offsets[p+1]`` of the rows."""
    out = np.zeros((len(offsets) - 1, 2), dtype=np.float64)
    if len(rows):
        terms = np.abs(market_value_cents) / 100.0 * rpf.scenarios.max_abs_return[rows]
        worst = int(np.argmax(terms))
        if terms[worst] >= MAX_ABS_TERM_HKD:
            instrument = rpf.scenarios.instrument_ids[rows[worst]]
            raise InputError(
                [
                    Problem(
                        "positions",
                        None,
                        instrument,
                        f"market value of {instrument} times its largest return exceeds "
                        f"{MAX_ABS_TERM_HKD:,.0f} HKD; cpdesk cannot round that term exactly",
                        code=ProblemCode.OUT_OF_RANGE,
                    )
                ]
            )
    if len(offsets) > 1:
        kernel = tail_sums if len(offsets) - 1 >= PARALLEL_FROM_SUB_PORTFOLIOS else serial_tail_sums
        kernel(
            rpf.scenarios.returns,
            rpf.scenarios.max_abs_return,
            rows,
            market_value_cents / 100.0,
            market_value_cents,
            offsets,
            tail.hvar_count,
            tail.hvar_k,
            tail.svar_k,
            out,
        )
    return out.astype(np.int64)


def portfolio_margin(
    rpf: RiskParameterFile,
    instruments: Sequence[str],
    market_value_cents: Sequence[int],
    ipo_codes: frozenset[str],
    floor_rate: Decimal,
) -> PortfolioMarginDetail:
    """Portfolio margin of one portfolio's FieldType 1/2 positions (others are ignored)."""
    index = rpf.scenarios.index
    members: dict[str, list[int]] = {}
    for position, instrument in enumerate(instruments):
        if instrument in index:
            members.setdefault(ipo_code_of(rpf, instrument, ipo_codes), []).append(position)
    codes = sorted(members, key=lambda code: (code != NON_IPO, code))
    order = [p for code in codes for p in members[code]]
    rows = np.array([index[instruments[p]] for p in order], dtype=np.int64)
    cents = np.array([market_value_cents[p] for p in order], dtype=np.int64)
    offsets = np.cumsum([0] + [len(members[code]) for code in codes], dtype=np.int64)

    tail = TailParameters.of(rpf)
    sums = run_tails(rpf, rows, cents, offsets, tail)
    floor_base, floor = floor_of(cents, floor_rate)
    hvar_sums = [int(v) for v in sums[:, 0]]
    svar_sums = [int(v) for v in sums[:, 1]]
    loss, margin = combine(hvar_sums, svar_sums, tail, floor)
    subs = tuple(
        SubPortfolioTail(
            ipo_code=code,
            instruments=tuple(instruments[p] for p in members[code]),
            hvar_tail_sum_hkd=h,
            svar_tail_sum_hkd=s,
            hvar_es_hkd=min(Fraction(h, tail.hvar_k), Fraction(0)),
            svar_es_hkd=min(Fraction(s, tail.svar_k), Fraction(0)),
        )
        for code, h, s in zip(codes, hvar_sums, svar_sums, strict=True)
    )
    return PortfolioMarginDetail(tail.hvar_k, tail.svar_k, subs, loss, floor_base, floor, margin)


def scenario_pnls(
    rpf: RiskParameterFile, instruments: Sequence[str], market_value_cents: Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Scenario P&Ls (HVaR, SVaR) in HKD of a set of FieldType 1/2 positions, each term rounded."""
    rows = np.array([rpf.scenarios.index[i] for i in instruments], dtype=np.int64)
    cents = np.array(list(market_value_cents), dtype=np.int64)
    pnl = scenario_pnl(rpf.scenarios.returns, rpf.scenarios.max_abs_return, rows, cents / 100.0, cents)
    values = pnl.astype(np.int64)
    return values[: rpf.hvar_count], values[rpf.hvar_count :]
