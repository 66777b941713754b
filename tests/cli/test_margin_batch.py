"""`cpdesk margin batch`: each account's row equals `cpdesk margin` run alone on that account's
positions (random RPFs and portfolios, hypothesis), with per-account parameters; a bad account is
reported while the others' rows stay intact; CSV, xlsx and Parquet hold the same rows."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cpdesk import samples
from cpdesk.cli.main import main
from cpdesk.desk.batch_accounts import Chunk
from cpdesk.desk.batch_files import COLUMNS, FIGURES
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines, universe
from tests.cli.test_margin_command import GUIDE_ARGS, GUIDE_FIGURES

INSTRUMENTS = 40
NAMES = universe(INSTRUMENTS)
CODES = [*NAMES.scenario_instruments[:20], *NAMES.tier_n, *NAMES.corporate_action_positions]
HEADER = "Account,InstrumentID,Quantity,ContractValue,MarketValue"
_RPFS: dict[int, Path] = {}


@pytest.fixture(scope="module")
def rpf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rpfs")


def _rpf(folder: Path, seed: int) -> Path:
    if seed not in _RPFS:
        path = folder / f"RPF01_seed{seed}.csv"
        path.write_bytes(b"\n".join(synthetic_rpf_lines(INSTRUMENTS, 60, 80, seed=seed)) + b"\n")
        _RPFS[seed] = path
    return _RPFS[seed]


@st.composite
def position_row(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(CODES))
    quantity = draw(st.integers(min_value=-2_000_000, max_value=2_000_000))
    mv = quantity * draw(st.integers(min_value=1, max_value=60_000))
    cv = mv + draw(st.integers(min_value=-(10**8), max_value=10**8))
    return f"{code},{quantity},{Decimal(cv).scaleb(-2)},{Decimal(mv).scaleb(-2)}"


accounts = st.lists(st.lists(position_row(), min_size=1, max_size=8), min_size=1, max_size=5)


def _alone(
    capsys: pytest.CaptureFixture[str], rpf: Path, folder: Path, rows: list[str], *extra: str
) -> dict[str, int]:
    path = folder / "one.csv"
    path.write_text("InstrumentID,Quantity,ContractValue,MarketValue\n" + "\n".join(rows) + "\n")
    assert main(["margin", "--rpf", str(rpf), "--positions", str(path), "--json", *extra]) == 0
    figures = json.loads(capsys.readouterr().out)
    return {name: figures[name] for name in FIGURES}


def _batch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    code = main(["margin", "batch", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.sampled_from([3, 5, 8]),
    portfolios=accounts,
    multiplier=st.sampled_from(["1", "2.5"]),
    chunk=st.sampled_from([2, 4096]),
)
def test_each_account_equals_cpdesk_margin_run_alone(
    rpf_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    portfolios: list[list[str]],
    multiplier: str,
    chunk: int,
) -> None:
    # The batch margins accounts a chunk at a time (so many accounts or so many rows): a small
    # chunk puts accounts on both sides of its boundaries.
    monkeypatch.setattr(Chunk, "ACCOUNTS", chunk)
    monkeypatch.setattr(Chunk, "ROWS", 3 if chunk == 2 else 200_000)
    rpf = _rpf(rpf_folder, seed)
    lines = [HEADER, *(f"C{n:03},{row}" for n, rows in enumerate(portfolios) for row in rows)]
    everyone = tmp_path / "all.csv"
    everyone.write_text("\n".join(lines) + "\n")
    parameters = tmp_path / "parameters.csv"
    parameters.write_text(f"Account,Multiplier,Margin Credit\nC000,{multiplier},0\n")
    code, rows, _ = _batch(
        capsys, "--rpf", str(rpf), "--positions", str(everyone), "--parameters", str(parameters)
    )
    assert code == 0
    assert [row["account"] for row in rows] == [f"C{n:03}" for n in range(len(portfolios))]
    for n, (row, positions) in enumerate(zip(rows, portfolios, strict=True)):
        extra = ("--multiplier", multiplier, "--margin-credit", "0") if n == 0 else ()
        assert {name: row[name] for name in FIGURES} == _alone(capsys, rpf, tmp_path, positions, *extra)
        assert list(row) == ["account", *FIGURES, "problems"]


def test_a_bad_account_is_reported_and_the_others_rows_stay_intact(
    rpf_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = _rpf(rpf_folder, 3)
    good_a = [f"{CODES[0]},1000,5000.00,5200.00", f"{CODES[1]},-300,-900.00,-950.50"]
    good_c = [f"{CODES[2]},700,7000.00,7100.00"]
    path = tmp_path / "all.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                *(f"A,{r}" for r in good_a),
                f"BAD,{CODES[3]},12x,1.00,1.00",
                f"BAD,{CODES[4]},10,1.005,1.00",
                *(f"C,{r}" for r in good_c),
                f"A,{CODES[5]},1,1.00,1.00",
            ]
        )
        + "\n"
    )
    code, rows, err = _batch(capsys, "--rpf", str(rpf), "--positions", str(path))
    assert code == 1
    assert [row["account"] for row in rows] == ["A", "BAD", "C", "A"]
    assert {n: rows[0][n] for n in FIGURES} == _alone(capsys, rpf, tmp_path, good_a)
    assert {n: rows[2][n] for n in FIGURES} == _alone(capsys, rpf, tmp_path, good_c)
    assert all(rows[1][n] is None for n in FIGURES)
    assert rows[1]["problems"] == [
        f"{path}:4: [Quantity] Quantity: not a number: '12x'",
        f"{path}:5: [ContractValue] ContractValue 1.005 has more than two decimal places",
    ]
    assert "sort the file by account" in str(rows[3]["problems"])
    assert f"{path}:7: [Account]" in str(rows[3]["problems"])
    assert "4 accounts (6 rows), 2 margined, 2 with errors" in err
    assert f"account BAD: {path}:4: [Quantity] Quantity: not a number: '12x'\n" in err


def test_bad_per_account_parameters_stop_only_that_account(
    rpf_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = _rpf(rpf_folder, 5)
    path = tmp_path / "all.csv"
    path.write_text(f"{HEADER}\nA,{CODES[0]},100,10.00,10.00\nB,{CODES[1]},100,10.00,10.00\n")
    parameters = tmp_path / "p.csv"
    parameters.write_text("account,floor rate,ipo\nA,5,\nB,0.03,\nGHOST,1,\n")
    code, rows, err = _batch(
        capsys, "--rpf", str(rpf), "--positions", str(path), "--parameters", str(parameters)
    )
    assert code == 1
    assert rows[0]["problems"] == [f"{parameters}:2: parameters: floor_rate '5' must be from 0 to 1"]
    assert rows[1]["problems"] == []
    assert rows[1]["total"] is not None
    assert "1 account(s) with parameters have no positions: GHOST (warning)" in err


def test_csv_xlsx_and_parquet_hold_the_same_rows(
    rpf_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = _rpf(rpf_folder, 8)
    path = tmp_path / "all.csv"
    body = [f"{a},{CODES[i]},{100 * (i + 1)},{i}.00,{i + 1}.00" for i, a in enumerate("AABBBC")]
    path.write_text(HEADER + "\n" + "\n".join(body) + f"\nD,{CODES[0]},x,1,1\n")
    _, expected, _ = _batch(capsys, "--rpf", str(rpf), "--positions", str(path))
    as_values = [[row["account"], *(row[n] for n in FIGURES), "; ".join(row["problems"])] for row in expected]  # type: ignore[arg-type]

    for suffix in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"results.{suffix}"
        assert main(["margin", "batch", "--rpf", str(rpf), "--positions", str(path), "--out", str(out)]) == 1
        assert f"written to {out}" in capsys.readouterr().err
        header, rows = _read_results(out)
        assert list(header) == list(COLUMNS), suffix
        assert rows == as_values, suffix
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def _read_results(out: Path) -> tuple[list[Any], list[list[Any]]]:
    """The header and rows of a results file, figures as int (None when blank), problems as text."""
    import pyarrow.parquet as pq

    if out.suffix == ".csv":
        read = list(csv.reader(io.StringIO(out.read_text())))
        rows = [[r[0], *(int(c) if c else None for c in r[1:-1]), r[-1]] for r in read[1:]]
        return list(read[0]), rows
    if out.suffix == ".xlsx":
        sheet = load_workbook(out, read_only=True)["margin"]
        values: list[list[Any]] = [list(r) for r in sheet.iter_rows(values_only=True)]
        return values[0], [[*r[:-1], r[-1] or ""] for r in values[1:]]
    table = pq.read_table(out).to_pylist()
    return list(table[0]), [list(r.values()) for r in table]


def test_an_unknown_suffix_or_missing_column_stops_before_any_work(
    rpf_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = _rpf(rpf_folder, 3)
    path = tmp_path / "all.csv"
    path.write_text(f"{HEADER}\nA,{CODES[0]},1,1,1\n")
    assert main(["margin", "batch", "--rpf", str(rpf), "--positions", str(path), "--out", "r.ods"]) == 2
    assert "write .csv, .xlsx or .parquet, not .ods" in capsys.readouterr().err
    args = ["margin", "batch", "--rpf", str(rpf), "--positions", str(path), "--account-column", "Client"]
    assert main(args) == 1
    assert "no 'Client' column" in capsys.readouterr().err
    assert main(["margin", "batch", "--rpf", str(rpf), "--positions", str(tmp_path / "none.csv")]) == 1
    assert "cannot read file" in capsys.readouterr().err


def test_a_line_that_is_not_utf8_stops_its_account_and_a_broken_quote_the_rest(
    rpf_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpf = _rpf(rpf_folder, 3)
    good = f"{HEADER}\nA,{CODES[0]},100,10.00,10.00\nB,{CODES[1]},100,10.00,10.00\n".encode()
    path = tmp_path / "all.csv"
    path.write_bytes(good + b"C,\xff\xfe,1,1,1\n" + f"D,{CODES[2]},5,1.00,1.00\n".encode())
    code, rows, err = _batch(capsys, "--rpf", str(rpf), "--positions", str(path))
    assert code == 1
    assert [(row["account"], row["problems"]) for row in rows] == [
        ("A", []),
        ("B", []),
        ("C", [f"{path}:4: not UTF-8 text"]),
        ("D", []),
    ]

    path.write_bytes(good + b'C,"' + b"x" * 140_000 + b"\n")
    code, rows, err = _batch(capsys, "--rpf", str(rpf), "--positions", str(path))
    assert code == 1
    assert [row["account"] for row in rows] == ["A", "B"]  # B's rows might go on past the break
    assert rows[0]["problems"] == []
    assert rows[1]["problems"] == [
        f"{path}:4: the file breaks off at line 4 before this account's rows may end: not margined"
    ]
    assert f"{path}:4: a field is longer than 131,072 characters" in err
    assert "the rest of the file is not read" in err


@pytest.mark.parametrize("chunk", [1, 2, 4096])
def test_bytes_that_are_not_utf8_far_into_the_file_stop_only_their_account(
    rpf_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    # The reader decodes ahead of the rows it hands out; whichever chunk the bad bytes turn up
    # in, their account is reported and every other one margined.
    monkeypatch.setattr(Chunk, "ACCOUNTS", chunk)
    rpf = _rpf(rpf_folder, 3)
    before = "".join(f"A{n:04},{CODES[n % 3]},100,10.00,10.00\n" for n in range(3000))
    path = tmp_path / "all.csv"
    path.write_bytes(
        f"{HEADER}\n{before}".encode() + b"Z,\xff,1,1,1\n" + f"ZZ,{CODES[2]},5,1.00,1.00\n".encode()
    )
    code, rows, _ = _batch(capsys, "--rpf", str(rpf), "--positions", str(path))
    assert code == 1
    assert len(rows) == 3002
    assert all(row["problems"] == [] and row["total"] is not None for row in rows[:3000])
    assert (rows[3000]["account"], rows[3000]["problems"]) == ("Z", [f"{path}:3002: not UTF-8 text"])
    assert (rows[3001]["account"], rows[3001]["problems"]) == ("ZZ", [])


def test_the_guides_example_in_a_batch_gives_the_guides_figures_for_every_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every option of cpdesk margin counts for every account, the flat rate group file too.
    rows = samples.GUIDE_POSITIONS.read_text().strip().splitlines()
    everyone = tmp_path / "all.csv"
    everyone.write_text(
        "\n".join([f"Account,{rows[0]}", *(f"C{n},{row}" for n in range(3) for row in rows[1:])]) + "\n"
    )
    options = GUIDE_ARGS[1:]
    at = options.index("--positions")
    options = [*options[:at], *options[at + 2 :]]
    code, results, _ = _batch(capsys, *options, "--positions", str(everyone))
    assert code == 0
    assert [row["account"] for row in results] == ["C0", "C1", "C2"]
    for row in results:
        assert {name: row[name] for name in GUIDE_FIGURES} == GUIDE_FIGURES
