"""``cpdesk report check|show`` and ``cpdesk mstd`` on real zip files in a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from tests.support import seed003 as seed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / seed.CONTROL_NAME).write_bytes(seed.control_zip())
    (tmp_path / seed.DATA_NAME).write_bytes(seed.data_zip())
    (tmp_path / "RX_AUDIT_CXYZ_20210507.csv").write_text("opaque\n")
    (tmp_path / "notes.txt").write_text("x\n")
    return tmp_path


def test_check_a_folder(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "check", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"ok   {seed.STEM}  Risk - Northbound MSTD Requirement Report, business date 2021-05-07, 3 records"
    )
    assert "skip RX_AUDIT_CXYZ_20210507.csv: RX_AUDIT (opaque), not a pair: not checked" in out
    assert "skip notes.txt: unknown file, not checked" in out


def test_check_one_file_brings_its_partner(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "check", "--json", str(folder / seed.DATA_NAME)]) == 0
    (pair,) = json.loads(capsys.readouterr().out)
    assert {k: pair[k] for k in seed.PAIR_SUMMARY} == seed.PAIR_SUMMARY


def test_a_broken_pair_fails_with_one_line_per_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / seed.CONTROL_NAME).write_bytes(
        seed.control_zip(seed.CONTROL_TEXT.replace("RMCNM01", "RMCNM03").replace("0003", "0009"))
    )
    assert main(["report", "check", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"FAIL {seed.STEM}")
    assert out[1:3] == [
        f"     {seed.CONTROL_NAME}:1: [R4 Report ID] control file is for RMCNM03, the file name says RMCNM01",
        f"     {seed.DATA_NAME}: control file counts 9 records, data file has 3",
    ]


def test_missing_partner_and_bad_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / seed.DATA_NAME).write_bytes(seed.data_zip())
    assert main(["report", "check", str(tmp_path / seed.DATA_NAME)]) == 1
    assert "control file is missing" in capsys.readouterr().out
    assert main(["report", "check", str(tmp_path / "nope")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert main(["report", "check", str(tmp_path / "notes.txt")]) == 1
    assert "not a report pair file name" in capsys.readouterr().err


def test_show_formats(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(folder / seed.DATA_NAME)
    assert main(["report", "show", data, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["market"] for r in rows] == ["MAMK", "SZMK"]
    assert rows[0]["deposit_rate"] == "0.18"
    assert rows[0]["average_daily_spsa_sell_turnover_cny"] is None
    assert main(["report", "show", data, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("record,batch,idm,create_time,business_date")
    assert len(lines) == 3
    assert main(["report", "show", str(folder / seed.CONTROL_NAME)]) == 0  # the control file shows its data
    out = capsys.readouterr().out
    assert "mstd_requirement_cny" in out
    assert "1498719" in out


def test_show_an_unknown_layout_as_plain_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stem = "RMASP01_B00001_20210507205600"
    path = tmp_path / f"{stem}.CSV.ZIP"
    path.write_bytes(seed.zip_bytes({f"{stem}.CSV": "Series,Price\nA,1.5\nB,2\n"}))
    assert main(["report", "show", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"Series": "A", "Price": "1.5"},
        {"Series": "B", "Price": "2"},
    ]


def test_show_a_damaged_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / seed.DATA_NAME
    path.write_bytes(seed.data_zip()[:30])
    assert main(["report", "show", str(path)]) == 1
    assert "not a complete zip file" in capsys.readouterr().err


def test_mstd_from_figures(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["mstd", "--buy-turnover", "2,630,748.50", "--avg-buy", "1024595.87", "--rate", "18%", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == {
        "daily": 473_535,
        "monthly": 184_427,
        "requirement": 473_535,
    }
    assert main(["mstd", "--buy-turnover", "5965368.27", "--avg-buy", "8326215.81", "--rate", "0.18"]) == 0
    assert "1,498,719" in capsys.readouterr().out


def test_mstd_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mstd", "--buy-turnover", "1"]) == 2
    assert "--rate is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mstd", "--rate", "18"])
    assert "write a percentage as 18%" in capsys.readouterr().err


def test_mstd_reconciles_a_report(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mstd", "--report", str(folder / seed.DATA_NAME), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["market"], r["requirement"], r["agrees"]) for r in rows] == [
        ("MAMK", 473_535, True),
        ("SZMK", 1_498_719, True),
    ]


def test_mstd_flags_a_report_that_disagrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / seed.DATA_NAME
    path.write_bytes(seed.data_zip(seed.data_text().replace(",1498719,18.00%", ",1498000,18.00%")))
    assert main(["mstd", "--report", str(path)]) == 1
    captured = capsys.readouterr()
    assert "differs: R22" in captured.out
    assert (
        f"{seed.DATA_NAME}:3: [R22 Monthly MSTD Requirement] SZMK: report says 1498000, recomputed 1498719"
        in (captured.err)
    )
