"""The batch reader: plain stretches read in bulk give the same accounts, rows, line numbers and
problems as the row reader alone, whatever the file mixes in (quotes, blank lines, CRLF, bytes
that are not UTF-8, short rows, an unterminated quote), and wherever the blocks cut it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdesk.desk import batch_reader
from cpdesk.desk.batch_reader import PlainRows, account_blocks
from cpdesk.engine.problems import Problem

HEADER = b"Account,InstrumentID,Quantity,ContractValue,MarketValue"

plain_row = st.builds(
    lambda account, code, quantity: b"%s,%s,%d,1.00,2.50" % (account, code, quantity),
    st.sampled_from([b"A1", b"A2", b"B 7", b"C-9"]),
    st.sampled_from([b"700", b"2800", b"5"]),
    st.integers(-10_000, 10_000),
)
odd_row = st.sampled_from(
    [
        b'"A1",700,1,1.00,2.50',  # quoted
        b"",  # blank line
        b" ,, ,,",  # blank cells
        b"A1,700,1",  # short
        b"A1,700,1,1.00,2.50,extra",  # long
        b" A2 ,700,1,1.00,2.50",  # account with spaces around it
        b"A\xff,700,1,1.00,2.50",  # not UTF-8
        b"A1,7\xc3\xa900,1,1.00,2.50",  # UTF-8, not ASCII
        b"\xc3\xa9,700,1,1.00,2.50",  # an account that is not ASCII
        b"A1,700,1,1.00\r,2.50",  # a lone CR
    ]
)


def _read(data: bytes, block_bytes: int, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(batch_reader, "BLOCK_BYTES", block_bytes)
    problems: list[Problem] = []
    out: list[object] = []
    for item in account_blocks(io.BufferedReader(io.BytesIO(data)), "f.csv", "Account", problems):
        if isinstance(item, PlainRows):
            assert item.accounts, "a plain block with no accounts"
            out.extend((account, item.lines(run), None) for run, account in enumerate(item.accounts))
        else:
            out.append(item)
    return [*out, problems]


def _row_reader_only(data: bytes) -> list[object]:
    problems: list[Problem] = []
    raw = batch_reader._Prefixed(data, io.BufferedReader(io.BytesIO(b"")))
    return [*batch_reader._row_blocks(raw, 0, "f.csv", "Account", problems, None), problems]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.one_of(plain_row, plain_row, plain_row, odd_row), max_size=40),
    newline=st.sampled_from([b"\n", b"\r\n"]),
    bom=st.booleans(),
    final_newline=st.booleans(),
    unterminated=st.booleans(),
    block_bytes=st.sampled_from([8, 64, 200, 1 << 20]),
)
def test_the_plain_reader_gives_what_the_row_reader_gives(
    rows: list[bytes],
    newline: bytes,
    bom: bool,
    final_newline: bool,
    unterminated: bool,
    block_bytes: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = newline.join([HEADER, *rows]) + (newline if final_newline else b"")
    if unterminated:
        body += b'A9,"700' + b"x" * 200_000 + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + body
    assert _read(data, block_bytes, monkeypatch) == _row_reader_only(data)


def test_a_plain_file_is_read_in_plain_blocks_and_an_account_may_span_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [HEADER] + [b"A%d,700,%d,1.00,2.50" % (n // 7, n) for n in range(100)]
    data = b"\n".join(lines) + b"\n"
    monkeypatch.setattr(batch_reader, "BLOCK_BYTES", 128)
    items = list(account_blocks(io.BufferedReader(io.BytesIO(data)), "f.csv", "Account", []))
    assert all(isinstance(item, PlainRows) for item in items[1:]), "a plain file fell back to the row reader"
    runs = [(a, b.lines(n)) for b in items[1:] if isinstance(b, PlainRows) for n, a in enumerate(b.accounts)]
    assert [a for a, _ in runs] == [f"A{n}" for n in range(15)]  # each account once, whole
    assert [len(lines) for _, lines in runs] == [7] * 14 + [2]
    assert runs[3][1][0] == (23, ["A3", "700", "21", "1.00", "2.50"])  # file line 23: row 21 after the header


def test_a_file_without_the_account_column_is_refused(tmp_path: Path) -> None:
    from cpdesk.connectors.errors import InputRejected

    data = b"InstrumentID,Quantity\n700,1\n"
    with pytest.raises(InputRejected, match="no 'Account' column"):
        list(account_blocks(io.BufferedReader(io.BytesIO(data)), "f.csv", "Account", []))
