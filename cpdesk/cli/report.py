"""``cpdesk report check`` and ``cpdesk report show``: report pairs from local files."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from cpdesk.cli.arguments import add_json_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from cpdesk.cli.tables import WrappingTable, new_console, show
from cpdesk.desk import Desk

# A few records read best as one column per record; many records as one row per record.
TRANSPOSE_AT_MOST = 4


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="check and show HKEX report files")
    sub = report.add_subparsers(dest="report_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="check that control/data pairs are whole and consistent")
    check.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="a .CSV.ZIP, its .CNTL.ZIP, or a folder of them"
    )
    add_json_option(check, "print a JSON list, one object per pair")
    check.set_defaults(run=run_check)

    show = sub.add_parser("show", help="print a report's records")
    show.add_argument("path", type=Path, metavar="PATH", help="a .CSV.ZIP (or an unzipped .CSV)")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.set_defaults(run=run_show)


def run_check(args: argparse.Namespace) -> int:
    found = Desk.standalone().check_reports(args.paths)
    for problem in found.unusable:
        print(problem, file=sys.stderr)
    if args.json:
        print(json.dumps([c.as_dict() for c in found.checks], indent=2))
    else:
        for check in found.checks:
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
        for skipped in found.skipped:
            print(f"skip {skipped.path.name}: {skipped.note}")
    return EXIT_OK if found.ok else EXIT_BAD_INPUT


def run_show(args: argparse.Namespace) -> int:
    view = Desk.show_report(args.path)
    for problem in view.problems:
        print(problem, file=sys.stderr)
    if not view.ok or not (view.rows or view.columns):
        return EXIT_BAD_INPUT
    rows, columns = list(view.rows), list(view.columns)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _table(view.path.name, columns, rows, new_console())
    return EXIT_OK


def _table(title: str, columns: list[str], rows: list[dict[str, Any]], console: Console) -> None:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    if len(rows) <= TRANSPOSE_AT_MOST:  # a few records read best as one column per record
        table = WrappingTable(title=title)
        table.add_column("field")
        for number in range(len(rows)):
            table.add_column(f"record {number + 2}", justify="right")
        for column in columns:
            table.add_row(column, *(text(row[column]) for row in rows))
        console.print(table)
        return
    show(console, title, columns, [[text(row[c]) for c in columns] for row in rows])
