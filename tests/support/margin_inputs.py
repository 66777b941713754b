"""Inputs the margin engine's property tests share: a small synthetic RPF and random positions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from cpdesk.engine.margin import MarginParameters, PositionLimitInputs
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf import RiskParameterFile, parse_rpf_bytes
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines, universe

INSTRUMENTS = 120  # the synthetic RPF the engine property tests share (seed 5)
NAMES = universe(INSTRUMENTS)
KNOWN = [*NAMES.scenario_instruments, *NAMES.tier_n, *NAMES.corporate_action_positions]


def synthetic_rpf(instruments: int, seed: int, name: str = "syn.csv") -> RiskParameterFile:
    """A synthetic RPF01 of ``instruments`` instruments, 60 HVaR and 80 SVaR scenarios."""
    parsed = parse_rpf_bytes(b"\n".join(synthetic_rpf_lines(instruments, 60, 80, seed=seed)) + b"\n", name)
    assert parsed.value is not None, parsed.problems
    return parsed.value


@st.composite
def positions(draw: st.DrawFn, codes: list[str]) -> Position:
    """A position in one of ``codes``: a whole quantity, its market value at a price, a contract
    value within HKD 10,000,000 of it."""
    code = draw(st.sampled_from(codes))
    quantity = draw(st.integers(min_value=-5_000_000, max_value=5_000_000))
    price_cents = draw(st.integers(min_value=1, max_value=60_000))
    mv = quantity * price_cents
    cv = mv + draw(st.integers(min_value=-(10**9), max_value=10**9))
    return Position(code, Decimal(quantity), Decimal(cv).scaleb(-2), Decimal(mv).scaleb(-2))


margin_parameters = st.builds(
    MarginParameters,
    flat_rate_multiplier=st.sampled_from([Decimal(1), Decimal("1.5"), Decimal("2.25"), Decimal("0.7")]),
    # IPO codes are stocks, some the underlying of structured products (FieldType 5).
    ipo_codes=st.sets(st.sampled_from([*NAMES.stocks[:4], "NOT-IN-RPF"]), max_size=3).map(frozenset),
    flat_groups=st.sampled_from([None, {c: f"g{n % 2}" for n, c in enumerate(NAMES.tier_n[:6])}]),
    # A structured product has no FieldType 4 row of its own: not a hedge, nor is a code not in the RPF.
    hedge_instrument=st.sampled_from([NAMES.stocks[0], "2800", NAMES.structured_products[0], "NOT-IN-RPF"]),
    holiday=st.booleans(),
    minimum_tick_size_hkd=st.sampled_from([Decimal("0.001"), Decimal("0.005"), Decimal("0.0021")]),
    margin_credit_hkd=st.sampled_from([Decimal(5_000_000), Decimal(0), Decimal("1234.5")]),
    position_limit=st.sampled_from(
        [None, PositionLimitInputs(Decimal(10_000_000), Decimal(3), Decimal(20_000_000), Decimal("0.25"))]
    ),
    credit_risk_addon_hkd=st.sampled_from([Decimal(0), Decimal("1000.5")]),
)
