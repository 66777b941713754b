"""A batch positions file as a stream of account blocks, plain stretches read in bulk.

``account_blocks`` gives the header row, then each account's run of rows, in file order. Most
of a back office's export is *plain*: no quotes, UTF-8, one row per line, every row with the
header's columns and a printable ASCII account without spaces around it. Such stretches are read
a few megabytes at a time by pyarrow's CSV reader into columns (:class:`PlainRows`), which the
columnar engine takes as they are; nothing there needs the csv module's row objects. At the
first stretch that is not plain, the rest of the file goes through ``csv.reader`` row by row
(:func:`_row_blocks`), which keeps every rule the plain reader relies on: blank rows skipped,
accounts stripped, a line that is not UTF-8 kept (as surrogates) for its account to report, an
unreadable stretch ending the file with the accounts before it kept. Both give the same accounts
with the same rows and line numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cpdesk.connectors.errors import InputRejected
from cpdesk.engine.csvtext import MAX_FIELD_CHARS, header_key
from cpdesk.engine.problems import Problem, ProblemCode

IntArray = npt.NDArray[np.int64]
Lines = list[tuple[int, list[str]]]  # an account's rows: (line, cells)

NOTED_ESCAPE = "cpdesk-noted-surrogateescape"  # registered by batch_accounts
BLOCK_BYTES: Final = 8 << 20
# A run of one account is carried into the next block while it may go on; past this much the
# rest of the file is read row by row (an account's rows are held either way).
_MAX_CARRY_BYTES: Final = 64 << 20
_BOM = b"\xef\xbb\xbf"
_PLAIN_ACCOUNT = r"^[!-~]([ -~]*[!-~])?$"


@dataclass(frozen=True, eq=False)
class PlainRows:
    """Rows ``first_line``, ``first_line + 1``, ... of the file, one string array per column
    (all of the header's), and the runs of one account each: ``accounts[n]`` has rows
    ``starts[n]:starts[n + 1]``."""

    first_line: int
    columns: list[pa.Array]
    accounts: list[str]
    starts: IntArray

    @property
    def row_count(self) -> int:
        return int(self.starts[-1])

    def rows_of(self, run: int) -> int:
        return int(self.starts[run + 1] - self.starts[run])

    def lines(self, run: int) -> Lines:
        """Run ``run``'s rows as the row reader gives them."""
        start, end = int(self.starts[run]), int(self.starts[run + 1])
        cells = [column.slice(start, end - start).to_pylist() for column in self.columns]
        return [(self.first_line + start + i, list(row)) for i, row in enumerate(zip(*cells, strict=True))]


# An account, its rows (line, cells), and why it cannot be margined when the file broke off in it.
Block = tuple[str, Lines, Problem | None]


def account_blocks(
    raw: io.BufferedReader, name: str, account_column: str, problems: list[Problem]
) -> Iterator[Block | PlainRows]:
    """First the header row (as a block of one row), then the accounts: plain stretches as
    :class:`PlainRows`, the rest as one block per account. A problem that ends the reading is
    appended to ``problems`` (and its account's block says so)."""
    data = raw.read(BLOCK_BYTES)
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    end = body.find(b"\n")
    header = _plain_header(body[:end]) if end >= 0 else None
    if header is None:  # a header the row reader must read: all of the file row by row
        yield from _row_blocks(_Prefixed(data, raw), 0, name, account_column, problems, None)
        return
    column = _account_column(header, name, account_column, 1)
    yield ("", [(1, header)], None)
    carry, line = body[end + 1 :], 2  # bytes not yet given, from the start of file line ``line``
    while True:
        more = raw.read(BLOCK_BYTES)
        block = carry + more
        cut = block.rfind(b"\n") + 1 if more else len(block)
        if not cut:
            if not block:
                return
            carry = block
            if len(block) > MAX_FIELD_CHARS:  # one line that long is not plain: the row reader names it
                break
            continue
        plain = _plain_rows(block[:cut], line, len(header), column)
        if plain is None:
            carry = block
            break
        rows, starts = plain
        if not more:  # the end of the file: every run is whole
            yield rows
            return
        whole = len(rows.accounts) - 1  # the last run may go on in the next block: carried there
        if whole == 0:
            carry = block
            if len(carry) > _MAX_CARRY_BYTES:
                break
            continue
        kept = int(rows.starts[whole])
        yield PlainRows(
            line, [c.slice(0, kept) for c in rows.columns], rows.accounts[:whole], rows.starts[: whole + 1]
        )
        carry, line = block[int(starts[kept]) :], line + kept
    yield from _row_blocks(_Prefixed(carry, raw), line - 1, name, account_column, problems, column)


def _plain_header(line: bytes) -> list[str] | None:
    line = line[:-1] if line.endswith(b"\r") else line
    if b'"' in line or b"\r" in line:
        return None
    try:
        cells = line.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    return cells if any(map(str.strip, cells)) else None


def _account_column(header: list[str], name: str, account_column: str, line: int) -> int:
    keys = [header_key(cell) for cell in header]
    wanted = header_key(account_column)
    if wanted not in keys:
        raise InputRejected(f"{name}:{line}: no {account_column!r} column (columns: {', '.join(header)})")
    return keys.index(wanted)


def _plain_rows(block: bytes, first_line: int, width: int, column: int) -> tuple[PlainRows, IntArray] | None:
    """The block's rows and the byte offset of each row's start, if the block is plain."""
    if not block or b'"' in block:
        return None
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        return None
    newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if len(newlines) and newlines[-1] == len(block) - 1:
        starts = starts[:-1]
    if np.diff(np.append(starts, len(block))).max() > MAX_FIELD_CHARS:
        return None  # the row reader names the over-long field
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(quote_char=False, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not UTF-8, or a row without the header's columns
        return None
    if table.num_rows != len(starts):  # pyarrow skipped blank lines: the row reader skips them too
        return None
    columns = [table.column(i).combine_chunks() for i in range(width)]
    accounts = columns[column]
    count = len(accounts)
    changes = pc.not_equal(accounts.slice(1), accounts.slice(0, count - 1)).to_numpy(zero_copy_only=False)
    runs = np.flatnonzero(np.concatenate(([True], changes))).astype(np.int64)
    first_rows = accounts.take(pa.array(runs))  # every row of a run has its first row's account
    if not pc.all(pc.match_substring_regex(first_rows, _PLAIN_ACCOUNT)).as_py():
        return None
    run_accounts = first_rows.to_pylist()
    return PlainRows(first_line, columns, run_accounts, np.append(runs, count)), starts


class _Prefixed(io.RawIOBase):
    """``prefix`` then the rest of ``raw``, as one binary stream."""

    def __init__(self, prefix: bytes, raw: io.BufferedReader) -> None:
        self._prefix, self._raw = memoryview(prefix), raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        return self._raw.readinto(buffer)


def _row_blocks(
    raw: io.RawIOBase,
    lines_before: int,
    name: str,
    account_column: str,
    problems: list[Problem],
    column: int | None,
) -> Iterator[Block]:
    """The row reader from here on: the header row first unless ``column`` is known already."""
    # Bytes that are not UTF-8 are kept as surrogates and reported on their line: one bad line
    # stops its account only.
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", errors=NOTED_ESCAPE, newline="")
    reader = csv.reader(text)
    current: str | None = None
    lines: Lines = []
    try:
        if column is None:
            for row in reader:
                if any(map(str.strip, row)):
                    column = _account_column(row, name, account_column, reader.line_num)
                    yield ("", [(reader.line_num, row)], None)
                    break
            else:
                raise InputRejected(f"{name}: no header row")
        for row in reader:
            account = row[column].strip() if column < len(row) else ""
            if not account and not any(map(str.strip, row)):  # a row with an account is not blank
                continue
            if account != current and lines:
                yield (current or "", lines, None)
                lines = []
            current = account
            lines.append((lines_before + reader.line_num, row))
    except csv.Error as exc:
        broken = _unreadable(name, lines_before + reader.line_num, str(exc))
        problems.append(broken)
        if lines:  # its rows may go on past the break: margined on part of them, it would be understated
            why = (
                f"the file breaks off at line {broken.line} before this account's rows may end: not margined"
            )
            yield (current or "", lines, replace(broken, message=why))
        return
    if lines:
        yield (current or "", lines, None)


def _unreadable(name: str, line: int, error: str) -> Problem:
    if "field larger than field limit" in error:
        why = f"a field is longer than {MAX_FIELD_CHARS:,} characters (an unterminated quote?)"
        return Problem(
            name, line, None, f"{why}; the rest of the file is not read", code=ProblemCode.TOO_LARGE
        )
    return Problem(
        name,
        line,
        None,
        f"not readable as CSV: {error}; the rest of the file is not read",
        code=ProblemCode.MALFORMED,
    )
