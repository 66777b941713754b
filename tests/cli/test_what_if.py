"""``cpdesk margin --what-if``: each set of hypothetical trades margined with the portfolio, the
change the difference of two full calculations (issue 14's first part)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cpdesk import samples
from cpdesk.cli.main import main
from cpdesk.desk import Desk, MarginRequest
from tests.cli.test_margin_command import GUIDE_ARGS

GUIDE = GUIDE_ARGS  # the guide's worked example and inputs
WHAT_IF = (
    "Scenario,InstrumentID,Quantity,ContractValue,MarketValue\n"
    "close 700,700,1000000,384000000,400000000\n"
    "buy 1299,1299,100000,8000000,8000000\n"
    "buy 1299,1299,100000,8000000,8000000\n"
)


def test_each_scenario_before_after_and_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trades = tmp_path / "what-if.csv"
    trades.write_text(WHAT_IF)
    assert main([*GUIDE, "--what-if", str(trades), "--json"]) == 0
    scenarios = json.loads(capsys.readouterr().out)["scenarios"]
    assert [s["name"] for s in scenarios] == ["close 700", "buy 1299"]
    for scenario in scenarios:
        assert len(scenario["before"]) == len(scenario["after"]) == len(scenario["change"]) == 16
        for name, before in scenario["before"].items():
            assert scenario["change"][name] == scenario["after"][name] - before
    # Closing 700 exactly nets it away: as margining the portfolio without it.
    without_700 = "".join(
        line + "\n"
        for line in samples.GUIDE_POSITIONS.read_text().splitlines()
        if not line.startswith("700,")
    )
    alone = Desk.margin(MarginRequest(samples.GUIDE_RPF, io.BytesIO(without_700.encode()), lenient=True))
    closed = Desk.what_if(
        MarginRequest(samples.GUIDE_RPF, samples.GUIDE_POSITIONS, lenient=True), io.BytesIO(WHAT_IF.encode())
    ).scenarios[0]
    assert alone.result is not None
    assert closed.after.portfolio_margin == alone.result.breakdown.portfolio_margin
    assert closed.after.lra_instrument == alone.result.breakdown.lra_instrument


def test_the_table_and_a_bad_what_if_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trades = tmp_path / "what-if.csv"
    trades.write_text(WHAT_IF)
    assert main([*GUIDE, "--what-if", str(trades)]) == 0
    shown = capsys.readouterr().out
    assert "What-if: close 700 (HKD)" in shown
    assert "What-if: buy 1299 (HKD)" in shown
    trades.write_text("InstrumentID,Quantity,ContractValue,MarketValue\n700,ten,1,1\n")
    assert main([*GUIDE, "--what-if", str(trades)]) == 1
    assert "what-if.csv:2: [Quantity]" in capsys.readouterr().err


def test_adding_and_removing_each_guide_position_equals_a_full_recalculation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the guide's sample with the guide's inputs: for each position, a what-if set that removes
    it and one that adds it once more; every figure after equals `cpdesk margin` on the changed
    portfolio's own file."""
    header, *rows = samples.GUIDE_POSITIONS.read_text().splitlines()
    trades = ["Scenario," + header]
    for row in rows:
        code, quantity, contract, market = row.split(",")
        trades.append(f"remove {code},{code},{-int(quantity)},{-int(contract)},{-int(market)}")
        trades.append(f"add {code},{row}")
    what_if = tmp_path / "each.csv"
    what_if.write_text("\n".join(trades) + "\n")
    assert main([*GUIDE, "--what-if", str(what_if), "--json"]) == 0
    scenarios = {s["name"]: s for s in json.loads(capsys.readouterr().out)["scenarios"]}
    assert len(scenarios) == 2 * len(rows)

    positions_at = GUIDE.index("--positions") + 1
    for n, row in enumerate(rows):
        code = row.split(",")[0]
        for name, changed in (
            (f"remove {code}", rows[:n] + rows[n + 1 :]),
            (f"add {code}", [*rows, row]),
        ):
            portfolio = tmp_path / "changed.csv"
            portfolio.write_text("\n".join([header, *changed]) + "\n")
            args = [*GUIDE[:positions_at], str(portfolio), *GUIDE[positions_at + 1 :], "--json"]
            assert main(args) == 0
            full = json.loads(capsys.readouterr().out)
            after = scenarios[name]["after"]
            assert after == {field: full[field] for field in after}, name


def test_a_what_if_trade_the_rpf_has_no_row_for_is_said_by_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistyped code ("00700" for 700) would otherwise show a change of +0 and nothing else.
    trades = tmp_path / "what-if.csv"
    trades.write_text(
        "Scenario,InstrumentID,Quantity,ContractValue,MarketValue\n"
        "typo,00700,1000,300000,310000\n"
        "fine,700,1000,384000,400000\n"
    )
    for json_flag in ([], ["--json"]):
        assert main([*GUIDE, "--what-if", str(trades), *json_flag]) == 0
        captured = capsys.readouterr()
        warned = [line for line in captured.err.splitlines() if "00700" in line]
        assert warned == [
            f"{trades} (scenario typo): [00700] 00700 has no row in the RPF; it counts only towards"
            " MTM and position limit (warning)"
        ]
    scenarios = {s["name"]: s for s in json.loads(captured.out)["scenarios"]}
    change = scenarios["typo"]["change"]
    risk = ("portfolio_margin", "flat_rate_margin", "lra_instrument", "lra_portfolio")
    assert [change[name] for name in risk] == [0, 0, 0, 0]
    assert change["mtm"] == 10_000  # MV 310,000 less CV 300,000: MTM and position limit only
