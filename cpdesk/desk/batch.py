"""Client portfolios in batch: one positions file with an account column, one breakdown per account.

The file is read as a stream, account by account, so its size is bounded by the disk, not the
memory: an account's rows must stand together (as a back office exports them, sorted by
account). An account whose rows turn up again after another account's is reported as such, and
none of its rows are margined (margined on its first block only, it would be understated). Each
account is margined by ``calculate_margin`` exactly as ``cpdesk margin`` margins a file of its
own; a bad row or parameter stops only its account, as does a line that is not UTF-8. Where
the file cannot be read on (an unterminated quote), the accounts before are kept and the account
the break falls in is reported, not margined.

Per-account parameters come from an optional CSV: ``Account`` then any of ``cpdesk margin``'s
parameter names (``multiplier``, ``ipo``, ``margin_credit``, ...), within the desk's bounds,
over the request's parameters. Its problems are located by line and column.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from cpdesk.connectors.errors import InputRejected
from cpdesk.desk.rpf_library import parameters_from
from cpdesk.engine.csvtext import MAX_FIELD_CHARS, header_key, read_csv_file
from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.margin.columnar import PositionColumns, margin_columns
from cpdesk.engine.margin.position_cells import read_clean_cells
from cpdesk.engine.margin.positions import parse_position_rows, position_columns
from cpdesk.engine.problems import InputError, Problem, ProblemCode, Severity, errors_in
from cpdesk.engine.rpf import RiskParameterFile

ProgressCallback = Callable[[int, int], None]  # (bytes read, file size)
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8

# surrogateescape that also counts: while the count stands still no row needs searching for them.
_UNDECODABLE = [0]
_NOTED_ESCAPE = "cpdesk-noted-surrogateescape"
_ESCAPE = codecs.lookup_error("surrogateescape")


def _noted_escape(error: UnicodeError) -> tuple[str | bytes, int]:
    _UNDECODABLE[0] += 1
    return _ESCAPE(error)


codecs.register_error(_NOTED_ESCAPE, _noted_escape)


@dataclass(frozen=True, slots=True)
class BatchRequest:
    positions: Path  # InstrumentID, Quantity, ContractValue, MarketValue and the account column
    account_column: str = "Account"
    parameters: MarginParameters = field(default_factory=MarginParameters)
    account_parameters: Path | None = None  # Account plus parameter columns


@dataclass(frozen=True, slots=True)
class AccountMargin:
    account: str
    breakdown: MarginBreakdown | None  # None: the account could not be margined
    problems: tuple[Problem, ...]  # errors (then no breakdown) and warnings
    rows: int  # position rows of the account in the file

    @property
    def ok(self) -> bool:
        return self.breakdown is not None


@dataclass(slots=True)
class BatchSummary:
    """Filled in as the batch runs; complete when its iterator is exhausted."""

    accounts: int = 0
    failed: int = 0
    rows: int = 0
    total_hkd: int = 0  # the sum of the margined accounts' total requirements
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)  # the file's and parameter file's own


def margin_batch(
    rpf: RiskParameterFile,
    request: BatchRequest,
    summary: BatchSummary | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[AccountMargin]:
    """Each account's margin, in the file's order; ``summary`` is updated as they come.
    Raises InputRejected, before any account, when the positions file cannot be read at all."""
    summary = summary if summary is not None else BatchSummary()
    began = time.perf_counter()
    per_account = _account_parameters(request, summary)
    name = str(request.positions)
    try:
        size = os.path.getsize(request.positions)
        raw = open(request.positions, "rb")  # noqa: SIM115 - closed by the generator's finally
    except OSError as exc:
        raise InputRejected(f"{name}: cannot read file: {exc.strerror or exc}") from None
    try:
        undecodable_before = _UNDECODABLE[0]  # the reader decodes ahead: count from the start
        blocks = _account_blocks(raw, name, request.account_column, summary)
        first = next(blocks, None)
        if first is None:
            return
        header = first[1][0][1]  # the first block is the header row's
        chunk = _Chunk(rpf, name, header, per_account, request.parameters, undecodable_before)
        seen: set[str] = set()
        more = True
        while more:
            # The collector would walk every row held so far, again and again, as a chunk's rows
            # pile up (a third of the run): it waits while a chunk is read and margined.
            with _collector_paused():
                for account, lines, broken in blocks:
                    if on_progress is not None:
                        on_progress(raw.tell(), size)
                    summary.rows += len(lines)
                    if broken is not None:
                        chunk.ready(AccountMargin(account, None, (broken,), len(lines)))
                    elif account in seen:
                        chunk.ready(
                            AccountMargin(account, None, (_split(name, account, lines[0][0]),), len(lines))
                        )
                    else:
                        seen.add(account)
                        chunk.add(account, lines)
                    if chunk.full:
                        break
                else:
                    more = False
                done = chunk.flush()
            yield from _counted(done, summary)
        unknown = sorted(set(per_account) - seen)
        if unknown:
            shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            summary.problems.append(
                Problem(
                    str(request.account_parameters),
                    None,
                    "Account",
                    f"{len(unknown)} account(s) with parameters have no positions: {shown}",
                    code=ProblemCode.CONSISTENCY,
                    severity=Severity.WARNING,
                )
            )
        if on_progress is not None:
            on_progress(size, size)
    finally:
        raw.close()
        summary.seconds = time.perf_counter() - began


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _counted(items: list[AccountMargin], summary: BatchSummary) -> Iterator[AccountMargin]:
    for item in items:
        summary.accounts += 1
        if item.breakdown is None:
            summary.failed += 1
        else:
            summary.total_hkd += item.breakdown.total
        yield item


class _Chunk:
    """Accounts in file order, margined a few thousand at a time.

    Accounts whose rows are all plainly clean go through the columnar engine together (one
    kernel call for all of them); any other account, and any the columnar engine hands back,
    through ``parse_position_rows`` and ``calculate_margin`` alone, which word its problems.
    Both give the same breakdown for the same account (the property tests hold them equal).
    """

    ACCOUNTS = 4096

    def __init__(
        self,
        rpf: RiskParameterFile,
        name: str,
        header: list[str],
        per_account: dict[str, MarginParameters | Problem],
        base: MarginParameters,
        undecodable_before: int,
    ) -> None:
        self.rpf, self.name, self.header, self.per_account, self.base = rpf, name, header, per_account, base
        self.columns = position_columns(header)
        self.undecodable_before = undecodable_before
        self.slots: list[AccountMargin | tuple[str, list[tuple[int, list[str]]]]] = []

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.ACCOUNTS

    def ready(self, item: AccountMargin) -> None:
        self.slots.append(item)

    def add(self, account: str, lines: list[tuple[int, list[str]]]) -> None:
        self.slots.append((account, lines))

    def flush(self) -> list[AccountMargin]:
        slots, self.slots = self.slots, []
        pending = [n for n, slot in enumerate(slots) if not isinstance(slot, AccountMargin)]
        done = self._columnar([slots[n] for n in pending])  # type: ignore[misc]
        out: list[AccountMargin] = []
        for slot in slots:
            if isinstance(slot, AccountMargin):
                out.append(slot)
                continue
            item = done.get(id(slot))
            if item is None:
                account, lines = slot
                item = _margin_one(
                    self.rpf, self.name, self.header, account, lines, self.per_account, self.base
                )
            out.append(item)
        return out

    def _columnar(self, accounts: list[tuple[str, list[tuple[int, list[str]]]]]) -> dict[int, AccountMargin]:
        """The accounts the columnar engine margins, by the id of their slot."""
        if self.columns is None or not accounts:
            return {}
        where = self.columns
        width = max(where) + 1
        by_parameters: dict[int, tuple[MarginParameters, list[tuple[str, list[tuple[int, list[str]]]]]]] = {}
        # Bytes that are not UTF-8 are rare: rows are searched for them only once the file had some.
        undecodable = _UNDECODABLE[0] > self.undecodable_before
        for slot in accounts:
            account, lines = slot
            parameters = self.per_account.get(account, self.base)
            if not account or isinstance(parameters, Problem):
                continue  # _margin_one says why
            if undecodable and any(NOT_UTF8.search("".join(row)) for _, row in lines):
                continue
            by_parameters.setdefault(id(parameters), (parameters, []))[1].append(slot)
        done: dict[int, AccountMargin] = {}
        for parameters, slots in by_parameters.values():
            rows = [row for _, lines in slots for _, row in lines]
            short = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)) < width
            if short.any():  # a row without every column is not clean (cells of it are "")
                rows = [row if len(row) >= width else [*row, *[""] * (width - len(row))] for row in rows]
            cells = read_clean_cells(*([row[i] for row in rows] for i in where))
            sizes = np.array([len(lines) for _, lines in slots], dtype=np.int64)
            owner = np.repeat(np.arange(len(slots), dtype=np.int64), sizes)
            clean_account = np.bincount(owner[~cells.clean | short], minlength=len(slots)) == 0
            keep = clean_account[owner]
            kept = np.flatnonzero(clean_account)
            renumber = np.cumsum(clean_account) - 1
            codes = cells.instrument.filter(pa.array(keep))
            found = margin_columns(
                self.rpf,
                PositionColumns(
                    len(kept),
                    renumber[owner[keep]],
                    codes,
                    cells.quantity[keep],
                    cells.contract_value_cents[keep],
                    cells.market_value_cents[keep],
                ),
                parameters,
            )
            for n, breakdown in zip(kept.tolist(), found.breakdowns, strict=True):
                if breakdown is not None:
                    account, lines = slots[n]
                    done[id(slots[n])] = AccountMargin(account, breakdown, (), len(lines))
        return done


# An account, its rows (line, cells), and why it cannot be margined when the file broke off in it.
Block = tuple[str, list[tuple[int, list[str]]], Problem | None]


def _account_blocks(
    raw: io.BufferedReader, name: str, account_column: str, summary: BatchSummary
) -> Iterator[Block]:
    """First the header row (as a block of one row), then each run of rows of one account."""
    # Bytes that are not UTF-8 are kept as surrogates and reported on their line: one bad line
    # stops its account only.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors=_NOTED_ESCAPE, newline="")
    reader = csv.reader(text)
    wanted = header_key(account_column)
    column = -1
    current: str | None = None
    lines: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(map(str.strip, row)):
                keys = [header_key(cell) for cell in row]
                if wanted not in keys:
                    raise InputRejected(
                        f"{name}:{reader.line_num}: no {account_column!r} column (columns: {', '.join(row)})"
                    )
                column = keys.index(wanted)
                yield ("", [(reader.line_num, row)], None)
                break
        else:
            raise InputRejected(f"{name}: no header row")
        for row in reader:
            if not any(map(str.strip, row)):
                continue
            account = row[column].strip() if column < len(row) else ""
            if account != current and lines:
                yield (current or "", lines, None)
                lines = []
            current = account
            lines.append((reader.line_num, row))
    except csv.Error as exc:
        broken = _unreadable(name, reader.line_num, str(exc))
        summary.problems.append(broken)
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


def _split(name: str, account: str, line: int) -> Problem:
    return Problem(
        name,
        line,
        "Account",
        f"account {account!r} has rows here and before another account's: sort the file by account "
        "(none of its rows are margined)",
        code=ProblemCode.CONSISTENCY,
    )


def _margin_one(
    rpf: RiskParameterFile,
    name: str,
    header: list[str],
    account: str,
    lines: list[tuple[int, list[str]]],
    per_account: dict[str, MarginParameters | Problem],
    base: MarginParameters,
) -> AccountMargin:
    if not account:
        problem = Problem(name, lines[0][0], "Account", "account is empty", code=ProblemCode.EMPTY_VALUE)
        return AccountMargin(account, None, (problem,), len(lines))
    undecodable = [line for line, row in lines if NOT_UTF8.search(",".join(row))]
    if undecodable:
        problems = tuple(
            Problem(name, line, None, "not UTF-8 text", code=ProblemCode.ENCODING) for line in undecodable
        )
        return AccountMargin(account, None, problems, len(lines))
    parameters = per_account.get(account, base)
    if isinstance(parameters, Problem):
        return AccountMargin(account, None, (parameters,), len(lines))
    parsed = parse_position_rows([header, *(row for _, row in lines)], name)
    # parse_position_rows counts its own rows from 1 (the header): put back the file's lines.
    file_line = [lines[0][0] - 1, *(line for line, _ in lines)]
    problems = tuple(
        replace(p, line=file_line[p.line - 1]) if p.line is not None else p for p in parsed.problems
    )
    if errors_in(problems):
        return AccountMargin(account, None, problems, len(lines))
    try:
        result = calculate_margin(rpf, parsed.value, parameters)
    except InputError as exc:
        return AccountMargin(account, None, (*problems, *exc.problems), len(lines))
    return AccountMargin(account, result.breakdown, (*problems, *result.warnings), len(lines))


def _account_parameters(
    request: BatchRequest, summary: BatchSummary
) -> dict[str, MarginParameters | Problem]:
    """Each listed account's parameters over the request's, or the problem with its row."""
    if request.account_parameters is None:
        return {}
    shown, rows, unreadable = read_csv_file(request.account_parameters)
    if rows is None or unreadable is not None:
        raise InputRejected(str(unreadable))
    body = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not body:
        raise InputRejected(f"{shown}: no header row")
    header_line, header = body[0]
    keys = [header_key(cell) for cell in header]
    wanted = header_key(request.account_column)
    if wanted not in keys and "account" not in keys:
        raise InputRejected(f"{shown}:{header_line}: no {request.account_column!r} column")
    column = keys.index(wanted) if wanted in keys else keys.index("account")
    found: dict[str, MarginParameters | Problem] = {}
    for line, row in body[1:]:
        account = row[column].strip() if column < len(row) else ""
        if account in found:
            summary.problems.append(
                Problem(shown, line, "Account", f"account {account!r} is listed twice; the first row counts")
            )
            continue
        named = {header[i]: (row[i] if i < len(row) else "") for i in range(len(header)) if i != column}
        try:
            found[account] = parameters_from(named, request.parameters)
        except InputRejected as exc:
            found[account] = Problem(shown, line, None, str(exc))
    return found


__all__ = ["AccountMargin", "BatchRequest", "BatchSummary", "margin_batch"]
