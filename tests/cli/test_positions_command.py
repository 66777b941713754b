"""``cpdesk positions``: from a CP's trades to the positions ``cpdesk margin`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdesk import samples
from cpdesk.cli.main import main

TRADES = (
    "TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount\n"
    "2019-11-01,2019-11-05,700,HKD,400,150000\n"
    "2019-11-04,2019-11-06,700,HKD,-800,-300000\n"
    "2019-11-05,2019-11-07,700,HKD,1200,456000\n"
)


def _files(folder: Path, trades: str = TRADES, prices: str = "InstrumentID,Price\n700,380\n") -> list[str]:
    (folder / "trades.csv").write_text(trades)
    (folder / "prices.csv").write_text(prices)
    return [
        "positions",
        "--trades",
        str(folder / "trades.csv"),
        "--date",
        "2019-11-05",
        "--prices",
        str(folder / "prices.csv"),
    ]


def test_positions_are_written_for_margin_and_margined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pos.csv"
    assert main([*_files(tmp_path), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["positions"] == [
        {
            "instrument_id": "700",
            "quantity": 800,
            "contract_value": "306000",
            "market_value": "304000",
            "currency": "HKD",
            "due_today": False,
        }
    ]
    assert summary["mtm"] == {"mtm_hkd": -2000, "favourable_mtm": 0, "mtm_requirement": 2000}
    assert out.read_text() == "InstrumentID,Quantity,ContractValue,MarketValue\n700,800,306000.00,304000.00\n"
    assert (
        main(["margin", "--lenient", "--rpf", str(samples.GUIDE_RPF), "--positions", str(out), "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["mtm"] == -2000


def test_a_bad_row_and_a_missing_price_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = TRADES.replace("2019-11-04,2019-11-06,700,HKD,-800", "2019-11-04,6 Nov,700,HKD,-800")
    assert main(_files(tmp_path, bad)) == 1
    assert (
        "trades.csv:3: [SettlementDate] SettlementDate: '6 Nov' is not a date YYYY-MM-DD"
        in capsys.readouterr().err
    )
    assert main(_files(tmp_path, prices="InstrumentID,Price\n5,60\n")) == 1
    assert "no price for 700" in capsys.readouterr().err


def test_explain_says_what_each_step_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ssc.csv").write_text("StockCode,SettlementDate,Quantity\n700,2019-11-06,300\n")
    assert main([*_files(tmp_path), "--ssc", str(tmp_path / "ssc.csv"), "--explain"]) == 0
    shown = capsys.readouterr().out
    assert "SSC  line 3: 700 HKD: 300 of 800 covered; 0 left" in shown
    assert "NET  700 HKD: 3 row(s), lines (2, 3, 4)" in shown


def test_margin_takes_trades_in_place_of_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = ["margin", "--lenient", "--rpf", str(samples.GUIDE_RPF), "--json"]
    out = tmp_path / "pos.csv"
    assert main([*_files(tmp_path), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*rpf, "--positions", str(out)]) == 0
    from_positions = json.loads(capsys.readouterr().out)
    trades = [
        "--trades",
        str(tmp_path / "trades.csv"),
        "--date",
        "2019-11-05",
        "--prices",
        str(tmp_path / "prices.csv"),
    ]
    assert main([*rpf, *trades]) == 0
    assert json.loads(capsys.readouterr().out) == from_positions
    assert main([*rpf, "--trades", str(tmp_path / "trades.csv")]) == 2
    assert "--trades needs --date and --prices" in capsys.readouterr().err


def test_trades_of_several_accounts_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trades = (
        "TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount,Account\n"
        "2019-11-04,2019-11-06,700,HKD,400,150000,HOUSE\n"
        "2019-11-04,2019-11-06,700,HKD,-100,-38000,CLIENT1\n"
    )
    assert main(_files(tmp_path, trades)) == 1
    assert "the file holds 2 accounts (CLIENT1, HOUSE); one file is one portfolio" in capsys.readouterr().err


# The guide's §4.8 CP A from its books: 700 in two rows settling today (one by its date, one by
# DueToday Y) and a third bought at the price that settles tomorrow, so each run must tell the
# rows of one instrument apart.
CP_A_TRADES = (
    "TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount,DueToday\n"
    "2024-05-30,2024-06-03,700,HKD,60,12000,\n"
    "2024-05-30,2024-06-04,700,HKD,40,8000,Y\n"
    "2024-05-31,2024-06-04,700,HKD,10,3800,\n"
    "2024-05-31,2024-06-03,80737,CNY,-5000,-15000,N\n"
    "2024-05-30,2024-06-03,9167,USD,100,900,\n"
)


@pytest.mark.parametrize(
    ("run", "requirement", "held_700"),
    [("11:00", 4_168, [(75, "15000.00"), (10, "3800")]), ("14:00", 2_961, [(10, "3800")])],
)
def test_intraday_runs_set_apart_each_row_due_today(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    run: str,
    requirement: int,
    held_700: list[tuple[int, str]],
) -> None:
    prices = "InstrumentID,Price\n700,380\n80737,3.5\n9167,9.5\n"
    (tmp_path / "fx.csv").write_text("Currency,Rate,Haircut\nCNY,1.15,0.03\nUSD,7.8,0.01\n")
    (tmp_path / "settle.csv").write_text("Name,Value\nunposted_debit,20000\ncash_prepayment,11755\n")
    argv = _files(tmp_path, CP_A_TRADES, prices)
    argv[argv.index("2019-11-05")] = "2024-06-03"
    extra = ["--fx", str(tmp_path / "fx.csv"), "--settlement", str(tmp_path / "settle.csv")]
    assert main([*argv, *extra, "--run", run, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mtm"]["mtm_requirement"] == requirement
    assert [
        (p["quantity"], p["contract_value"]) for p in summary["positions"] if p["instrument_id"] == "700"
    ] == held_700
    # Day-end nets every row of 700 into one position, due or not.
    assert main([*argv, *extra, "--run", "day-end", "--json"]) == 0
    day_end = json.loads(capsys.readouterr().out)["positions"]
    assert [(p["quantity"], p["contract_value"]) for p in day_end if p["instrument_id"] == "700"] == [
        (110, "23800")
    ]
