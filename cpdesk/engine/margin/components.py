"""The market risk components besides portfolio margin, and the other risk components.

Each function is ``(inputs, parameters) -> result`` over exact decimals; amounts the guide
"rounds off" are rounded to the nearest integer, halves away from zero, exactly where it says.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, cast

from cpdesk.engine.margin.instruments import InstrumentTerms
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.numbers import (
    EXACT,
    decimal_ratio,
    round_cents,
    round_off,
    round_ratio,
    round_up_to_multiple,
)
from cpdesk.engine.problems import InputError, Problem, ProblemCode
from cpdesk.engine.rpf.model import (
    BetaHedgeInfo,
    CorporateActionInfo,
    RiskParameterFile,
    StructuredProductInfo,
)

ZERO = Decimal(0)


# -- flat rate margin (§3.2.4.2) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlatRateGroup:
    """One sub-margin group: gross long and short MV, the side taken and its margin."""

    group: str
    long_mv_hkd: Decimal
    short_mv_hkd: Decimal  # absolute value
    long_margin_hkd: Decimal
    short_margin_hkd: Decimal
    side: str  # "long" or "short"

    @property
    def margin_hkd(self) -> Decimal:
        return self.long_margin_hkd if self.side == "long" else self.short_margin_hkd


@dataclass(frozen=True, slots=True)
class FlatRateResult:
    groups: tuple[FlatRateGroup, ...]
    multiplier: Decimal
    margin_hkd: int


DEFAULT_FLAT_GROUP = "all Tier N"


def flat_group_name(instrument: str, groups: Mapping[str, str]) -> str:
    """An instrument's group in a group file; one the file does not list is a group of its own."""
    return groups.get(instrument, f"{instrument} (not in group file)")


def flat_rate_margin(
    items: Sequence[tuple[Position, Decimal]],
    multiplier: Decimal,
    groups: Mapping[str, str] | None,
) -> FlatRateResult:
    """Per group take the side with the larger absolute MV (on a tie the larger margin), sum
    |MV| x FieldType 3 rate over that side, add the groups, x the participant multiplier.

    ``items`` are the positions with a FieldType 3 rate, each with its rate. Without a group
    file every Tier N position is in one group (the NGRM briefing's example). With one, an
    instrument it does not list is a group of its own (the conservative choice).
    """
    sums: dict[str, list[Decimal]] = {}
    for item, rate in items:
        group = DEFAULT_FLAT_GROUP if groups is None else flat_group_name(item.instrument_id, groups)
        totals = sums.setdefault(group, [ZERO, ZERO, ZERO, ZERO])
        magnitude = abs(item.market_value_hkd)
        column = 0 if item.is_long else 1
        totals[column] += magnitude
        totals[column + 2] += EXACT.multiply(magnitude, rate)
    result = []
    for group, (long_mv, short_mv, long_margin, short_margin) in sums.items():
        if long_mv != short_mv:
            side = "long" if long_mv > short_mv else "short"
        else:
            side = "long" if long_margin >= short_margin else "short"
        result.append(FlatRateGroup(group, long_mv, short_mv, long_margin, short_margin, side))
    total = sum((g.margin_hkd for g in result), ZERO)
    return FlatRateResult(tuple(result), multiplier, round_off(EXACT.multiply(total, multiplier)))


# -- liquidation risk add-on (§3.2.4.3) --------------------------------------------------


class LiquidationGroup(NamedTuple):
    """One underlying group (a NamedTuple: immutable and cheap to build in the hot path)."""

    underlying: str
    delta_equivalent_mv_hkd: Decimal
    threshold_hkd: Decimal
    bucket_rate: Decimal
    beta: Decimal
    instrument_lra_hkd: Decimal  # max(|delta-equivalent MV| - threshold, 0) x bucket rate
    beta_hedge_mv_hkd: Decimal  # delta-equivalent MV x beta


def _liquidation_group(
    underlying: str, delta_equivalent_mv_hkd: Decimal, info: BetaHedgeInfo
) -> LiquidationGroup:
    excess = abs(delta_equivalent_mv_hkd) - info.threshold_hkd
    return LiquidationGroup(
        underlying,
        delta_equivalent_mv_hkd,
        info.threshold_hkd,
        info.bucket_rate,
        info.beta,
        EXACT.multiply(excess, info.bucket_rate) if excess > 0 else ZERO,
        EXACT.multiply(delta_equivalent_mv_hkd, info.beta),
    )


@dataclass(frozen=True, slots=True)
class LiquidationResult:
    hedge_instrument: str
    beta_hedge_total_hkd: Decimal
    instrument_level_hkd: int
    portfolio_level_hkd: int
    delta_equivalent_mv_hkd: tuple[tuple[str, Decimal], ...]  # per underlying group
    stocks: Mapping[str, BetaHedgeInfo]  # the RPF's FieldType 4 rows

    @property
    def groups(self) -> tuple[LiquidationGroup, ...]:
        """Each underlying group's figures (built when asked for: most callers want totals)."""
        return tuple(_liquidation_group(g, mv, self.stocks[g]) for g, mv in self.delta_equivalent_mv_hkd)


def liquidation_risk_addon(
    rpf: RiskParameterFile, items: Sequence[tuple[Position, InstrumentTerms]], hedge_instrument: str
) -> LiquidationResult:
    """Instrument-level LRA per underlying group and portfolio-level LRA against the hedge.

    ``items`` are the positions with a liquidation group. Delta-equivalent MV = quantity x cash
    delta per quantity, from FieldType 5 for structured products (grouped under their
    underlying) and FieldType 4 for stocks.
    """
    stocks = rpf.beta_hedge
    if not items:
        return LiquidationResult(hedge_instrument, ZERO, 0, 0, (), stocks)
    hedge = stocks.get(hedge_instrument)
    if hedge is None:
        raise InputError(
            [
                Problem(
                    rpf.source,
                    None,
                    "hedge instrument",
                    f"hedging instrument {hedge_instrument} has no FieldType 4 row",
                    code=ProblemCode.INCOMPLETE,
                )
            ]
        )
    with decimal.localcontext(EXACT):  # plain operators below are exact (and faster than EXACT.op)
        change = [item.quantity * terms.cash_delta_per_quantity_hkd for item, terms in items]  # type: ignore[operator]
        # The beta hedge total is the sum over groups of delta-equivalent MV x beta: position by
        # position, quantity x (cash delta x beta), which the table keeps per instrument.
        beta_total = sum([item.quantity * terms.beta_cash_delta_hkd for item, terms in items], ZERO)  # type: ignore[operator]
        # The items all have a liquidation group (the caller's filter): str, not None.
        groups = cast(list[str], [terms.liquidation_group for _, terms in items])
        if len(set(groups)) == len(groups):  # one position per group, the usual case
            delta_mv = list(zip(groups, change, strict=True))
            infos: list[BetaHedgeInfo] = [terms.liquidation_info for _, terms in items]  # type: ignore[misc]
        else:
            summed: dict[str, Decimal] = {}
            for group, mv in zip(groups, change, strict=True):
                summed[group] = summed[group] + mv if group in summed else mv
            delta_mv = list(summed.items())
            infos = [stocks[group] for group in summed]
        instrument_total = sum(
            [
                (abs(mv) - info.threshold_hkd) * info.bucket_rate
                for (_, mv), info in zip(delta_mv, infos, strict=True)
                if abs(mv) > info.threshold_hkd
            ],
            ZERO,
        )
        excess = max(abs(beta_total) - hedge.threshold_hkd, ZERO)
        portfolio_level = round_off(excess * hedge.bucket_rate)
    return LiquidationResult(
        hedge_instrument,
        beta_total,
        round_off(instrument_total),
        portfolio_level,
        tuple(delta_mv),
        stocks,
    )


# -- structured product add-on (§3.2.4.4) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class StructuredProductCharge:
    instrument_id: str
    quantity: Decimal
    tick_size_multiplier: Decimal
    addon_hkd: Decimal


def structured_product_addon(
    items: Sequence[tuple[Position, StructuredProductInfo]], minimum_tick_size: Decimal
) -> tuple[tuple[StructuredProductCharge, ...], int]:
    """Long FieldType 6 positions: quantity x tick size multiplier x minimum tick size."""
    charges = []
    for item, info in items:
        if item.quantity <= 0:
            continue
        addon = EXACT.multiply(EXACT.multiply(item.quantity, info.tick_size_multiplier), minimum_tick_size)
        charges.append(
            StructuredProductCharge(item.instrument_id, item.quantity, info.tick_size_multiplier, addon)
        )
    return tuple(charges), round_off(sum((c.addon_hkd for c in charges), ZERO))


# -- corporate action position margin (§3.2.4.5) ----------------------------------------


@dataclass(frozen=True, slots=True)
class CorporateActionCharge:
    position_code: str
    net_mv_hkd: Decimal  # market value - contract value
    rate: Decimal  # short add-on (scenario 3) for negative net MV, long add-on (scenario 4) otherwise
    margin_hkd: int


def corporate_action_margin(
    items: Sequence[tuple[Position, CorporateActionInfo]],
) -> tuple[tuple[CorporateActionCharge, ...], int]:
    """``items``: the entitlement positions (DSP/SRI/DIV codes) with their FieldType 7 rows."""
    charges = []
    for item, info in items:
        net = item.market_value_hkd - item.contract_value_hkd
        rate = info.short_addon_rate if net < 0 else info.long_addon_rate
        term = round_off(abs(EXACT.multiply(net, rate)))  # footnote 37: each term rounded
        charges.append(CorporateActionCharge(item.instrument_id, net, rate, term))
    return tuple(charges), sum(c.margin_hkd for c in charges)


# -- holiday add-on, MTM, position limit add-on ------------------------------------------


def holiday_addon(portfolio_margin_hkd: int, flat_rate_margin_hkd: int, holiday_factor: Decimal) -> int:
    """(Portfolio margin + flat rate margin) x Holiday_Factor, rounded off (§3.2.4.6)."""
    numerator, denominator = decimal_ratio(holiday_factor)
    return round_ratio((portfolio_margin_hkd + flat_rate_margin_hkd) * numerator, denominator)


@dataclass(frozen=True, slots=True)
class MarkToMarket:
    """Portfolio MV and CV, each rounded off at position level (§3.2.5.2, footnote 42)."""

    market_value_hkd: int
    contract_value_hkd: int

    @classmethod
    def of(cls, positions: Sequence[Position]) -> MarkToMarket:
        return cls(
            sum(map(round_cents, [p.market_value_cents for p in positions])),
            sum(map(round_cents, [p.contract_value_cents for p in positions])),
        )

    @property
    def mtm_hkd(self) -> int:
        """MV - CV: positive is a favourable MTM, negative an MTM requirement."""
        return self.market_value_hkd - self.contract_value_hkd


@dataclass(frozen=True, slots=True)
class PositionLimitInputs:
    """Inputs of the position limit add-on (§4.1), from HKSCC's notices to the participant."""

    apportioned_liquid_capital_hkd: Decimal
    liquid_capital_multiplier: Decimal
    liquid_capital_cap_hkd: Decimal | None
    addon_rate: Decimal


class PositionLimitResult(NamedTuple):  # a tuple: every portfolio's summary builds one
    net_market_value_hkd: int
    capital_limit_hkd: Decimal
    margin_base_hkd: int  # rounded-up PM + flat + CA + LRA + SPA
    rate: Decimal
    addon_hkd: int


def position_limit_addon(
    marks: MarkToMarket,
    inputs: PositionLimitInputs | None,
    margin_before_holiday_hkd: int,
    rounding_hkd: int,
    net_margin_after_credit_hkd: int,
) -> PositionLimitResult:
    """max(NMV - min(ALC x multiplier, cap), 0) / NMV x roundup(margin, Rounding) x rate,
    where rate is the add-on % when net margin after credit is positive, else 1 + add-on %."""
    nmv = abs(marks.market_value_hkd)  # net market value of all positions
    base = round_up_to_multiple(margin_before_holiday_hkd, rounding_hkd)
    if inputs is None:
        return PositionLimitResult(nmv, ZERO, base, ZERO, 0)
    limit = EXACT.multiply(inputs.apportioned_liquid_capital_hkd, inputs.liquid_capital_multiplier)
    if inputs.liquid_capital_cap_hkd is not None:
        limit = min(limit, inputs.liquid_capital_cap_hkd)
    rate = inputs.addon_rate if net_margin_after_credit_hkd > 0 else 1 + inputs.addon_rate
    if nmv == 0:
        return PositionLimitResult(0, limit, base, rate, 0)
    excess = max(Decimal(nmv) - limit, ZERO)
    addon = Fraction(excess) * base * Fraction(rate) / nmv  # a ratio: kept exact
    return PositionLimitResult(nmv, limit, base, rate, round_off(addon))
