"""Find report files on local disk and group them into control/data pairs.

Only names that parse as report pair names are paired; every other file is returned as-is for the
caller to catalogue (derivatives reports, for one, are opaque files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cpdesk.engine.problems import Problem, ProblemCode
from cpdesk.engine.reports.csvdata import DataFile, parse_data_file
from cpdesk.engine.reports.names import PairPart, ReportFileName, parse_report_file_name
from cpdesk.engine.reports.pairs import ZipFile
from cpdesk.engine.reports.zipsafe import ZipLimits, read_single_member
from cpdesk.engine.sources import read_file

MAX_ZIP_BYTES = 2 * 1024**3
MAX_SHOWN_BYTES = 64 * 1024**2  # records shown or reconciled are held in memory: far above any report's


@dataclass
class LocalPair:
    name: ReportFileName
    control: Path | None = None
    data: Path | None = None


@dataclass
class LocalReportFiles:
    pairs: dict[str, LocalPair] = field(default_factory=dict)
    others: list[Path] = field(default_factory=list)


def collect(paths: Iterable[Path]) -> LocalReportFiles:
    """Pairs from files and folders (a folder's files, not its sub-folders). A file named on its
    own brings its partner along when the partner sits beside it."""
    found = LocalReportFiles()
    for path in paths:
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            _add(found, candidate)
            name = parse_report_file_name(candidate.name)
            if name is not None and not path.is_dir():
                partner = candidate.with_name(name.partner())
                if partner.exists():
                    _add(found, partner)
    return found


def _add(found: LocalReportFiles, path: Path) -> None:
    name = parse_report_file_name(path.name)
    if name is None:
        if path not in found.others:
            found.others.append(path)
        return
    pair = found.pairs.setdefault(name.stem, LocalPair(name))
    if name.part is PairPart.CONTROL:
        pair.control = path
    else:
        pair.data = path


def read_zip(path: Path | None) -> ZipFile | None:
    """The file's bytes for the engine's checks (refusing anything absurdly large)."""
    if path is None:
        return None
    return ZipFile(path.name, read_file(path, MAX_ZIP_BYTES))


def read_data_file(path: Path) -> tuple[DataFile | None, tuple[Problem, ...]]:
    """A report data file (a .CSV.ZIP or a plain CSV) read into records, with its problems.

    Records are held in memory to be shown: a data file over :data:`MAX_SHOWN_BYTES` is refused
    (``report check`` verifies any size in bounded memory)."""
    try:
        content = read_file(path, MAX_ZIP_BYTES if path.name.upper().endswith(".ZIP") else MAX_SHOWN_BYTES)
    except OSError as exc:
        return None, (Problem(str(path), None, None, exc.strerror or str(exc), code=ProblemCode.UNREADABLE),)
    name = parse_report_file_name(path.name)
    problems: tuple[Problem, ...] = ()
    if path.name.upper().endswith(".ZIP"):
        limits = ZipLimits(max_member_bytes=MAX_SHOWN_BYTES)
        member = read_single_member(content, path.name, name.member_name if name else None, limits)
        problems = member.problems
        if member.value is None:
            return None, problems
        content = member.value
    parsed = parse_data_file(content, path.name)
    return parsed.value, problems + parsed.problems
