"""The full margin breakdown of many accounts at once, from positions in columns.

``calculate_margin`` walks one portfolio's positions as objects with exact decimals: right for
one portfolio, slow for a million. Here every component runs over all accounts of a chunk as
arrays: amounts in integer cents (int64), the RPF's decimal parameters as integers at one
power-of-ten scale per parameter (Python ints in object arrays wherever a product could pass
int64), group sums by sorting and ``reduceat``, and portfolio margin through the compiled kernel
in one parallel call. Every figure is an exact integer computation of what the guide says, the
same as ``calculate_margin``'s; the property tests hold the two equal account by account.

An account this path does not take (:attr:`ColumnarMargins.exact_path`) is one that would need
a word said about it (an instrument not in the RPF), a hedge instrument the RPF lacks, or a term
too large for the kernel: the caller gives those to ``calculate_margin``, which says it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cpdesk.engine.margin.batch import PortfolioBatch, portfolio_margin_batch
from cpdesk.engine.margin.calculator import (
    ComponentMargins,
    MarginBreakdown,
    MarginParameters,
    aggregate,
)
from cpdesk.engine.margin.components import MarkToMarket, flat_group_name
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.kernel import MAX_ABS_TERM_HKD
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.margin.rpf_columns import RpfColumns, fixed, rpf_columns
from cpdesk.engine.numbers import round_ratio
from cpdesk.engine.rpf.model import RiskParameterFile

_SAFE_SUM = 2.0**62  # below it a sum of int64 values cannot wrap (with room for float error)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


def _round_div(numerator: ObjectArray | IntArray, denominator: int) -> list[int]:
    """round_off(numerator / denominator) element-wise, halves away from zero (denominator > 0)."""
    return [round_ratio(n, denominator) for n in numerator.tolist()]


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


def _segments(keys: IntArray) -> IntArray:
    """Start of each run of equal keys (keys sorted)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))).astype(np.int64)


def _per_account(accounts: int, account: IntArray, values: ObjectArray | IntArray) -> ObjectArray:
    """Sum of ``values`` per account, as Python ints (0 for an account with none)."""
    out = np.zeros(accounts, dtype=object)
    if len(account):
        np.add.at(out, account, values.astype(object))
    return out


def _round_cents(cents: IntArray) -> IntArray:
    magnitude = (np.abs(cents) + 50) // 100
    return np.where(cents >= 0, magnitude, -magnitude)


@dataclass(frozen=True, eq=False)
class _Netted:
    """One row per account and instrument (the guide's netting, §4.6), sorted by account."""

    count: int  # accounts
    account: IntArray
    code: IntArray  # index into RpfColumns, -1: not in the RPF
    quantity: IntArray
    contract_cents: IntArray
    market_cents: IntArray

    @classmethod
    def of(cls, table: RpfColumns, positions: PositionColumns, code_index: IntArray) -> _Netted:
        key = positions.account * (len(table.codes) + 1) + (code_index + 1)
        order = np.argsort(key, kind="stable")
        starts = _segments(key[order])

        def summed(values: IntArray) -> IntArray:
            return np.add.reduceat(values[order], starts) if len(starts) else values[:0]

        return cls(
            positions.accounts,
            positions.account[order][starts],
            code_index[order][starts],
            summed(positions.quantity),
            summed(positions.contract_value_cents),
            summed(positions.market_value_cents),
        )

    def where(self, mask: BoolArray) -> tuple[IntArray, IntArray]:
        """Accounts and codes of the rows ``mask`` selects."""
        return self.account[mask], self.code[mask]


def _group_sums(
    keys: IntArray, *values: ObjectArray | IntArray
) -> tuple[IntArray, list[ObjectArray | IntArray]]:
    """Sort by key and sum each value per key: the first row of each key, and the sums."""
    order = np.argsort(keys, kind="stable")
    starts = _segments(keys[order])
    return order[starts], [np.add.reduceat(v[order], starts) if len(starts) else v[:0] for v in values]


def _flat_rate(table: RpfColumns, params: MarginParameters, netted: _Netted) -> ObjectArray:
    """§3.2.4.2 per account; see components.flat_rate_margin."""
    rated = np.flatnonzero((netted.code >= 0) & table.has_flat_rate[np.maximum(netted.code, 0)])
    out = np.zeros(netted.count, dtype=object)
    if not len(rated):
        return out
    groups = params.flat_groups
    if groups is None:
        group_id = np.zeros(len(rated), dtype=np.int64)
    else:
        names: dict[str, int] = {}
        group_id = np.array(
            [
                names.setdefault(flat_group_name(code, groups), len(names))
                for code in (table.codes[c] for c in netted.code[rated])
            ],
            dtype=np.int64,
        )
    account = netted.account[rated]
    magnitude = np.abs(netted.market_cents[rated])
    margin = magnitude.astype(object) * table.flat_rate[netted.code[rated]]
    is_long = netted.quantity[rated] >= 0
    zero = np.zeros(len(rated), dtype=object)
    first, (long_mv, short_mv, long_margin, short_margin) = _group_sums(
        account * (int(group_id.max()) + 1) + group_id,
        np.where(is_long, magnitude, 0),
        np.where(is_long, 0, magnitude),
        np.where(is_long, margin, zero),
        np.where(is_long, zero, margin),
    )
    take_long = (long_mv > short_mv) | ((long_mv == short_mv) & (long_margin >= short_margin))
    chosen = np.where(take_long, long_margin, short_margin)
    total = _per_account(netted.count, account[first], chosen)
    multiplier, multiplier_scale = fixed(params.flat_rate_multiplier)
    return np.array(
        _round_div(total * multiplier, 100 * 10 ** (table.flat_scale + multiplier_scale)), dtype=object
    )


def _liquidation(
    rpf: RiskParameterFile,
    table: RpfColumns,
    params: MarginParameters,
    netted: _Netted,
    exact_path: BoolArray,
) -> tuple[ObjectArray, ObjectArray]:
    """§3.2.4.3 per account: instrument-level and portfolio-level LRA."""
    zero = np.zeros(netted.count, dtype=object)
    rows = np.flatnonzero((netted.code >= 0) & (table.lra_group[np.maximum(netted.code, 0)] >= 0))
    if not len(rows):
        return zero, zero.copy()
    # The hedge must have a FieldType 4 row of its own (a structured product's column holds its
    # underlying's); without one calculate_margin says what is missing.
    hedge = table.index.get(params.hedge_instrument, -1)
    if params.hedge_instrument not in rpf.beta_hedge or hedge < 0:
        exact_path[netted.account[rows]] = True
        return zero, zero.copy()
    account = netted.account[rows]
    group = table.lra_group[netted.code[rows]]
    delta_mv = netted.quantity[rows].astype(object) * table.cash_delta[netted.code[rows]]
    first, (group_mv,) = _group_sums(account * len(table.codes) + group, delta_mv)
    group_account, group = account[first], group[first]
    magnitude = np.abs(group_mv)
    excess = magnitude - table.threshold[group]
    over = excess > 0
    instrument_lra = np.where(over, excess, 0) * table.bucket_rate[group]
    instrument = _round_div(
        _per_account(netted.count, group_account, instrument_lra), 10 ** (table.lra_scale + table.rate_scale)
    )
    beta_total = _per_account(netted.count, group_account, group_mv * table.beta[group])
    hedge_excess = np.abs(beta_total) - table.threshold[hedge] * 10**table.beta_scale
    hedge_excess = np.where(hedge_excess > 0, hedge_excess, 0)
    portfolio = _round_div(
        hedge_excess * table.bucket_rate[hedge],
        10 ** (table.lra_scale + table.beta_scale + table.rate_scale),
    )
    return np.array(instrument, dtype=object), np.array(portfolio, dtype=object)


def _structured_products(table: RpfColumns, params: MarginParameters, netted: _Netted) -> ObjectArray:
    """§3.2.4.4: long FieldType 6 positions, quantity x tick size multiplier x minimum tick."""
    has_tick = table.has_tick_multiplier[np.maximum(netted.code, 0)]
    long = np.flatnonzero((netted.code >= 0) & (netted.quantity > 0) & has_tick)
    if not len(long):
        return np.zeros(netted.count, dtype=object)
    tick, tick_scale = fixed(params.minimum_tick_size_hkd)
    addon = netted.quantity[long].astype(object) * table.tick_multiplier[netted.code[long]] * tick
    total = _per_account(netted.count, netted.account[long], addon)
    return np.array(_round_div(total, 10 ** (table.tick_scale + tick_scale)), dtype=object)


def _corporate_actions(table: RpfColumns, netted: _Netted) -> ObjectArray:
    """§3.2.4.5: per entitlement position |net MV x rate| rounded off, summed."""
    rows = np.flatnonzero((netted.code >= 0) & table.has_corporate_action[np.maximum(netted.code, 0)])
    if not len(rows):
        return np.zeros(netted.count, dtype=object)
    net = (netted.market_cents[rows] - netted.contract_cents[rows]).astype(object)
    codes = netted.code[rows]
    rate = np.where(net < 0, table.short_addon[codes], table.long_addon[codes])
    terms = np.array(_round_div(np.abs(net * rate), 100 * 10**table.action_scale), dtype=object)
    return _per_account(netted.count, netted.account[rows], terms)


def _portfolio_margin(
    rpf: RiskParameterFile,
    table: RpfColumns,
    params: MarginParameters,
    netted: _Netted,
    exact_path: BoolArray,
) -> tuple[IntArray, list[int]]:
    """§3.2.4.1 through the kernel, all accounts at once: the margins and their floors."""
    rows = np.flatnonzero((netted.code >= 0) & (table.scenario_row[np.maximum(netted.code, 0)] >= 0))
    scenario_row = table.scenario_row[netted.code[rows]]
    bound = np.abs(netted.market_cents[rows]) / 100.0 * rpf.scenarios.max_abs_return[scenario_row]
    # calculate_margin refuses a portfolio whose bound reaches MAX_ABS_TERM_HKD, saying why. (Per
    # account, not per sub-portfolio: stricter only where nothing real comes near.)
    exact_path |= np.bincount(netted.account[rows], weights=bound, minlength=netted.count) >= MAX_ABS_TERM_HKD
    keep = ~exact_path[netted.account[rows]]
    rows, scenario_row = rows[keep], scenario_row[keep]
    sizes = np.bincount(netted.account[rows], minlength=netted.count)
    batch = PortfolioBatch(
        np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        table.code_objects[netted.code[rows]],
        netted.market_cents[rows],
    )
    found = portfolio_margin_batch(rpf, batch, params.ipo_codes, params.floor_rate, scenario_row)
    return found.margin, found.floor


def margin_columns(
    rpf: RiskParameterFile, positions: PositionColumns, params: MarginParameters
) -> ColumnarMargins:
    """Every account's breakdown, as ``calculate_margin`` gives it for that account alone."""
    table = rpf_columns(rpf)
    count = positions.accounts
    exact_path = np.zeros(count, dtype=bool)
    code_index = table.indices(positions.instrument_ids)
    exact_path[positions.account[code_index < 0]] = True  # calculate_margin warns about these
    # Sums of an account's quantities and amounts are taken in 64 bits: an account whose totals
    # could pass them (thousands of rows at the largest sizes) goes to calculate_margin instead.
    for column in (positions.quantity, positions.contract_value_cents, positions.market_value_cents):
        totals = np.bincount(positions.account, weights=np.abs(column).astype(np.float64), minlength=count)
        exact_path |= totals >= _SAFE_SUM
    netted = _Netted.of(table, positions, code_index)

    market_hkd = _per_account(count, netted.account, _round_cents(netted.market_cents))
    contract_hkd = _per_account(count, netted.account, _round_cents(netted.contract_cents))
    flat = _flat_rate(table, params, netted)
    lra_instrument, lra_portfolio = _liquidation(rpf, table, params, netted, exact_path)
    spa = _structured_products(table, params, netted)
    ca = _corporate_actions(table, netted)
    pm, floor = _portfolio_margin(rpf, table, params, netted, exact_path)

    if params.holiday:
        factor, factor_scale = fixed(rpf.header.holiday_factor)
        holiday = _round_div((pm.astype(object) + flat) * factor, 10**factor_scale)
    else:
        holiday = [0] * count
    rounding = rpf.header.rounding_hkd
    components = zip(
        pm.tolist(),
        flat.tolist(),
        lra_instrument.tolist(),
        lra_portfolio.tolist(),
        spa.tolist(),
        ca.tolist(),
        holiday,
        floor,
        strict=True,
    )
    marks = zip(market_hkd.tolist(), contract_hkd.tolist(), strict=True)
    breakdowns: list[MarginBreakdown | None] = [
        None if skip else aggregate(ComponentMargins(*figures), MarkToMarket(*mark), params, rounding)[0]
        for figures, mark, skip in zip(components, marks, exact_path.tolist(), strict=True)
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
