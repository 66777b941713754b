"""Client portfolios in batch: one positions file with an account column, one breakdown per account.

The file is read as a stream (``batch_reader``: plain stretches in blocks through pyarrow, the
rest row by row), account by account, so its size is bounded by the disk, not the memory: an
account's rows must stand together (as a back office exports them, sorted by
account). An account whose rows turn up again after another account's is reported as such, and
none of its rows are margined (margined on its first block only, it would be understated). Each
account gets the breakdown ``cpdesk margin`` gives a file of its own (``batch_accounts``: a few
thousand clean accounts at a time through the columnar engine, any other through
``calculate_margin``); a bad row or parameter stops only its account, as does a line that is not
UTF-8. Where
the file cannot be read on (an unterminated quote), the accounts before are kept and the account
the break falls in is reported, not margined.

Per-account parameters come from an optional CSV: ``Account`` then any of ``cpdesk margin``'s
parameter names (``multiplier``, ``ipo``, ``margin_credit``, ...), within the desk's bounds,
over the request's parameters. Its problems are located by line and column.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cpdesk.connectors.errors import InputRejected
from cpdesk.desk.batch_accounts import UNDECODABLE, AccountMargin, Chunk
from cpdesk.desk.batch_reader import PlainRows, account_blocks
from cpdesk.desk.rpf_library import parameters_from
from cpdesk.engine.csvtext import header_key, read_csv_file
from cpdesk.engine.margin import MarginParameters
from cpdesk.engine.problems import Problem, ProblemCode, Severity
from cpdesk.engine.rpf import RiskParameterFile

ProgressCallback = Callable[[int, int], None]  # (bytes read, file size)


@dataclass(frozen=True, slots=True)
class BatchRequest:
    positions: Path  # InstrumentID, Quantity, ContractValue, MarketValue and the account column
    account_column: str = "Account"
    parameters: MarginParameters = field(default_factory=MarginParameters)
    account_parameters: Path | None = None  # Account plus parameter columns


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
        undecodable_before = UNDECODABLE[0]  # the reader decodes ahead: count from the start
        blocks = account_blocks(raw, name, request.account_column, summary.problems)
        first = next(blocks, None)
        if first is None:
            return
        assert not isinstance(first, PlainRows)  # the first block is the header row's
        header = first[1][0][1]
        chunk = Chunk(rpf, name, header, per_account, request.parameters, undecodable_before)
        seen: set[str] = set()

        def admitted(account: str, line: int, rows: int) -> bool:
            """Whether an account's rows are new; if they are not, its error is readied."""
            if account in seen:
                chunk.ready(AccountMargin(account, None, (_split(name, account, line),), rows))
                return False
            seen.add(account)
            return True

        def all_new(accounts: list[str]) -> bool:
            """Whether a block's runs are all accounts not seen before; if so they are now."""
            if len(set(accounts)) < len(accounts) or not seen.isdisjoint(accounts):
                return False  # admitted() says which, run by run
            seen.update(accounts)
            return True

        more = True
        while more:
            # The collector would walk every row held so far, again and again, as a chunk's rows
            # pile up (a third of the run): it waits while a chunk is read and margined.
            with _collector_paused():
                done: list[AccountMargin] = []
                for item in blocks:
                    if on_progress is not None:
                        on_progress(raw.tell(), size)
                    if isinstance(item, PlainRows):  # margined as a chunk of its own
                        done = chunk.flush() if chunk.slots else []
                        summary.rows += item.row_count
                        if chunk.columns is not None and all_new(item.accounts):
                            done += chunk.margin_block(item)
                            break
                        for run, account in enumerate(item.accounts):
                            line = item.first_line + int(item.starts[run])
                            if admitted(account, line, item.rows_of(run)):
                                chunk.add_run(account, item, run)
                        done += chunk.flush()
                        break
                    account, lines, broken = item
                    summary.rows += len(lines)
                    if broken is not None:
                        chunk.ready(AccountMargin(account, None, (broken,), len(lines)))
                    elif admitted(account, lines[0][0], len(lines)):
                        chunk.add(account, lines)
                    if chunk.full:
                        done = chunk.flush()
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


def _split(name: str, account: str, line: int) -> Problem:
    return Problem(
        name,
        line,
        "Account",
        f"account {account!r} has rows here and before another account's: sort the file by account "
        "(none of its rows are margined)",
        code=ProblemCode.CONSISTENCY,
    )


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
