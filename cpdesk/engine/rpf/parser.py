"""Read RPF01 exactly as laid out in the guide (§2.1, §2.2) and report every problem by line.

Layout: twelve ``Name,Value`` header lines, the ``InstrumentId,FieldType,1..N`` line, then data
rows grouped by FieldType 1-7. Trailing empty cells (as spreadsheet exports write them) are
allowed everywhere. The header, the small FieldTypes 3-7 and the large scenario blocks each have
their own module; this one puts them together.
"""

from __future__ import annotations

from cpdesk.engine.problems import Parsed, Problem, ProblemCode
from cpdesk.engine.reports.zipsafe import read_single_member
from cpdesk.engine.rpf.header import find_column_header, parse_column_header, parse_header
from cpdesk.engine.rpf.model import FieldType, RiskParameterFile
from cpdesk.engine.rpf.rows import DataRows
from cpdesk.engine.rpf.scenarios import build_scenarios
from cpdesk.engine.rpf.text import MAX_PROBLEMS, Lines, ProblemCollector, TooManyProblems, screen
from cpdesk.engine.sources import Source, read_source, source_name


def parse_rpf(
    source: Source, *, lenient: bool = False, name: str | None = None
) -> Parsed[RiskParameterFile | None]:
    """Parse an RPF01 from a path or an open binary stream (a ``.ZIP`` name: the zip HKEX publishes
    it in). The value is ``None`` when any error was found; problems name ``name`` (default: the
    path or the stream's name)."""
    shown = source_name(source, name)
    try:
        data = read_source(source)
    except OSError as exc:
        return Parsed(
            None,
            (
                Problem(
                    shown, None, None, f"cannot read file: {exc.strerror or exc}", code=ProblemCode.UNREADABLE
                ),
            ),
        )
    if shown.upper().endswith(".ZIP"):  # an archived RPF01_...CSV.ZIP: its one member is the file
        member = read_single_member(data, shown)
        if member.value is None:
            return Parsed(None, member.problems)
        data = member.value
    return parse_rpf_bytes(data, shown, lenient=lenient)


def parse_rpf_bytes(data: bytes, source: str, *, lenient: bool = False) -> Parsed[RiskParameterFile | None]:
    problems = ProblemCollector(source)
    try:
        return _parse(data, source, lenient, problems)
    except TooManyProblems:
        problems.items.append(
            Problem(
                source,
                None,
                None,
                f"more than {MAX_PROBLEMS:,} problems: stopped reading (is this an RPF01 file?)",
                code=ProblemCode.MALFORMED,
            )
        )
        return Parsed(None, problems.finish())


def _parse(
    data: bytes, source: str, lenient: bool, problems: ProblemCollector
) -> Parsed[RiskParameterFile | None]:
    if not data.strip():
        problems.add(None, None, "the file is empty", code=ProblemCode.NO_HEADER)
        return Parsed(None, problems.finish())
    lines = Lines.of(data)
    skipped = screen(lines, problems)
    column_line = find_column_header(lines)
    if column_line is None:
        problems.add(
            None, None, "no 'InstrumentId,FieldType,1..N' column header line found", code=ProblemCode.HEADER
        )
        return Parsed(None, problems.finish())

    header = parse_header(lines, column_line, problems)
    column_count = parse_column_header(lines, column_line, problems)
    rows = DataRows(problems)
    scenario_lines: dict[FieldType, list[int]] = {FieldType.HVAR_SCENARIOS: [], FieldType.SVAR_SCENARIOS: []}
    for index in range(column_line + 1, len(lines)):
        if index not in skipped:
            rows.route(lines, index, scenario_lines)

    scenarios = None
    if header is not None:
        scenarios = build_scenarios(lines, header, column_count, scenario_lines, lenient, problems)
    rows.check_references(header_ok=header is not None)

    if problems.has_errors or header is None or scenarios is None:
        return Parsed(None, problems.finish())
    rpf = RiskParameterFile(
        source=source,
        header=header,
        scenarios=scenarios,
        flat_rates=rows.flat_rates,
        beta_hedge=rows.beta_hedge,
        deltas=rows.deltas,
        structured_products=rows.structured_products,
        corporate_actions=rows.corporate_actions,
    )
    return Parsed(rpf, problems.finish())
