"""The full margin breakdown of many accounts at once, from positions in columns.

``calculate_margin`` walks one portfolio's positions as objects with exact decimals: right for
one portfolio, slow for a million. Here a chunk's positions come in columns (whole quantities,
amounts in integer cents), and every account goes through the compiled pass of
:mod:`figures_kernel` in one parallel call (which nets its rows per instrument), then through the
same summary as ``margin_breakdown`` (:func:`figures.breakdown_of`). Every figure is
``calculate_margin``'s; the property tests hold the two equal account by account.

An account this path does not take (:attr:`ColumnarMargins.exact_path`) is one that would need
a word said about it (an instrument not in the RPF), a hedge instrument the RPF lacks, a term
too large for the kernel, or a rounding the compiled pass cannot be sure of: the caller gives
those to the exact path, which margins them or says why not.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cpdesk.engine.margin import figures_kernel
from cpdesk.engine.margin.calculator import MarginBreakdown, MarginParameters
from cpdesk.engine.margin.figure_tables import NO_GROUPS, figure_tables
from cpdesk.engine.margin.figures import breakdown_of, breakdown_rows, flat_group_ids, margin_breakdown
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf.model import RiskParameterFile

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class PositionColumns:
    """Positions of ``accounts`` accounts: row ``i`` belongs to account ``account[i]``; every
    account has at least one row. Quantities are whole units, amounts whole cents."""

    accounts: int
    account: IntArray
    instrument_ids: Sequence[str] | pa.Array
    quantity: IntArray
    contract_value_cents: IntArray
    market_value_cents: IntArray

    @classmethod
    def of(cls, portfolios: Sequence[Sequence[Position]]) -> PositionColumns:
        """Portfolios of positions with whole quantities, one account each, none empty."""
        rows = [(n, p) for n, portfolio in enumerate(portfolios) for p in portfolio]
        return cls(
            len(portfolios),
            np.array([n for n, _ in rows], dtype=np.int64),
            [p.instrument_id for _, p in rows],
            np.array([int(p.quantity) for _, p in rows], dtype=np.int64),
            np.array([p.contract_value_cents for _, p in rows], dtype=np.int64),
            np.array([p.market_value_cents for _, p in rows], dtype=np.int64),
        )


@dataclass(frozen=True, eq=False)
class ColumnarMargins:
    breakdowns: list[MarginBreakdown | None]  # None where exact_path is set
    exact_path: BoolArray  # accounts to give to calculate_margin instead


def margin_columns(
    rpf: RiskParameterFile, positions: PositionColumns, params: MarginParameters
) -> ColumnarMargins:
    """Every account's breakdown, as ``calculate_margin`` gives it for that account alone."""
    table = figure_tables(rpf)
    count = positions.accounts
    account = positions.account
    order = None
    if len(account) > 1 and (account[1:] < account[:-1]).any():  # the kernel takes them by account
        order = np.argsort(account, kind="stable")
        account = account[order]
    code_index = table.indices(positions.instrument_ids)

    def ordered(values: IntArray) -> IntArray:
        return values if order is None or not len(values) else values[order]

    groups = NO_GROUPS
    if params.flat_groups is not None:  # the codes as text only for a group file (200,000 of them a chunk)
        codes = [table.codes[c] if c >= 0 else "" for c in code_index.tolist()]
        groups = flat_group_ids(codes, params.flat_groups)
    figures, tails = figures_kernel.accounts_figures(
        rpf.scenarios.returns,
        rpf.scenarios.max_abs_return,
        table.table,
        table.links,
        np.searchsorted(account, np.arange(count + 1)).astype(np.int64),
        ordered(code_index),
        ordered(positions.quantity),
        ordered(positions.market_value_cents),
        ordered(positions.contract_value_cents),
        ordered(groups),
        *table.arguments(rpf, params),
        table.product_scale(params),  # quantities are whole here
    )
    # Where the compiled pass is not sure, or refuses (sizes past 64 bits: thousands of rows at
    # the largest sizes), and where calculate_margin warns (a code the RPF does not name).
    exact_path = (figures[:, figures_kernel.OK] == 0) | (figures[:, figures_kernel.UNKNOWN] > 0)
    rows, summed = breakdown_rows(rpf, params, figures, tails)
    if summed.all() and not exact_path.any():  # as a rule: every account summarised at once
        # tuple.__new__ straight from C: _make is a Python call per account (0.3 µs each).
        made = map(tuple.__new__, itertools.repeat(MarginBreakdown), rows.tolist())
        return ColumnarMargins(list(made), exact_path)
    breakdowns: list[MarginBreakdown | None] = [
        None
        if skip
        else MarginBreakdown._make(row)
        if done
        else breakdown_of(rpf, params, figures[n].tolist(), tails[n].tolist())
        for n, (row, done, skip) in enumerate(
            zip(rows.tolist(), summed.tolist(), exact_path.tolist(), strict=True)
        )
    ]
    return ColumnarMargins(breakdowns, exact_path)


def breakdowns_of(
    rpf: RiskParameterFile, portfolios: Sequence[Sequence[Position]], params: MarginParameters
) -> list[MarginBreakdown]:
    """``calculate_margin(rpf, p, params).breakdown`` for each portfolio, all at once where the
    columnar path takes them (whole quantities); the others one by one through
    ``margin_breakdown``, which also raises InputError as ``calculate_margin`` does."""
    whole = [all(p.quantity == p.quantity.to_integral_value() for p in portfolio) for portfolio in portfolios]
    taken = [portfolio for portfolio, ok in zip(portfolios, whole, strict=True) if ok and portfolio]
    found = margin_columns(rpf, PositionColumns.of(taken), params).breakdowns
    columnar = iter(found)
    out = []
    for portfolio, ok in zip(portfolios, whole, strict=True):
        breakdown = next(columnar) if ok and portfolio else None
        out.append(breakdown if breakdown is not None else margin_breakdown(rpf, portfolio, params).breakdown)
    return out
