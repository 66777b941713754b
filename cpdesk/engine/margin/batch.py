"""Portfolio margin for many portfolios at once (what-if runs over client sub-portfolios).

Positions are columnar: ``offsets[p]:offsets[p+1]`` are portfolio ``p``'s rows of
``instrument_ids`` and ``market_value_cents``. Each portfolio is split into its IPO and non-IPO
sub-portfolios, all sub-portfolios go through the compiled kernel in one parallel call, and the
results are combined per portfolio exactly as :func:`portfolio.portfolio_margin` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from cpdesk.engine.margin.instruments import instrument_table
from cpdesk.engine.margin.portfolio import (
    NON_IPO,
    floor_ratio,
    ipo_code_of,
    margin_of,
    run_tails,
    tail_parameters,
    weighted_loss,
)
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.numbers import round_ratio
from cpdesk.engine.rpf.model import RiskParameterFile

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class PortfolioBatch:
    offsets: IntArray
    instrument_ids: tuple[str, ...]
    market_value_cents: IntArray

    def __post_init__(self) -> None:
        if self.offsets[0] != 0 or self.offsets[-1] != len(self.instrument_ids):
            raise ValueError("offsets must start at 0 and end at the number of positions")
        if len(self.market_value_cents) != len(self.instrument_ids):
            raise ValueError("one market value per position is needed")
        if np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must not decrease")

    @classmethod
    def of(cls, portfolios: Sequence[Sequence[Position]]) -> PortfolioBatch:
        portfolios = [net_by_instrument(p) for p in portfolios]  # one row per instrument, as margined
        sizes = [len(p) for p in portfolios]
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        ids = tuple(item.instrument_id for portfolio in portfolios for item in portfolio)
        cents = np.array(
            [item.market_value_cents for portfolio in portfolios for item in portfolio], dtype=np.int64
        )
        return cls(offsets, ids, cents)

    def __len__(self) -> int:
        return len(self.offsets) - 1


@dataclass(frozen=True, eq=False)
class BatchPortfolioMargins:
    margin: IntArray  # portfolio margin per portfolio, HKD
    floor: list[int]  # its floor rounded off, HKD (the breakdown's portfolio_margin_floor)


def portfolio_margin_batch(
    rpf: RiskParameterFile,
    batch: PortfolioBatch,
    ipo_codes: frozenset[str],
    floor_rate: Decimal,
) -> BatchPortfolioMargins:
    """Portfolio margin in HKD of every portfolio of the batch, and its floor."""
    index = rpf.scenarios.index
    ipo_list = sorted(ipo_codes)
    group_of = {NON_IPO: 0, **{code: n + 1 for n, code in enumerate(ipo_list)}}
    rows = np.fromiter(
        (index.get(i, -1) for i in batch.instrument_ids), dtype=np.int64, count=len(batch.instrument_ids)
    )
    portfolio = np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(batch.offsets))
    keep = rows >= 0
    if ipo_codes:
        table = instrument_table(rpf)
        groups = np.array(
            [
                group_of[ipo_code_of(i, table.terms(i).underlying_group, ipo_codes)] if k else 0
                for i, k in zip(batch.instrument_ids, keep, strict=True)
            ],
            dtype=np.int64,
        )
    else:
        groups = np.zeros(len(rows), dtype=np.int64)
    rows, portfolio, groups, cents = rows[keep], portfolio[keep], groups[keep], batch.market_value_cents[keep]

    # Sub-portfolio = (portfolio, group); order positions by it and cut at each change.
    sub_key = portfolio * (len(ipo_list) + 1) + groups
    order = np.argsort(sub_key, kind="stable")
    rows, cents, sub_key = rows[order], cents[order], sub_key[order]
    starts = (
        np.flatnonzero(np.concatenate(([True], sub_key[1:] != sub_key[:-1])))
        if len(sub_key)
        else np.array([], np.int64)
    )
    offsets = np.concatenate((starts, [len(sub_key)])).astype(np.int64)
    sub_portfolio = sub_key[starts] // (len(ipo_list) + 1)

    margins = np.zeros(len(batch), dtype=np.int64)
    floors = [0] * len(batch)
    if not len(sub_portfolio):
        return BatchPortfolioMargins(margins, floors)
    tail = tail_parameters(rpf)
    hvar, svar = run_tails(rpf, rows, cents, offsets, tail)

    # Per portfolio (positions are sorted by portfolio): its run of sub-portfolios and its
    # floor base from the FieldType 1/2 positions, in exact integer cents.
    first_sub = np.concatenate(([0], np.flatnonzero(np.diff(sub_portfolio)) + 1)).astype(np.int64)
    row_starts = offsets[first_sub]
    long_cents = np.add.reduceat(np.where(cents > 0, cents, 0), row_starts)
    short_cents = np.add.reduceat(np.where(cents < 0, -cents, 0), row_starts)
    bounds = np.concatenate((first_sub, [len(sub_portfolio)])).tolist()
    bases = np.maximum(long_cents, short_cents).tolist()
    for n, owner in enumerate(sub_portfolio[first_sub].tolist()):
        first, last = bounds[n], bounds[n + 1]
        floor = floor_ratio(bases[n], floor_rate)
        margins[owner] = margin_of(weighted_loss(hvar[first:last], svar[first:last], tail), floor)
        floors[owner] = round_ratio(*floor)
    return BatchPortfolioMargins(margins, floors)
