"""``cpdesk report check`` and ``cpdesk report show``: report pairs from local files."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from cpdesk.connectors.store.report_files import collect, read_data_file, read_zip
from cpdesk.engine.problems import Severity
from cpdesk.engine.reports.catalogue import Catalogue, load_catalogue
from cpdesk.engine.reports.names import parse_report_file_name
from cpdesk.engine.reports.pairs import PairCheck, check_pair
from cpdesk.engine.reports.rmcnm01 import REPORT_ID as RMCNM01
from cpdesk.engine.reports.rmcnm01 import parse_rmcnm01

# A few records read best as one column per record; many records as one row per record.
TRANSPOSE_AT_MOST = 4


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="check and show HKEX report files")
    sub = report.add_subparsers(dest="report_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="check that control/data pairs are whole and consistent")
    check.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="a .CSV.ZIP, its .CNTL.ZIP, or a folder of them"
    )
    check.add_argument("--json", action="store_true", help="print a JSON list, one object per pair")
    check.set_defaults(run=run_check)

    show = sub.add_parser("show", help="print a report's records")
    show.add_argument("path", type=Path, metavar="PATH", help="a .CSV.ZIP (or an unzipped .CSV)")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.set_defaults(run=run_show)


def check_paths(
    paths: list[Path], catalogue: Catalogue
) -> tuple[list[PairCheck], list[tuple[Path, str]], int]:
    """Checks of every pair found, notes on other files, and how many named paths were unusable."""
    unusable = 0
    for path in paths:
        if not path.exists():
            print(f"{path}: no such file or folder", file=sys.stderr)
            unusable += 1
        elif path.is_file() and parse_report_file_name(path.name) is None:
            print(
                f"{path}: not a report pair file name (<ReportID>_<Participant>_<yyyymmddhhmmss>"
                ".CNTL.ZIP or .CSV.ZIP)",
                file=sys.stderr,
            )
            unusable += 1
    found = collect(p for p in paths if p.exists())
    checks = [
        check_pair(pair.name, read_zip(pair.control), read_zip(pair.data), catalogue)
        for _, pair in sorted(found.pairs.items())
    ]
    notes = []
    for other in found.others:
        if parse_report_file_name(other.name) is not None or other in paths:
            continue
        info = catalogue.identify(other.name)
        notes.append(
            (
                other,
                f"{info.report_id} ({info.layout}), not a pair: not checked"
                if info
                else "unknown file, not checked",
            )
        )
    return checks, notes, unusable


def run_check(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    checks, notes, unusable = check_paths(args.paths, catalogue)
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        for check in checks:
            label = check.info.name if check.info else "unknown report id"
            status = "ok  " if check.ok else "FAIL"
            detail = (
                f", business date {check.business_date}, {check.record_count} records"
                if check.control
                else ""
            )
            print(f"{status} {check.name.stem}  {label}{detail}")
            for problem in check.problems:
                print(f"     {problem}")
        for path, note in notes:
            print(f"skip {path.name}: {note}")
    failed = unusable or any(not c.ok for c in checks) or not checks
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    path: Path = args.path
    name = parse_report_file_name(path.name)
    if name is not None and name.part.value == "CNTL":
        path = path.with_name(name.partner())
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    data, problems = read_data_file(path)
    rows: list[dict[str, Any]] = data.as_dicts() if data else []
    if data is not None and ((name and name.report_id == RMCNM01) or data.fields[:1] == ("Batch",)):
        typed = parse_rmcnm01(data, path.name)
        problems += typed.problems
        if not typed.problems:
            rows = [row.as_dict() for row in typed.value]
    for problem in problems:
        print(problem, file=sys.stderr)
    if data is None or any(p.severity is Severity.ERROR for p in problems):
        return EXIT_BAD_INPUT
    columns = list(rows[0]) if rows else list(data.fields)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _table(path.name, columns, rows, Console())
    return EXIT_OK


def _table(title: str, columns: list[str], rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title=title, title_justify="left")
    if len(rows) <= TRANSPOSE_AT_MOST:
        table.add_column("field")
        for number in range(len(rows)):
            table.add_column(f"record {number + 2}", justify="right")
        for column in columns:
            table.add_row(column, *("" if row[column] is None else str(row[column]) for row in rows))
    else:
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)
