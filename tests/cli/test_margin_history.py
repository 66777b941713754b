"""`cpdesk margin history`: the archive's RPF01 of three simulated days (fetched by `cpdesk sync`,
dated by the ledger) give three rows in date order, each equal to `cpdesk margin` on that file;
--from/--to choose days; CSV for Excel; a day whose file is damaged is reported, the others go on."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from cpdesk import samples
from cpdesk.cli.main import main
from cpdesk.cli.margin_tools import sparkline
from cpdesk.desk.batch_files import FIGURES
from cpdesk.simulator.day import publish_day
from tests.support.sites import SiteFactory

DAYS = (date(2021, 5, 6), date(2021, 5, 5), date(2021, 5, 7))  # published out of order


@pytest.fixture
def archived(make_site: SiteFactory, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[date, Path]]:
    site = make_site("securities-rap", "B00001", "B00001", name="securities", publish=False)
    for day in DAYS:
        publish_day(site.facility, "B00001", day, 60)
    site.config(check_hours="false")
    config = str(site.folder / "cpdesk.toml")
    assert main(["sync", "--config", config, "--json"]) == 0
    capsys.readouterr()
    # The archive keeps each file under its business date: archive/<facility>/<date>/RPF/.
    files = {
        date.fromisoformat(p.parent.parent.name): p
        for p in (site.folder / "archive").rglob("RPF01_*.CSV.ZIP")
    }
    assert sorted(files) == sorted(DAYS), files
    return config, files


def _margin(capsys: pytest.CaptureFixture[str], rpf: Path) -> dict[str, int]:
    assert main(["margin", "--rpf", str(rpf), "--positions", str(samples.GUIDE_POSITIONS), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    return {name: figures[name] for name in FIGURES}


def test_three_archived_days_give_three_rows_each_equal_to_cpdesk_margin(
    archived: tuple[str, dict[date, Path]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config, files = archived
    out = tmp_path / "history.csv"
    args = ["margin", "history", "--config", config, "--positions", str(samples.GUIDE_POSITIONS)]
    assert main([*args, "--json", "--csv", str(out)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["business_date"] for row in rows] == ["2021-05-05", "2021-05-06", "2021-05-07"]
    for row in rows:
        assert {n: row[n] for n in FIGURES} == _margin(
            capsys, files[date.fromisoformat(row["business_date"])]
        )
    assert len({row["total"] for row in rows}) == 3  # each day's returns differ
    with out.open() as handle:
        saved = list(csv.DictReader(handle))
    assert [r["business_date"] for r in saved] == [r["business_date"] for r in rows]
    assert [int(r["total"]) for r in saved] == [r["total"] for r in rows]

    assert main([*args, "--from", "2021-05-06", "--to", "2021-05-06", "--json"]) == 0
    assert [r["business_date"] for r in json.loads(capsys.readouterr().out)] == ["2021-05-06"]
    assert main([*args, "--from", "2021-06-01"]) == 1
    assert "no verified RPF01 in the ledger" in capsys.readouterr().err
    missing = ["margin", "history", "--config", config, "--positions", str(tmp_path / "none.csv")]
    assert main(missing) == 1
    assert "cpdesk margin history: cannot read file: " in capsys.readouterr().err

    assert main(args) == 0
    screen = capsys.readouterr().out
    totals = [r["total"] for r in rows]
    assert sparkline(totals) in screen
    assert f"{totals[1] - totals[0]:+,}" in screen


def test_a_damaged_days_file_is_reported_and_the_other_days_go_on(
    archived: tuple[str, dict[date, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, files = archived
    files[date(2021, 5, 6)].write_bytes(b"not a zip")
    args = ["margin", "history", "--config", config, "--positions", str(samples.GUIDE_POSITIONS), "--json"]
    assert main(args) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["total"] is None for r in rows] == [False, True, False]
    assert rows[1]["problems"]
    assert "2021-05-06: " in captured.err


def test_sparkline_spans_lowest_to_highest() -> None:
    assert sparkline([1, 5, 9]) == "▁▄█"
    assert sparkline([3, 3]) == "▁▁"
    assert sparkline([]) == ""
