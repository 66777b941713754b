"""Total MTM and margin requirement of one portfolio (guide §3.2, §4.1).

``calculate_margin(rpf, positions, parameters)`` is stateless: the same inputs always give the
same :class:`MarginResult`, whose :class:`MarginBreakdown` holds every figure of the guide's
summary (§3.2.7) as whole HKD.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from cpdesk.engine.margin.components import (
    CorporateActionCharge,
    FlatRateResult,
    LiquidationResult,
    MarkToMarket,
    PositionLimitInputs,
    PositionLimitResult,
    StructuredProductCharge,
    corporate_action_margin,
    flat_rate_margin,
    holiday_addon,
    liquidation_risk_addon,
    position_limit_addon,
    structured_product_addon,
)
from cpdesk.engine.margin.instruments import corporate_action_info, instrument_table
from cpdesk.engine.margin.portfolio import PortfolioMarginDetail, portfolio_margin
from cpdesk.engine.margin.positions import Position, net_by_instrument
from cpdesk.engine.numbers import round_off, round_up_to_multiple
from cpdesk.engine.problems import Problem, ProblemCode, Severity
from cpdesk.engine.rpf.model import FieldType, RiskParameterFile

DEFAULT_FLOOR_RATE = Decimal("0.025")
DEFAULT_MARGIN_CREDIT_HKD = Decimal(5_000_000)
DEFAULT_HEDGE_INSTRUMENT = "2800"  # Tracker Fund of Hong Kong (guide footnote 33)
DEFAULT_MINIMUM_TICK_SIZE_HKD = Decimal("0.001")


@dataclass(frozen=True)
class MarginParameters:
    """Participant- and day-specific inputs that are not in the RPF."""

    flat_rate_multiplier: Decimal = Decimal(1)
    floor_rate: Decimal = DEFAULT_FLOOR_RATE
    ipo_codes: frozenset[str] = frozenset()
    flat_groups: Mapping[str, str] | None = None
    hedge_instrument: str = DEFAULT_HEDGE_INSTRUMENT
    holiday: bool = False
    minimum_tick_size_hkd: Decimal = DEFAULT_MINIMUM_TICK_SIZE_HKD
    margin_credit_hkd: Decimal = DEFAULT_MARGIN_CREDIT_HKD
    position_limit: PositionLimitInputs | None = None
    credit_risk_addon_hkd: Decimal = Decimal(0)
    adhoc_addon_hkd: Decimal = Decimal(0)


class MarginBreakdown(NamedTuple):
    """Every figure in whole HKD. The first sixteen fields are the command's JSON contract.

    Immutable as a frozen dataclass would be, but a named tuple: a batch builds one per account,
    and a frozen dataclass's ``__init__`` (twenty ``object.__setattr__`` calls) took 2 µs of
    it, a tuple 0.25 µs (``MarginBreakdown._make(row)``)."""

    portfolio_margin: int
    flat_rate_margin: int
    lra_instrument: int
    lra_portfolio: int
    structured_product_addon: int
    corporate_action_margin: int
    holiday_addon: int
    aggregated: int
    aggregated_rounded: int
    mtm: int
    favourable_mtm: int
    mtm_requirement: int
    net_margin: int
    net_margin_after_credit: int
    position_limit_addon: int
    total: int
    credit_risk_addon: int
    adhoc_addon: int
    margin_credit: int
    portfolio_margin_floor: int

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self._fields, self, strict=True))


@dataclass(frozen=True)
class MarginResult:
    breakdown: MarginBreakdown
    portfolio: PortfolioMarginDetail
    flat_rate: FlatRateResult
    liquidation: LiquidationResult
    structured_products: tuple[StructuredProductCharge, ...]
    corporate_actions: tuple[CorporateActionCharge, ...]
    position_limit: PositionLimitResult
    warnings: tuple[Problem, ...] = field(default=())


@functools.lru_cache(maxsize=256)
def whole_hkd(amount: Decimal) -> int:
    """A parameter amount rounded off to whole HKD (cached: the same few amounts, every call)."""
    return round_off(amount)


class ComponentMargins(NamedTuple):
    """The risk components of one portfolio, whole HKD, as §3.2.7 adds them up (the first seven
    fields are MarginBreakdown's first seven, in its order: aggregate passes them on as they are)."""

    portfolio_margin: int
    flat_rate_margin: int
    lra_instrument: int
    lra_portfolio: int
    structured_product_addon: int
    corporate_action_margin: int
    holiday_addon: int
    portfolio_margin_floor: int  # reported beside them, not added


def aggregate(
    components: ComponentMargins, marks: MarkToMarket, params: MarginParameters, rounding_hkd: int
) -> tuple[MarginBreakdown, PositionLimitResult]:
    """The summary of §3.2.7 from the components: aggregated and rounded up to ``Rounding``, the
    MTM, the margin credit, the position limit add-on and the other add-ons (every path that
    margins a portfolio ends here)."""
    pm, flat, lra_instrument, lra_portfolio, spa, corporate_action, holiday, floor = components
    before_holiday = pm + flat + lra_instrument + lra_portfolio + spa + corporate_action
    aggregated = before_holiday + holiday
    aggregated_rounded = round_up_to_multiple(aggregated, rounding_hkd)
    mtm = marks.mtm_hkd
    favourable = mtm if mtm > 0 else 0
    requirement = -mtm if mtm < 0 else 0
    net_margin = aggregated_rounded - favourable if aggregated_rounded > favourable else 0
    credit = whole_hkd(params.margin_credit_hkd)
    after_credit = net_margin - credit if net_margin > credit else 0
    pla = position_limit_addon(marks, params.position_limit, before_holiday, rounding_hkd, after_credit)
    credit_risk = whole_hkd(params.credit_risk_addon_hkd)
    adhoc = whole_hkd(params.adhoc_addon_hkd)
    # Positional (a keyword call of twenty fields took three times as long): the components'
    # first seven fields are the breakdown's first seven.
    breakdown = MarginBreakdown(
        *components[:7],
        aggregated,
        aggregated_rounded,
        mtm,
        favourable,
        requirement,
        net_margin,
        after_credit,
        pla.addon_hkd,
        after_credit + requirement + pla.addon_hkd + credit_risk + adhoc,  # total
        credit_risk,
        adhoc,
        credit,
        floor,
    )
    return breakdown, pla


def identify(rpf: RiskParameterFile, positions: Sequence[Position]) -> list[tuple[str, frozenset[FieldType]]]:
    """§3.2.2's identification table: each position code with the FieldTypes that apply."""
    return [(p.instrument_id, applicable_field_types(rpf, p.instrument_id)) for p in positions]


def applicable_field_types(rpf: RiskParameterFile, instrument: str) -> frozenset[FieldType]:
    """The FieldTypes that apply to a position code (the guide's §3.2.2 identification)."""
    found = [
        field_type
        for field_type, table in (
            (FieldType.HVAR_SCENARIOS, rpf.scenarios.index),
            (FieldType.SVAR_SCENARIOS, rpf.scenarios.index),
            (FieldType.FLAT_RATE, rpf.flat_rates),
            (FieldType.BETA_HEDGE, rpf.beta_hedge),
            (FieldType.INSTRUMENT_DELTA, rpf.deltas),
            (FieldType.STRUCTURED_PRODUCT, rpf.structured_products),
        )
        if instrument in table
    ]
    if not instrument[:1].isdigit() and corporate_action_info(rpf, instrument) is not None:
        found.append(FieldType.CORPORATE_ACTION)
    return frozenset(found)


def unknown_instrument(instrument: str) -> Problem:
    """The warning for a position code the RPF has no row for."""
    return Problem(
        "positions",
        None,
        instrument,
        f"{instrument} has no row in the RPF; it counts only towards MTM and position limit",
        Severity.WARNING,
        ProblemCode.UNKNOWN_INSTRUMENT,
    )


def calculate_margin(
    rpf: RiskParameterFile, positions: Sequence[Position], parameters: MarginParameters | None = None
) -> MarginResult:
    params = parameters or MarginParameters()
    positions = net_by_instrument(positions)
    codes = [p.instrument_id for p in positions]
    terms = instrument_table(rpf).many(codes)
    # Each component takes the positions the RPF gives it terms for (comprehensions: this is the
    # hot path of every margin cell and batch account).
    pairs = list(zip(positions, terms, strict=True))
    flat = [(item, found.flat_rate) for item, found in pairs if found.flat_rate is not None]
    liquidation = [(item, found) for item, found in pairs if found.liquidation_group is not None]
    products = [
        (item, found.structured_product) for item, found in pairs if found.structured_product is not None
    ]
    actions = [(item, found.corporate_action) for item, found in pairs if found.corporate_action is not None]
    unknown = [item.instrument_id for item, found in pairs if not found.in_rpf]
    warnings = tuple(unknown_instrument(instrument) for instrument in unknown)

    pm = portfolio_margin(
        rpf, codes, [p.market_value_cents for p in positions], params.ipo_codes, params.floor_rate, terms
    )
    flat_rate = flat_rate_margin(flat, params.flat_rate_multiplier, params.flat_groups)
    lra = liquidation_risk_addon(rpf, liquidation, params.hedge_instrument)
    sp_charges, spa = structured_product_addon(products, params.minimum_tick_size_hkd)
    ca_charges, ca = corporate_action_margin(actions)
    holiday = (
        holiday_addon(pm.margin_hkd, flat_rate.margin_hkd, rpf.header.holiday_factor) if params.holiday else 0
    )

    breakdown, pla = aggregate(
        ComponentMargins(
            pm.margin_hkd,
            flat_rate.margin_hkd,
            lra.instrument_level_hkd,
            lra.portfolio_level_hkd,
            spa,
            ca,
            holiday,
            round_off(pm.floor_hkd),
        ),
        MarkToMarket.of(positions),
        params,
        rpf.header.rounding_hkd,
    )
    return MarginResult(breakdown, pm, flat_rate, lra, sp_charges, ca_charges, pla, warnings)
