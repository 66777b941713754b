"""Which positions drive the margin: standalone and incremental margin per position, each
position's share of the HVaR and SVaR expected shortfall, the tail scenarios, and the other
components line by line.

Shares are exact. The kernel rounds every term ``market value x return`` to whole HKD and sums
them per scenario, so a sub-portfolio's scenario P&L is the sum of its positions' rounded terms.
A position's share is the sum of its terms over the sub-portfolio's k worst scenarios, over k:
the shares of a sub-portfolio add up to ``tail sum / k``, its expected shortfall before the
floor, as exact fractions. A sub-portfolio whose tail is a gain has an expected shortfall of zero
(the guide clamps it) and so do its positions' shares: they add up to what the margin uses. Standalone and
incremental margins are full recalculations (the position alone and the portfolio without it,
margined together through the columnar engine, which gives ``calculate_margin``'s figures), never
approximations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from cpdesk.engine.margin.calculator import MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.columnar import breakdowns_of
from cpdesk.engine.margin.kernel import scenario_pnl
from cpdesk.engine.margin.portfolio import SubPortfolioTail
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.rpf.model import RiskParameterFile


@dataclass(frozen=True, slots=True)
class TailScenario:
    """One of a sub-portfolio's k worst scenarios: its number in its set (1-based, HVaR 1-1000
    or SVaR 1-1018 as the RPF01 orders them) and the sub-portfolio's P&L there (HKD)."""

    number: int
    pnl_hkd: int


@dataclass(frozen=True, slots=True)
class SubPortfolioAttribution:
    label: str  # "non-IPO" or "IPO <code>"
    hvar_es_hkd: Fraction  # min(tail sum / k, 0), as the margin uses it (negative = loss)
    svar_es_hkd: Fraction
    hvar_tail: tuple[TailScenario, ...]  # worst first
    svar_tail: tuple[TailScenario, ...]


@dataclass(frozen=True, slots=True)
class PositionAttribution:
    position: Position  # netted: one per instrument
    sub_portfolio: str | None  # None: not in the scenario table (no portfolio margin)
    hvar_share_hkd: Fraction  # its part of the sub-portfolio's HVaR expected shortfall
    svar_share_hkd: Fraction
    # "Margin" is the aggregated margin (portfolio + flat rate + LRA + structured product +
    # corporate action + holiday add-on, before the rounding up, MTM and the margin credit, which
    # would hide a single position's margin); "total" is the requirement the CP pays.
    standalone_margin_hkd: int  # this position alone
    incremental_margin_hkd: int  # the portfolio's less the portfolio's without this position
    incremental_total_hkd: int

    @property
    def instrument_id(self) -> str:
        return self.position.instrument_id


@dataclass(frozen=True, slots=True)
class ComponentLine:
    component: str  # "lra_instrument", "flat_rate", "structured_product", "corporate_action"
    key: str  # the underlying, flat rate group or position code
    hkd: Decimal


@dataclass(frozen=True, slots=True)
class MarginAttribution:
    result: MarginResult  # the whole portfolio's
    positions: tuple[PositionAttribution, ...]
    sub_portfolios: tuple[SubPortfolioAttribution, ...]
    components: tuple[ComponentLine, ...]


def attribute_margin(
    rpf: RiskParameterFile, positions: Sequence[Position], parameters: MarginParameters | None = None
) -> MarginAttribution:
    """The portfolio's margin explained position by position (positions are netted first)."""
    params = parameters or MarginParameters()
    netted = net_by_instrument(positions)
    result = calculate_margin(rpf, netted, params)
    whole = result.breakdown
    by_code = {p.instrument_id: p for p in netted}
    hvar_share: dict[str, Fraction] = {}
    svar_share: dict[str, Fraction] = {}
    member_of: dict[str, str] = {}
    subs = []
    for sub in result.portfolio.sub_portfolios:
        explained = _explain_sub(rpf, sub, [by_code[i] for i in sub.instruments], result)
        subs.append(explained[0])
        for code, (h, s) in explained[1].items():
            hvar_share[code], svar_share[code] = h, s
            member_of[code] = sub.label
    # 2n full recalculations, margined together (the columnar path gives calculate_margin's figures).
    recalculated = breakdowns_of(
        rpf, [*([p] for p in netted), *([q for q in netted if q is not p] for p in netted)], params
    )
    alone, without = recalculated[: len(netted)], recalculated[len(netted) :]
    rows = tuple(
        PositionAttribution(
            p,
            member_of.get(p.instrument_id),
            hvar_share.get(p.instrument_id, Fraction(0)),
            svar_share.get(p.instrument_id, Fraction(0)),
            standalone.aggregated,
            whole.aggregated - rest.aggregated,
            whole.total - rest.total,
        )
        for p, standalone, rest in zip(netted, alone, without, strict=True)
    )
    return MarginAttribution(result, rows, tuple(subs), _components(result))


def _explain_sub(
    rpf: RiskParameterFile, sub: SubPortfolioTail, members: Sequence[Position], result: MarginResult
) -> tuple[SubPortfolioAttribution, dict[str, tuple[Fraction, Fraction]]]:
    scenarios = rpf.scenarios
    rows = np.array([scenarios.index[p.instrument_id] for p in members], dtype=np.int64)
    cents = np.array([p.market_value_cents for p in members], dtype=np.int64)
    # Each position's rounded terms, scenario by scenario: the kernel on one row at a time.
    terms = np.vstack(
        [
            scenario_pnl(
                scenarios.returns,
                scenarios.max_abs_return,
                rows[j : j + 1],
                cents[j : j + 1] / 100.0,
                cents[j : j + 1],
            )
            for j in range(len(members))
        ]
    ).astype(np.int64)
    hvar_count = rpf.hvar_count
    k_h, k_s = result.portfolio.hvar_k, result.portfolio.svar_k
    hvar_worst = _worst(terms[:, :hvar_count].sum(axis=0), k_h)
    svar_worst = _worst(terms[:, hvar_count:].sum(axis=0), k_s)
    totals_h = terms[:, hvar_worst].sum(axis=1).tolist()
    totals_s = terms[:, hvar_count + svar_worst].sum(axis=1).tolist()
    pnl_h = terms[:, :hvar_count].sum(axis=0)
    pnl_s = terms[:, hvar_count:].sum(axis=0)
    attribution = SubPortfolioAttribution(
        sub.label,
        sub.hvar_es_hkd,
        sub.svar_es_hkd,
        tuple(TailScenario(int(n) + 1, int(pnl_h[n])) for n in hvar_worst),
        tuple(TailScenario(int(n) + 1, int(pnl_s[n])) for n in svar_worst),
    )
    # A gain in the tail is no expected shortfall: nothing to share out.
    hvar_counts, svar_counts = sub.hvar_tail_sum_hkd <= 0, sub.svar_tail_sum_hkd <= 0
    shares = {
        p.instrument_id: (
            Fraction(int(h), k_h) if hvar_counts else Fraction(0),
            Fraction(int(s), k_s) if svar_counts else Fraction(0),
        )
        for p, h, s in zip(members, totals_h, totals_s, strict=True)
    }
    return attribution, shares


def _worst(pnl: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.intp]:
    """The k worst scenarios, worst first; ties in scenario order (the tail sum is the same)."""
    return np.argsort(pnl, kind="stable")[:k]


def _components(result: MarginResult) -> tuple[ComponentLine, ...]:
    lines = [
        ComponentLine("lra_instrument", g.underlying, g.instrument_lra_hkd)
        for g in result.liquidation.groups
        if g.instrument_lra_hkd
    ]
    lines += [
        ComponentLine("flat_rate", g.group, g.margin_hkd)  # before the multiplier
        for g in result.flat_rate.groups
    ]
    lines += [
        ComponentLine("structured_product", c.instrument_id, c.addon_hkd) for c in result.structured_products
    ]
    lines += [
        ComponentLine("corporate_action", c.position_code, Decimal(c.margin_hkd))
        for c in result.corporate_actions
    ]
    return tuple(lines)
