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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from cpdesk.engine.margin.instruments import NO_ROW, InstrumentTerms, instrument_table
from cpdesk.engine.margin.kernel import (
    MAX_ABS_TERM_HKD,
    PARALLEL_FROM_SUB_PORTFOLIOS,
    scenario_pnl,
    serial_tail_sums,
    tail_sums,
)
from cpdesk.engine.numbers import decimal_ratio, round_ratio, tail_count
from cpdesk.engine.problems import InputError, Problem, ProblemCode
from cpdesk.engine.rpf.derived import kept_with_rpf
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

    # (HVaR factor, SVaR factor, denominator): the weighted loss is |sum over sub-portfolios of
    # min(HVaR tail sum, 0) x HVaR factor + min(SVaR tail sum, 0) x SVaR factor| over the
    # denominator (each ES is its tail sum over k, times its weight, in integers). Worked out
    # once here: every portfolio's margin takes it.
    loss_weights: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        a, b = self.hvar_weight.numerator, self.hvar_weight.denominator
        c, d = self.svar_weight.numerator, self.svar_weight.denominator
        weights = (a * d * self.svar_k, c * b * self.hvar_k, self.hvar_k * self.svar_k * b * d)
        object.__setattr__(self, "loss_weights", weights)


tail_parameters = kept_with_rpf(TailParameters.of)  # worked out once per RPF


@dataclass(frozen=True, slots=True)
class SubPortfolioTail:
    """One segregated sub-portfolio's tail sums (HKD, negative = loss) and expected shortfalls."""

    ipo_code: str  # "" for the non-IPO sub-portfolio
    instruments: tuple[str, ...]
    hvar_tail_sum_hkd: int
    svar_tail_sum_hkd: int
    hvar_k: int
    svar_k: int

    @property
    def hvar_es_hkd(self) -> Fraction:
        """min(tail sum / k, 0): the expected shortfall as the margin uses it."""
        return min(Fraction(self.hvar_tail_sum_hkd, self.hvar_k), Fraction(0))

    @property
    def svar_es_hkd(self) -> Fraction:
        return min(Fraction(self.svar_tail_sum_hkd, self.svar_k), Fraction(0))

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


def ipo_code_of(instrument: str, underlying_group: str | None, ipo_codes: frozenset[str]) -> str:
    """The IPO sub-portfolio an instrument belongs to (itself, or the IPO stock its FieldType 5
    row names as underlying), or ``NON_IPO``."""
    if instrument in ipo_codes:
        return instrument
    if underlying_group is not None and underlying_group in ipo_codes:
        return underlying_group
    return NON_IPO


def weighted_loss(
    hvar_sums: Sequence[int], svar_sums: Sequence[int], tail: TailParameters
) -> tuple[int, int]:
    """|sum over sub-portfolios of HVaR ES x HVaR_WGT + SVaR ES x SVaR_WGT| as an integer ratio
    (numerator, denominator), from the tail sums (each ES clamped at zero when a gain)."""
    hvar_factor, svar_factor, denominator = tail.loss_weights
    numerator = 0
    for hvar_sum, svar_sum in zip(hvar_sums, svar_sums, strict=True):
        numerator += min(hvar_sum, 0) * hvar_factor + min(svar_sum, 0) * svar_factor
    return abs(numerator), denominator


def floor_ratio(base_cents: int, floor_rate: Decimal) -> tuple[int, int]:
    """The floor, floor rate x the floor base (cents), in HKD as an integer ratio."""
    numerator, denominator = decimal_ratio(floor_rate)
    return numerator * base_cents, denominator * 100


def margin_of(loss: tuple[int, int], floor: tuple[int, int]) -> int:
    """round_off(max(loss, floor)), both integer ratios with positive denominators."""
    larger = loss if loss[0] * floor[1] >= floor[0] * loss[1] else floor
    return round_ratio(*larger)


def combine(
    hvar_sums: Sequence[int], svar_sums: Sequence[int], tail: TailParameters, floor_hkd: Fraction
) -> tuple[Fraction, int]:
    """Weighted loss over sub-portfolios and the rounded portfolio margin, exactly."""
    loss = weighted_loss(hvar_sums, svar_sums, tail)
    return Fraction(*loss), margin_of(loss, (floor_hkd.numerator, floor_hkd.denominator))


def floor_of(market_value_cents: Sequence[int], floor_rate: Decimal) -> tuple[Decimal, Fraction]:
    """Floor base (higher of gross long and gross short MV) and floor, in HKD."""
    long_cents = sum([cents for cents in market_value_cents if cents > 0])
    short_cents = -sum([cents for cents in market_value_cents if cents < 0])
    base = max(long_cents, short_cents)
    return Decimal(base) / 100, Fraction(*floor_ratio(base, floor_rate))


def run_tails(
    rpf: RiskParameterFile,
    rows: IntArray,
    market_value_cents: IntArray,
    offsets: IntArray,
    tail: TailParameters,
) -> tuple[list[int], list[int]]:
    """Tail sums (HVaR, SVaR) per sub-portfolio ``offsets[p]:offsets[p+1]`` of the rows."""
    out = np.zeros((len(offsets) - 1, 3), dtype=np.float64)
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
        if out[:, 2].max() >= MAX_ABS_TERM_HKD:  # the sums are then not exact: refuse them
            raise InputError([_too_large(rpf, rows, market_value_cents)])
    # Whole numbers below 2^53 (each sub-portfolio's bound is under MAX_ABS_TERM_HKD): exact.
    return [int(v) for v in out[:, 0].tolist()], [int(v) for v in out[:, 1].tolist()]


def _too_large(rpf: RiskParameterFile, rows: IntArray, market_value_cents: IntArray) -> Problem:
    terms = np.abs(market_value_cents) / 100.0 * rpf.scenarios.max_abs_return[rows]
    worst = int(np.argmax(terms))
    instrument = rpf.scenarios.instrument_ids[rows[worst]]
    if terms[worst] >= MAX_ABS_TERM_HKD:
        why = f"market value of {instrument} times its largest return exceeds {MAX_ABS_TERM_HKD:,.0f} HKD"
        return Problem(
            "positions",
            None,
            instrument,
            f"{why}; cpdesk cannot round that term exactly",
            code=ProblemCode.OUT_OF_RANGE,
        )
    return Problem(
        "positions",
        None,
        None,
        f"the positions' market values times their largest returns add up past {MAX_ABS_TERM_HKD:,.0f} HKD "
        f"(the largest: {instrument}); cpdesk cannot sum their scenario P&L exactly",
        code=ProblemCode.OUT_OF_RANGE,
    )


def portfolio_margin(
    rpf: RiskParameterFile,
    instruments: Sequence[str],
    market_value_cents: Sequence[int],
    ipo_codes: frozenset[str],
    floor_rate: Decimal,
    terms: Sequence[InstrumentTerms] | None = None,
) -> PortfolioMarginDetail:
    """Portfolio margin of one portfolio's FieldType 1/2 positions (others are ignored);
    ``terms`` are the instruments' (looked up when not given)."""
    if terms is None:
        terms = instrument_table(rpf).many(list(instruments))
    scenario = [n for n, found in enumerate(terms) if found.scenario_row != NO_ROW]
    if ipo_codes and not (
        ipo_codes.isdisjoint([instruments[n] for n in scenario])
        and ipo_codes.isdisjoint([terms[n].underlying_group for n in scenario])
    ):
        members: dict[str, list[int]] = {}
        for n in scenario:
            members.setdefault(ipo_code_of(instruments[n], terms[n].underlying_group, ipo_codes), []).append(
                n
            )
        codes = sorted(members, key=lambda code: (code != NON_IPO, code))
        order = [p for code in codes for p in members[code]]
        sizes = [len(members[code]) for code in codes]
    else:  # one sub-portfolio, the usual case
        codes, order, sizes = ([NON_IPO], scenario, [len(scenario)]) if scenario else ([], [], [])
    cents_list = [market_value_cents[p] for p in order]
    rows = np.array([terms[p].scenario_row for p in order], dtype=np.int64)
    cents = np.array(cents_list, dtype=np.int64)
    offsets = np.array([0, *itertools.accumulate(sizes)], dtype=np.int64)
    ordered = [instruments[p] for p in order]
    bounds = list(itertools.pairwise(offsets.tolist()))

    tail = tail_parameters(rpf)
    hvar_sums, svar_sums = run_tails(rpf, rows, cents, offsets, tail)
    floor_base, floor = floor_of(cents_list, floor_rate)
    loss, margin = combine(hvar_sums, svar_sums, tail, floor)
    subs = tuple(
        SubPortfolioTail(code, tuple(ordered[start:end]), h, s, tail.hvar_k, tail.svar_k)
        for code, (start, end), h, s in zip(codes, bounds, hvar_sums, svar_sums, strict=True)
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
