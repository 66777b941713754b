"""``cpdesk excel workbook`` and ``cpdesk excel install`` (off Windows: the workbook and xlwings'
settings are written, and the user is told Excel for Windows is needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpdesk.cli.main import main


def test_workbook_writes_the_margin_workbook(tmp_path: Path) -> None:
    assert main(["excel", "workbook", "--out", str(tmp_path / "m.xlsm")]) == 0
    assert (tmp_path / "m.xlsm").stat().st_size > 5000


def test_install_keeps_other_xlwings_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = tmp_path / ".xlwings" / "xlwings.conf"
    settings.parent.mkdir()
    settings.write_text('"Show Console","True"\n"UDF Modules","old.module"\n')
    assert main(["excel", "install", "--out", str(tmp_path / "m.xlsm")]) == 0
    lines = settings.read_text().splitlines()
    assert lines[0] == '"Show Console","True"'
    assert '"UDF Modules","cpdesk.excel_addin.udfs"' in lines
    assert '"UDF Modules","old.module"' not in lines
    assert "needs Excel for Windows" in capsys.readouterr().out
    assert (tmp_path / "m.xlsm").exists()


def test_an_unwritable_workbook_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["excel", "workbook", "--out", str(tmp_path / "absent" / "m.xlsm")]) == 2
    assert "absent" in capsys.readouterr().err
