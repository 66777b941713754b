"""Report files on local disk: pair checks, a data file's records, and RMCNM01's MSTD recomputed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpdesk.connectors.store.report_files import collect, read_data_file, read_zip
from cpdesk.engine.problems import Problem, ProblemCode, errors_in
from cpdesk.engine.reports.catalogue import Catalogue
from cpdesk.engine.reports.mstd import RowReconciliation, reconcile
from cpdesk.engine.reports.names import PairPart, parse_report_file_name
from cpdesk.engine.reports.pairs import PairCheck, check_pair
from cpdesk.engine.reports.rmcnm01 import REPORT_ID as RMCNM01
from cpdesk.engine.reports.rmcnm01 import parse_rmcnm01

PAIR_NAME_HELP = "<ReportID>_<Participant>_<yyyymmddhhmmss>.CNTL.ZIP or .CSV.ZIP"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: Path
    note: str  # what the catalogue knows of it, and that it was not checked


@dataclass(frozen=True, slots=True)
class ReportCheck:
    checks: tuple[PairCheck, ...]
    skipped: tuple[SkippedFile, ...]
    unusable: tuple[Problem, ...]  # named paths that do not exist or are not pair files

    @property
    def ok(self) -> bool:
        return bool(self.checks) and not self.unusable and all(c.ok for c in self.checks)


@dataclass(frozen=True, slots=True)
class ReportView:
    """A data file's records (typed where cpdesk has a reader for the report)."""

    path: Path
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not errors_in(self.problems)


@dataclass(frozen=True, slots=True)
class MstdReport:
    path: Path
    results: tuple[RowReconciliation, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not errors_in(self.problems) and all(not r.disagreements for r in self.results)


def check_reports(paths: Iterable[Path], catalogue: Catalogue) -> ReportCheck:
    """Check every pair found among ``paths`` (files and folders); note the other files."""
    paths = list(paths)
    unusable = []
    for path in paths:
        if not path.exists():
            unusable.append(
                Problem(str(path), None, None, "no such file or folder", code=ProblemCode.UNREADABLE)
            )
        elif path.is_file() and parse_report_file_name(path.name) is None:
            unusable.append(
                Problem(
                    str(path),
                    None,
                    None,
                    f"not a report pair file name ({PAIR_NAME_HELP})",
                    code=ProblemCode.FILE_NAME,
                )
            )
    try:
        found = collect(p for p in paths if p.exists())
    except OSError as exc:
        return ReportCheck((), (), (*unusable, _unreadable(exc)))
    checks = []
    for _, pair in sorted(found.pairs.items()):
        try:
            control, data = read_zip(pair.control), read_zip(pair.data)
        except OSError as exc:  # a folder, a pipe, a device, too large, unreadable
            unusable.append(_unreadable(exc))
            continue
        checks.append(check_pair(pair.name, control, data, catalogue))
    skipped = []
    for other in found.others:
        if parse_report_file_name(other.name) is not None or other in paths:
            continue
        info = catalogue.identify(other.name)
        note = (
            f"{info.report_id} ({info.layout}), not a pair: not checked"
            if info
            else "unknown file, not checked"
        )
        skipped.append(SkippedFile(other, note))
    if not checks and not unusable:
        named = ", ".join(str(p) for p in paths)
        unusable.append(
            Problem(
                named, None, None, f"no report pair files here ({PAIR_NAME_HELP})", code=ProblemCode.FILE_NAME
            )
        )
    return ReportCheck(tuple(checks), tuple(skipped), tuple(unusable))


def _unreadable(exc: OSError) -> Problem:
    where = str(exc.filename) if exc.filename else "a named path"
    return Problem(where, None, None, exc.strerror or str(exc), code=ProblemCode.UNREADABLE)


def show_report(path: Path) -> ReportView:
    """The records of a ``.CSV.ZIP`` (or its ``.CNTL.ZIP``'s partner, or a plain CSV); RMCNM01's
    typed."""
    name = parse_report_file_name(path.name)
    if name is not None and name.part is PairPart.CONTROL:
        path = path.with_name(name.partner())
    if not path.exists():
        return ReportView(
            path, (), (), (Problem(str(path), None, None, "no such file", code=ProblemCode.UNREADABLE),)
        )
    data, problems = read_data_file(path)
    if data is None:
        return ReportView(path, (), (), problems)
    rows: list[dict[str, Any]] = data.as_dicts()
    if (name and name.report_id == RMCNM01) or data.fields[:1] == ("Batch",):
        typed = parse_rmcnm01(data, path.name)
        problems += typed.problems
        if not typed.problems:
            rows = [row.as_dict() for row in typed.value]
    columns = tuple(rows[0]) if rows else tuple(data.fields)
    return ReportView(path, columns, tuple(rows), problems)


def reconcile_mstd(path: Path) -> MstdReport:
    """Every row of an RMCNM01 data file with its MSTD recomputed and compared."""
    if not path.exists():
        return MstdReport(
            path, (), (Problem(str(path), None, None, "no such file", code=ProblemCode.UNREADABLE),)
        )
    data, problems = read_data_file(path)
    if data is None:
        return MstdReport(path, (), problems)
    rows = parse_rmcnm01(data, path.name)
    problems += rows.problems
    if errors_in(problems):
        return MstdReport(path, (), problems)
    return MstdReport(path, tuple(reconcile(row) for row in rows.value), problems)
