"""Checks on downloaded files before they enter the archive: size, zip integrity, report pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cpdesk.connectors.sftp.profile import HKT
from cpdesk.engine.problems import Problem, ProblemCode, errors_in
from cpdesk.engine.reports.catalogue import Catalogue
from cpdesk.engine.reports.names import ReportFileName
from cpdesk.engine.reports.pairs import CountedMember, ZipFile, check_pair
from cpdesk.engine.reports.zipsafe import read_single_member

_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


def date_in_name(name: str) -> date | None:
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def business_date_of(folder: str, name: str, mtime: float) -> date:
    """A dated sub-folder, else a date in the name, else the day (HKT) the file was written."""
    leaf = folder.rsplit("/", 1)[-1]
    return (
        (date_in_name(leaf) if re.fullmatch(r"\d{8}", leaf) else None)
        or date_in_name(name)
        or (datetime.fromtimestamp(mtime, HKT).date())
    )


@dataclass
class Verdict:
    """The checks of one downloaded file: its problems (errors fail it, warnings are kept with
    it) and notes that are no problem ("pair verified")."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    business_date: date | None = None

    @property
    def ok(self) -> bool:
        return not errors_in(self.problems)

    @property
    def detail(self) -> str:
        return "; ".join([str(p) for p in self.problems] + self.notes)


def check_content(path: Path, name: str, expected_size: int) -> Verdict:
    verdict = Verdict()
    size = path.stat().st_size
    if size != expected_size:
        verdict.problems.append(
            Problem(
                name,
                None,
                None,
                f"size {size} differs from the server's {expected_size}",
                code=ProblemCode.SIZE_MISMATCH,
            )
        )
        return verdict
    if name.upper().endswith(".ZIP"):
        member = read_single_member(path.read_bytes(), name)
        verdict.problems += member.errors
    return verdict


def check_pair_files(
    report: ReportFileName,
    control: Path | None,
    data: Path | None,
    catalogue: Catalogue,
    counted: CountedMember | None = None,
) -> Verdict:
    """The pair check when both files are at hand (wherever they are stored locally); a note when
    the partner is not yet published. ``counted``: an RPF01 data file's records as counted while
    it arrived (confirmed here, not counted again)."""
    verdict = Verdict()
    if control is None or data is None:
        missing = f"{report.stem}.CNTL.ZIP" if control is None else f"{report.stem}.CSV.ZIP"
        verdict.notes.append(f"{missing} not yet available; pair not checked")
        return verdict
    result = check_pair(
        report,
        ZipFile(f"{report.stem}.CNTL.ZIP", control.read_bytes()),
        ZipFile(f"{report.stem}.CSV.ZIP", data.read_bytes(), counted),
        catalogue,
    )
    verdict.problems += result.problems
    if result.ok:
        verdict.notes.append("pair verified")
        verdict.business_date = result.business_date
    return verdict
