"""``cpdesk lop template`` and ``cpdesk lop validate`` as a preparer runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from tests.support.lop_books import book, future_row

NAME = "LOPBI_00CFB_20261120.xlsx"


def test_template_writes_the_named_blank_workbook_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lop", "template", "LOPBI", "--submitter", "00CFB", "--date", "20261120", "--out", str(tmp_path)]
    assert main(args) == 0
    written = tmp_path / NAME
    assert written.read_bytes()[:2] == b"PK"
    assert [p.name for p in tmp_path.iterdir()] == [NAME]  # no temporary file left behind
    before = written.read_bytes()
    assert main(args) == 1
    assert "already exists; not overwritten" in capsys.readouterr().err
    assert written.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["LOPXX", "--submitter", "00CFB", "--date", "20261120"], "kind 'LOPXX' is not one of"),
        (["LOPBI", "--submitter", "00CF", "--date", "20261120"], "must be 5 capital letters or digits"),
        (["LOPBI", "--submitter", "00CFB", "--date", "20261131"], "is not a real yyyymmdd date"),
        (["LOPBI", "--submitter", "00CFB"], "give --submitter and --date together"),
    ],
)
def test_template_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["lop", "template", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_template_all_writes_the_four_blank_templates(tmp_path: Path) -> None:
    assert main(["lop", "template", "all", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "LOPBI_template.xlsx",
        "LOPTO_template.xlsx",
        "SOLBI_template.xlsx",
        "SOLTO_template.xlsx",
    ]


def test_validate_exits_0_for_valid_files_and_1_listing_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / NAME
    good.write_bytes(book([future_row()]))
    bad = tmp_path / "LOPTO_00CFB_20261120.xlsx"
    bad.write_bytes(book([future_row(Country="hk")]))
    config = ["--config", str(tmp_path / "absent.toml")]  # no config: Monday to Friday are trading days
    assert main(["lop", "validate", str(good), *config]) == 0
    capsys.readouterr()
    assert main(["lop", "validate", str(good), str(bad), str(tmp_path / "missing.xlsx"), *config]) == 1
    captured = capsys.readouterr()
    assert "LOPTO_00CFB_20261120.xlsx: LOP!C1: unexpected column 'Beneficial Owner Name'" in captured.err
    assert "missing.xlsx: cannot read" in captured.err
    assert f"{NAME}: valid, 1 row(s)" in captured.out
    assert "3 file(s): 3 error(s), 0 warning(s)" in captured.out


def test_validate_json_names_file_sheet_cell_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / NAME
    path.write_bytes(book([future_row(), future_row(HKATS_Code="MHI", Short_Position=2.5)]))
    assert main(["lop", "validate", str(path), "--json", "--config", str(tmp_path / "absent.toml")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    [problem] = report["files"][0]["problems"]
    assert problem == {
        "source": NAME,
        "line": 3,
        "sheet": "LOP",
        "cell": "M3",
        "field": "Short Position",
        "message": "Short Position: 2.5 is not a whole number of contracts",
        "severity": "error",
        "code": "bad-value",
    }


def test_validate_uses_the_configs_exchange_holidays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / NAME
    path.write_bytes(book([future_row()]))
    config = tmp_path / "cpdesk.toml"
    assert main(["init", "--participant", "CXYZ", "--config", str(config)]) == 0
    text = config.read_text().replace("holidays = []", 'holidays = ["2026-11-20"]')
    config.write_text(text)
    capsys.readouterr()
    assert main(["lop", "validate", str(path), "--config", str(config)]) == 1
    assert "trade date 2026-11-20 is not a trading day" in capsys.readouterr().err
