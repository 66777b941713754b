"""Inputs the margin engine's property tests share: a small synthetic RPF and random positions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf import RiskParameterFile, parse_rpf_bytes
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines


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
