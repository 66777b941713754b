"""One portfolio margined on every archived RPF01: how its margin moved from day to day.

The ledger says which archived file belongs to which business date (the verified ``RPF01_*.CSV.ZIP``
of each date; the latest by name when a date has several). Each file is margined exactly as
``cpdesk margin --rpf FILE`` margins it; a file that cannot be read is reported on its row and the
other days go on.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cpdesk.connectors.errors import InputRejected
from cpdesk.connectors.store.ledger import FileRow
from cpdesk.desk.margin import MarginRequest, margin
from cpdesk.engine.margin import MarginParameters
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.problems import Problem, errors_in
from cpdesk.engine.sources import Source, read_source
from cpdesk.engine.status import FileResult


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    business_date: date
    rpf: Path
    breakdown: MarginBreakdown | None  # None: that day's file could not be margined
    problems: tuple[Problem, ...]


def archived_rpfs(files: Sequence[FileRow], first: date | None, last: date | None) -> list[tuple[date, Path]]:
    """(business date, archive path) of each date's verified RPF01, in date order."""
    latest: dict[date, FileRow] = {}
    for row in files:
        name = row.name.upper()
        if (
            not (name.startswith("RPF01_") and name.endswith(".CSV.ZIP"))
            or row.result is not FileResult.VERIFIED
        ):
            continue
        try:
            day = date.fromisoformat(row.business_date)
        except ValueError:
            continue
        if (first and day < first) or (last and day > last):
            continue
        if day not in latest or row.name > latest[day].name:
            latest[day] = row
    return [(day, Path(latest[day].archive_path)) for day in sorted(latest)]


def margin_history(
    rpfs: Sequence[tuple[date, Path]],
    positions: Source,
    parameters: MarginParameters,
    flat_groups: Source | None = None,
) -> tuple[HistoryPoint, ...]:
    """The portfolio's breakdown on each (date, RPF01) in turn. Raises InputRejected when the
    positions (or flat groups) cannot be read at all."""
    try:
        content = read_source(positions)
        groups = read_source(flat_groups) if flat_groups is not None else None
    except OSError as exc:
        raise InputRejected(f"cannot read file: {exc}") from None
    points = []
    for day, path in rpfs:
        request = MarginRequest(
            rpf=path,
            parameters=parameters,
            positions=io.BytesIO(content),
            flat_groups=io.BytesIO(groups) if groups is not None else None,
        )
        outcome = margin(request)
        breakdown = (
            outcome.result.breakdown
            if outcome.result is not None and not errors_in(outcome.problems)
            else None
        )
        points.append(HistoryPoint(day, path, breakdown, outcome.problems))
    return tuple(points)
