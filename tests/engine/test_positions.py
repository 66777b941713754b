"""Positions and flat-rate group files: every bad line reported with its line and field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cpdesk.engine.margin.positions import Position, parse_flat_groups, parse_positions, position


def write(tmp_path: Path, text: str, name: str = "pos.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_rmamp01_fields_in_any_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'Market Value,InstrumentID,Quantity,Contract Value,Remark\n"-4,000,000",DSP700,-1000000,0,x\n',
    )
    parsed = parse_positions(path)
    assert parsed.problems == ()
    assert parsed.value == (Position("DSP700", Decimal(-1_000_000), Decimal(0), Decimal(-4_000_000)),)


def test_missing_columns(tmp_path: Path) -> None:
    parsed = parse_positions(write(tmp_path, "InstrumentID,Quantity\n700,1\n"))
    assert [(p.line, p.message) for p in parsed.problems] == [
        (1, "missing column(s): ContractValue, MarketValue")
    ]


def test_bad_values_are_reported_by_line_and_field(tmp_path: Path) -> None:
    text = (
        "InstrumentID,Quantity,ContractValue,MarketValue\n"
        "700,-1000000,-384000000,-400000000\n"
        "1299,ten,80000000,80000000\n"
        ",1,1,1\n"
        "2823,1,30000000.001,30000000\n"
    )
    parsed = parse_positions(write(tmp_path, text))
    assert [(p.line, p.field, p.message) for p in parsed.problems] == [
        (3, "Quantity", "Quantity: not a number: 'ten'"),
        (4, "InstrumentID", "instrument code is empty"),
        (5, "ContractValue", "ContractValue 30000000.001 has more than two decimal places"),
    ]
    assert [p.instrument_id for p in parsed.value] == ["700"]


def test_sign_mismatch_is_a_warning(tmp_path: Path) -> None:
    parsed = parse_positions(write(tmp_path, "InstrumentID,Quantity,ContractValue,MarketValue\n700,-1,0,5\n"))
    assert parsed.ok
    assert len(parsed.value) == 1
    assert parsed.warnings[0].message == "market value and quantity have opposite signs"


def test_unreadable_positions_file(tmp_path: Path) -> None:
    parsed = parse_positions(tmp_path / "missing.csv")
    assert parsed.errors[0].message.startswith("cannot read file")


def test_position_amounts_must_be_whole_cents() -> None:
    assert position("700", 1, "10.10", "10.1000").market_value_cents == 1010
    with pytest.raises(ValueError, match="not a whole number of cents"):
        position("700", 1, 0, "0.001")


def test_flat_groups(tmp_path: Path) -> None:
    parsed = parse_flat_groups(write(tmp_path, "InstrumentID,Group\n658,1\n3606,1\n658,2\n3456,\n", "g.csv"))
    assert dict(parsed.value) == {"658": "1", "3606": "1"}
    assert [(p.line, p.message) for p in parsed.problems] == [
        (4, "658 listed twice (first on line 2)"),
        (5, "both InstrumentID and Group are needed"),
    ]


def test_flat_groups_header(tmp_path: Path) -> None:
    parsed = parse_flat_groups(write(tmp_path, "Code,Bucket\n658,1\n", "g.csv"))
    assert parsed.errors[0].message == "header must be InstrumentID,Group"
