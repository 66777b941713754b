"""Attribution (`cpdesk margin explain`): the shares add up exactly to the HVaR and SVaR expected
shortfall of every sub-portfolio, on the guide's sample and on random portfolios; standalone and
incremental margins equal full recalculations; the tail scenarios are the k worst."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdesk import samples
from cpdesk.cli.main import main
from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.attribution import MarginAttribution, attribute_margin
from cpdesk.engine.margin.portfolio import scenario_pnls
from cpdesk.engine.margin.positions import Position, parse_positions
from cpdesk.engine.rpf import RiskParameterFile, parse_rpf
from cpdesk.engine.rpf.synthetic import universe
from tests.support.margin_inputs import synthetic_rpf

NAMES = universe(40)
CODES = [*NAMES.scenario_instruments, *NAMES.tier_n, *NAMES.corporate_action_positions]
GUIDE_IPO = MarginParameters(ipo_codes=frozenset({"1876", "3690"}))


@pytest.fixture(scope="module")
def guide() -> tuple[RiskParameterFile, tuple[Position, ...]]:
    rpf = parse_rpf(samples.GUIDE_RPF, lenient=True).value
    assert rpf is not None
    return rpf, parse_positions(samples.GUIDE_POSITIONS).value


@pytest.fixture(scope="module")
def synthetic() -> RiskParameterFile:
    return synthetic_rpf(40, seed=9)


def _check_shares(found: MarginAttribution) -> None:
    by_sub: dict[str, list[tuple[Fraction, Fraction]]] = {}
    for p in found.positions:
        if p.sub_portfolio is not None:
            by_sub.setdefault(p.sub_portfolio, []).append((p.hvar_share_hkd, p.svar_share_hkd))
        else:
            assert p.hvar_share_hkd == 0 == p.svar_share_hkd
    details = {s.label: s for s in found.result.portfolio.sub_portfolios}
    assert set(by_sub) == set(details) == {s.label for s in found.sub_portfolios}
    for sub in found.sub_portfolios:
        shares = by_sub[sub.label]
        detail = details[sub.label]
        # Exactly the expected shortfall the margin uses (clamped at zero when the tail gains).
        assert sum(h for h, _ in shares) == sub.hvar_es_hkd == detail.hvar_es_hkd
        assert sum(s for _, s in shares) == sub.svar_es_hkd == detail.svar_es_hkd
        k_h, k_s = found.result.portfolio.hvar_k, found.result.portfolio.svar_k
        assert sub.hvar_es_hkd == min(Fraction(detail.hvar_tail_sum_hkd, k_h), Fraction(0))
        assert sub.svar_es_hkd == min(Fraction(detail.svar_tail_sum_hkd, k_s), Fraction(0))
        if detail.hvar_tail_sum_hkd < 0:  # a loss: each share is the position's tail average
            assert any(h for h, _ in shares)
        assert sum(t.pnl_hkd for t in sub.hvar_tail) == detail.hvar_tail_sum_hkd
        assert sum(t.pnl_hkd for t in sub.svar_tail) == detail.svar_tail_sum_hkd
        assert len(sub.hvar_tail) == found.result.portfolio.hvar_k
        assert [t.pnl_hkd for t in sub.hvar_tail] == sorted(t.pnl_hkd for t in sub.hvar_tail)


def _check_recalculations(rpf: RiskParameterFile, found: MarginAttribution, params: MarginParameters) -> None:
    whole = found.result.breakdown
    positions = [p.position for p in found.positions]
    for n, p in enumerate(found.positions):
        without = calculate_margin(rpf, positions[:n] + positions[n + 1 :], params).breakdown
        alone = calculate_margin(rpf, positions[n : n + 1], params).breakdown
        assert p.incremental_margin_hkd == whole.aggregated - without.aggregated, p.instrument_id
        assert p.incremental_total_hkd == whole.total - without.total, p.instrument_id
        assert p.standalone_margin_hkd == alone.aggregated, p.instrument_id


def test_on_the_guides_sample_shares_add_up_to_each_expected_shortfall(
    guide: tuple[RiskParameterFile, tuple[Position, ...]],
) -> None:
    rpf, positions = guide
    found = attribute_margin(rpf, positions, GUIDE_IPO)
    assert [s.label for s in found.sub_portfolios] == ["non-IPO", "IPO 1876", "IPO 3690"]
    _check_shares(found)
    _check_recalculations(rpf, found, GUIDE_IPO)
    assert found.result.breakdown == calculate_margin(rpf, positions, GUIDE_IPO).breakdown


def test_the_worst_scenario_of_the_guides_sample_is_where_700_loses_most(
    guide: tuple[RiskParameterFile, tuple[Position, ...]],
) -> None:
    rpf, positions = guide
    found = attribute_margin(rpf, positions)
    (sub,) = found.sub_portfolios
    members = [p for p in positions if p.instrument_id in rpf.scenarios.index]
    hvar, svar = scenario_pnls(
        rpf, [p.instrument_id for p in members], [p.market_value_cents for p in members]
    )
    assert sub.hvar_tail[0].pnl_hkd == int(hvar.min())
    assert sub.hvar_tail[0].number == int(hvar.argmin()) + 1
    assert sub.svar_tail[0].pnl_hkd == int(svar.min())
    lines = {(c.component, c.key): c.hkd for c in found.components}
    assert lines[("lra_instrument", "700")] == Decimal("176827.2")
    assert lines[("structured_product", "26883")] == Decimal(550_000)
    assert lines[("corporate_action", "DSP700")] == Decimal(2_000_000)


@st.composite
def position(draw: st.DrawFn) -> Position:
    quantity = draw(st.integers(min_value=-3_000_000, max_value=3_000_000))
    mv = quantity * draw(st.integers(min_value=1, max_value=50_000))
    return Position(
        draw(st.sampled_from(CODES)), Decimal(quantity), Decimal(mv).scaleb(-2), Decimal(mv).scaleb(-2)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(portfolio=st.lists(position(), min_size=1, max_size=12), ipo=st.booleans())
def test_on_random_portfolios_shares_add_up_and_increments_are_recalculations(
    synthetic: RiskParameterFile, portfolio: list[Position], ipo: bool
) -> None:
    params = MarginParameters(ipo_codes=frozenset(NAMES.stocks[1:3]) if ipo else frozenset())
    found = attribute_margin(synthetic, portfolio, params)
    _check_shares(found)
    _check_recalculations(synthetic, found, params)


def test_cpdesk_margin_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["margin", "explain", "--rpf", str(samples.GUIDE_RPF), "--positions", str(samples.GUIDE_POSITIONS)]
    assert main([*args, "--lenient", "--ipo", "1876,3690", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == calculate_margin(*_guide_inputs(), GUIDE_IPO).breakdown.total
    for sub in out["sub_portfolios"]:
        members = [p for p in out["positions"] if p["sub_portfolio"] == sub["label"]]
        assert sum(Fraction(p["hvar_share_exact"]) for p in members) == Fraction(sub["hvar_es_exact"])
        assert sum(Fraction(p["svar_share_exact"]) for p in members) == Fraction(sub["svar_es_exact"])
    assert main([*args, "--lenient"]) == 0
    screen = capsys.readouterr().out
    assert "Margin by position (total HKD 28,390,000)" in screen
    assert "-5,011,667" in screen  # 700's HVaR share, whole HKD


def _guide_inputs() -> tuple[RiskParameterFile, tuple[Position, ...]]:
    rpf = parse_rpf(samples.GUIDE_RPF, lenient=True).value
    assert rpf is not None
    return rpf, parse_positions(samples.GUIDE_POSITIONS).value
