"""``cpdesk margin`` end to end: JSON contract, rich table, errors on stderr with exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cpdesk import samples
from cpdesk.cli.main import main
from cpdesk.cli.margin import JSON_FIELDS
from cpdesk.desk.rpf_library import PARAMETER_BOUNDS
from tests.support.sites import SiteFactory

GUIDE_ARGS = [
    "margin",
    "--lenient",
    "--no-cache",
    "--rpf",
    str(samples.GUIDE_RPF),
    "--positions",
    str(samples.GUIDE_POSITIONS),
    "--flat-groups",
    str(samples.GUIDE_FLAT_GROUPS),
    "--multiplier",
    "2",
    "--ipo",
    "1876,3690",
    "--holiday",
    "--alc",
    "75000000",
    "--alc-multiplier",
    "4",
    "--alc-cap",
    "280000000",
    "--pla-rate",
    "0.25",
    "--credit-risk-addon",
    "12000000",
    "--adhoc-addon",
    "600000",
]
GUIDE_FIGURES = {
    "portfolio_margin": 10_000_000,
    "flat_rate_margin": 15_180_000,
    "lra_instrument": 176_827,
    "lra_portfolio": 90_038,
    "structured_product_addon": 550_000,
    "corporate_action_margin": 2_500_000,
    "holiday_addon": 18_433_039,
    "aggregated": 46_929_904,
    "aggregated_rounded": 46_930_000,
    "mtm": -12_700_000,
    "favourable_mtm": 0,
    "mtm_requirement": 12_700_000,
    "net_margin": 46_930_000,
    "net_margin_after_credit": 41_930_000,
    "position_limit_addon": 487_169,
    "total": 67_717_169,
}


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*GUIDE_ARGS, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[: len(JSON_FIELDS)] == list(JSON_FIELDS)
    assert {k: out[k] for k in JSON_FIELDS} == GUIDE_FIGURES
    assert all(type(out[k]) is int for k in JSON_FIELDS)


def test_rich_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(GUIDE_ARGS) == 0
    captured = capsys.readouterr()
    assert "Total MTM and margin requirement" in captured.out
    assert "67,717,169" in captured.out
    assert "46,929,904" in captured.out
    assert "using the 10 present (lenient)" in captured.err  # warnings go to stderr


def test_strict_read_of_the_guide_sample_explains_lenient(capsys: pytest.CaptureFixture[str]) -> None:
    args = [a for a in GUIDE_ARGS if a != "--lenient"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{samples.GUIDE_RPF}:14: [HVaR_Scen_Count] FieldType 1 row for 700 has 10 scenarios" in err
    assert "use --lenient" in err


def test_bad_positions_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "pos.csv"
    bad.write_text("InstrumentID,Quantity,ContractValue,MarketValue\n700,1,abc,1\n")
    args = ["margin", "--lenient", "--no-cache", "--rpf", str(samples.GUIDE_RPF), "--positions", str(bad)]
    assert main(args) == 1
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(f"{bad}:2: [ContractValue] ContractValue: not a number: 'abc'")
    )


def test_unknown_hedge_instrument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*GUIDE_ARGS, "--hedge-instrument", "9999"]) == 1
    assert "hedging instrument 9999 has no FieldType 4 row" in capsys.readouterr().err


def test_position_limit_arguments_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "margin",
        "--rpf",
        str(samples.GUIDE_RPF),
        "--positions",
        str(samples.GUIDE_POSITIONS),
        "--alc",
        "1",
    ]
    assert main(args) == 2
    assert "--alc, --alc-multiplier and --pla-rate go together" in capsys.readouterr().err


def test_bad_number_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["margin", "--rpf", "x", "--positions", "y", "--multiplier", "two"])
    assert exit_info.value.code == 2
    assert "not a number: 'two'" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "margin" in capsys.readouterr().err


def test_installed_console_script() -> None:
    script = shutil.which("cpdesk", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, *GUIDE_ARGS, "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 67_717_169


def test_the_archived_rpf01_of_a_day_margins_the_days_positions(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """The simulated day's RPF01 (fetched, archived as its .CSV.ZIP) holds every instrument of the
    day's positions: margined from the archive by date, with no instrument missing."""
    site = make_site("securities-rap", "B00001", "B00001", name="securities")
    site.config(check_hours="false")
    config = str(site.folder / "cpdesk.toml")
    assert main(["sync", "--config", config, "--json"]) == 0
    capsys.readouterr()
    positions = str(samples.GUIDE_POSITIONS)
    args = ["margin", "--config", config, "--rpf-date", "2021-05-07", "--positions", positions, "--json"]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["warnings"] == []
    assert figures["total"] > 0
    (archived,) = (site.folder / "archive").rglob("RPF01_*.CSV.ZIP")
    assert main(["margin", "--rpf", str(archived), "--positions", positions, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == figures["total"]
    assert main(["margin", "--config", config, "--rpf-date", "2021-05-06", "--positions", positions]) == 1
    assert "no verified RPF01 for 2021-05-06" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(PARAMETER_BOUNDS))
def test_each_parameter_out_of_its_desk_bounds_is_a_usage_error(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    low, high = PARAMETER_BOUNDS[name]
    option = "--" + name.replace("_", "-")
    for wrong in (high * 10 + 1, low - 1):
        with pytest.raises(SystemExit) as caught:
            main(["margin", "--rpf", "x", "--positions", "y", option, str(wrong)])
        assert caught.value.code == 2
        assert f"{option} must be from {low:,} to {high:,}, not {wrong}" in capsys.readouterr().err
