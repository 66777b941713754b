"""Margining a chunk of a batch's accounts: the fast columnar path and the exact one.

Accounts whose rows are all plainly clean go through the columnar engine together (one kernel
call for all of them); any other account, and any the columnar engine hands back, through
``parse_position_rows`` and ``margin_breakdown`` (exact, or ``calculate_margin`` where it cannot
be sure) alone, which word its problems. Both give the
same breakdown for the same account (the property tests hold them equal).
"""

from __future__ import annotations

import codecs
import itertools
import re
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cpdesk.desk.batch_reader import NOTED_ESCAPE, Lines, PlainRows
from cpdesk.engine.margin import MarginParameters
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.margin.columnar import PositionColumns, margin_columns
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.position_cells import CleanCells, read_clean_cells
from cpdesk.engine.margin.positions import parse_position_rows, position_columns
from cpdesk.engine.problems import InputError, Problem, ProblemCode, errors_in
from cpdesk.engine.rpf import RiskParameterFile

NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8

# surrogateescape that also counts: while the count stands still no row needs searching for them.
UNDECODABLE = [0]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_ESCAPE = codecs.lookup_error("surrogateescape")


def _noted_escape(error: UnicodeError) -> tuple[str | bytes, int]:
    UNDECODABLE[0] += 1
    return _ESCAPE(error)


codecs.register_error(NOTED_ESCAPE, _noted_escape)


class AccountMargin(NamedTuple):
    """One account's outcome (a named tuple, as MarginBreakdown is: a batch makes a million)."""

    account: str
    breakdown: MarginBreakdown | None  # None: the account could not be margined
    problems: tuple[Problem, ...]  # errors (then no breakdown) and warnings
    rows: int  # position rows of the account in the file

    @property
    def ok(self) -> bool:
        return self.breakdown is not None


class Chunk:
    """Accounts in file order, margined a few thousand at a time."""

    ACCOUNTS = 4096
    # Rows held at once, whatever the accounts: a chunk of big accounts (a prop desk's thousands
    # of positions each) stays near the memory of 4,096 ordinary ones (about 50 MB).
    ROWS = 200_000

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
        # An account to margin: its rows as the row reader gives them, or a run of plain rows.
        self.slots: list[AccountMargin | tuple[str, Lines | tuple[PlainRows, int]]] = []
        self.rows = 0

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.ACCOUNTS or self.rows >= self.ROWS

    def ready(self, item: AccountMargin) -> None:
        self.slots.append(item)

    def add(self, account: str, lines: Lines) -> None:
        self.slots.append((account, lines))
        self.rows += len(lines)

    def add_run(self, account: str, block: PlainRows, run: int) -> None:
        """Run ``run`` of a plain block (a chunk holds runs of one block, or rows: not both)."""
        self.slots.append((account, (block, run)))
        self.rows += block.rows_of(run)

    def flush(self) -> list[AccountMargin]:
        slots, self.slots, self.rows = self.slots, [], 0
        pending = [n for n, slot in enumerate(slots) if not isinstance(slot, AccountMargin)]
        done = self._columnar([slots[n] for n in pending])  # type: ignore[misc]
        out: list[AccountMargin] = []
        for slot in slots:
            if isinstance(slot, AccountMargin):
                out.append(slot)
                continue
            item = done.get(id(slot))
            if item is None:
                account, rows = slot
                lines = rows[0].lines(rows[1]) if isinstance(rows, tuple) else rows
                item = margin_one(
                    self.rpf, self.name, self.header, account, lines, self.per_account, self.base
                )
            out.append(item)
        return out

    def margin_block(self, block: PlainRows) -> list[AccountMargin]:
        """Every run of a plain block, each a new account (the caller checked), in order: the
        columnar engine over the block's columns as they are, the exact path for the rest."""
        assert self.columns is not None
        assert not self.slots
        sizes = np.diff(block.starts)
        cells = read_clean_cells(*(block.columns[i] for i in self.columns))
        found: list[MarginBreakdown | None] = [None] * len(block.accounts)
        if not self.per_account:  # one set of parameters for all
            found = self._margined(self.base, cells, sizes, np.zeros(len(cells.clean), dtype=bool))
        else:
            groups: dict[int, tuple[MarginParameters, list[int]]] = {}
            for n, account in enumerate(block.accounts):
                parameters = self.per_account.get(account, self.base)
                if not isinstance(parameters, Problem):  # margin_one says why
                    groups.setdefault(id(parameters), (parameters, []))[1].append(n)
            for parameters, runs in groups.values():
                taken = np.array(runs, dtype=np.int64)
                rows = _rows_of_runs(block.starts, taken)
                part = CleanCells(
                    cells.instrument.take(pa.array(rows)),
                    cells.clean[rows],
                    cells.quantity[rows],
                    cells.contract_value_cents[rows],
                    cells.market_value_cents[rows],
                )
                margined = self._margined(parameters, part, sizes[taken], np.zeros(len(rows), dtype=bool))
                for n, breakdown in zip(runs, margined, strict=True):
                    found[n] = breakdown
        if None not in found:  # as a rule
            # tuple.__new__ straight from C: the named tuple's own __new__ is a Python call each.
            fields = zip(block.accounts, found, itertools.repeat(()), sizes.tolist())
            return list(map(tuple.__new__, itertools.repeat(AccountMargin), fields))
        return [
            AccountMargin(account, breakdown, (), rows)
            if breakdown is not None
            else margin_one(
                self.rpf, self.name, self.header, account, block.lines(n), self.per_account, self.base
            )
            for n, (account, breakdown, rows) in enumerate(
                zip(block.accounts, found, sizes.tolist(), strict=True)
            )
        ]

    def _columnar(
        self, accounts: list[tuple[str, Lines | tuple[PlainRows, int]]]
    ) -> dict[int, AccountMargin]:
        """The accounts the columnar engine margins, by the id of their slot."""
        if self.columns is None or not accounts:
            return {}
        by_parameters: dict[
            int, tuple[MarginParameters, list[tuple[str, Lines | tuple[PlainRows, int]]]]
        ] = {}
        # Bytes that are not UTF-8 are rare: rows are searched for them only once the file had some.
        undecodable = UNDECODABLE[0] > self.undecodable_before
        for slot in accounts:
            account, lines = slot
            parameters = self.per_account.get(account, self.base)
            if not account or isinstance(parameters, Problem):
                continue  # _margin_one says why
            if (
                undecodable
                and not isinstance(lines, tuple)
                and any(NOT_UTF8.search("".join(row)) for _, row in lines)
            ):
                continue
            by_parameters.setdefault(id(parameters), (parameters, []))[1].append(slot)
        done: dict[int, AccountMargin] = {}
        for parameters, slots in by_parameters.values():
            cells, sizes, short = self._cells(slots)
            margined = self._margined(parameters, cells, sizes, short)
            for slot, breakdown, rows in zip(slots, margined, sizes.tolist(), strict=True):
                if breakdown is not None:
                    done[id(slot)] = AccountMargin(slot[0], breakdown, (), rows)
        return done

    def _margined(
        self, parameters: MarginParameters, cells: CleanCells, sizes: IntArray, short: BoolArray
    ) -> list[MarginBreakdown | None]:
        """Each account's breakdown from the columnar engine (accounts of ``sizes[n]`` rows in
        order), None where one of its rows is not clean or the engine hands it back."""
        owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        clean_account = np.bincount(owner[~cells.clean | short], minlength=len(sizes)) == 0
        kept = np.flatnonzero(clean_account)
        found: list[MarginBreakdown | None] = [None] * len(sizes)
        if not len(kept):
            return found
        if len(kept) == len(sizes):  # every row clean: the columns as they are
            columns = PositionColumns(
                len(kept),
                owner,
                cells.instrument,
                cells.quantity,
                cells.contract_value_cents,
                cells.market_value_cents,
            )
        else:
            keep = clean_account[owner]
            renumber = np.cumsum(clean_account) - 1
            columns = PositionColumns(
                len(kept),
                renumber[owner[keep]],
                cells.instrument.filter(pa.array(keep)),
                cells.quantity[keep],
                cells.contract_value_cents[keep],
                cells.market_value_cents[keep],
            )
        breakdowns = margin_columns(self.rpf, columns, parameters).breakdowns
        if len(kept) == len(sizes):
            return breakdowns
        for n, breakdown in zip(kept.tolist(), breakdowns, strict=True):
            found[n] = breakdown
        return found

    def _cells(
        self, slots: list[tuple[str, Lines | tuple[PlainRows, int]]]
    ) -> tuple[CleanCells, IntArray, BoolArray]:
        """The accounts' position cells read in bulk, the rows per account, and which rows lack
        a column. Plain runs (all of one block) are taken from its columns as they are."""
        assert self.columns is not None
        where = self.columns
        runs = [rows for _, rows in slots if isinstance(rows, tuple)]
        if runs:
            block = runs[0][0]
            numbers = np.array([run for _, run in runs], dtype=np.int64)
            sizes = block.starts[numbers + 1] - block.starts[numbers]
            if len(numbers) == len(block.accounts):  # the whole block, in order
                cells = read_clean_cells(*(block.columns[i] for i in where))
            else:
                rows = pa.array(_rows_of_runs(block.starts, numbers))
                cells = read_clean_cells(*(block.columns[i].take(rows) for i in where))
            return cells, sizes, np.zeros(int(sizes.sum()), dtype=bool)
        width = max(where) + 1
        cell_rows = [row for _, lines in slots if isinstance(lines, list) for _, row in lines]
        short = np.fromiter(map(len, cell_rows), dtype=np.int64, count=len(cell_rows)) < width
        if short.any():  # a row without every column is not clean (cells of it are "")
            cell_rows = [
                row if len(row) >= width else [*row, *[""] * (width - len(row))] for row in cell_rows
            ]
        cells = read_clean_cells(*([row[i] for row in cell_rows] for i in where))
        sizes = np.array([len(lines) for _, lines in slots], dtype=np.int64)
        return cells, sizes, short


def _rows_of_runs(starts: IntArray, runs: IntArray) -> IntArray:
    """The rows of the given runs (``starts[n]:starts[n + 1]`` each), in order."""
    end = starts[runs + 1]
    sizes = end - starts[runs]
    return np.repeat(end - sizes.cumsum(), sizes) + np.arange(sizes.sum())


def margin_one(
    rpf: RiskParameterFile,
    name: str,
    header: list[str],
    account: str,
    lines: Lines,
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
        result = margin_breakdown(rpf, parsed.value, parameters)
    except InputError as exc:
        return AccountMargin(account, None, (*problems, *exc.problems), len(lines))
    return AccountMargin(account, result.breakdown, (*problems, *result.warnings), len(lines))
