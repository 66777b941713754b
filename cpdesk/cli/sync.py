"""``cpdesk init`` and ``cpdesk sync``: the daily retrieval from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from typing import Any

from cpdesk.cli.arguments import add_config_option, add_json_option
from cpdesk.cli.exit_codes import (
    EXIT_BUDGET,
    EXIT_CONNECTION,
    EXIT_NOTHING_NEW,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
)
from cpdesk.cli.reporters import PlainReporter, RichReporter, print_summary
from cpdesk.cli.tables import new_console, show
from cpdesk.connectors.errors import ConfigurationError
from cpdesk.desk import Desk, SyncReport
from cpdesk.engine.status import SyncStatus

# Exit codes of `cpdesk sync` (README): the most serious outcome of any facility decides.
SYNC_EXIT = {
    SyncStatus.OK: EXIT_OK,
    SyncStatus.NOTHING_NEW: EXIT_NOTHING_NEW,
    SyncStatus.PARTIAL: EXIT_PARTIAL,
    SyncStatus.BUDGET: EXIT_BUDGET,
    SyncStatus.CONNECTION: EXIT_CONNECTION,
    SyncStatus.CONFIG: EXIT_USAGE,
}


def register(commands: Any) -> None:
    init = commands.add_parser("init", help="write a commented cpdesk.toml")
    init.add_argument(
        "--facility",
        choices=("derivatives", "securities", "both"),
        help="which facilities to configure (asked when on a terminal; default derivatives)",
    )
    init.add_argument("--participant", default="CXXX", help="DCASS customer code (default CXXX)")
    init.add_argument("--rap-participant", metavar="ID", help="CCASS participant id, for RAP")
    init.add_argument("--rap-host", metavar="HOST:PORT", help="the RAP address HKEX gives, for RAP")
    add_config_option(init, "the file to write")
    init.set_defaults(run=run_init)

    sync = commands.add_parser("sync", help="fetch every new report from the configured facilities")
    add_config_option(sync)
    sync.add_argument("--dry-run", action="store_true", help="sign on and list, download nothing")
    sync.add_argument(
        "--refetch",
        action="append",
        default=[],
        metavar="NAME",
        help="fetch this file again although it was fetched before (repeatable)",
    )
    add_json_option(sync, "print a JSON summary")
    sync.set_defaults(run=run_sync)
    register_history(commands)


def run_init(args: argparse.Namespace) -> int:
    which = args.facility
    if which is None:
        which = _ask_facility() if sys.stdin.isatty() else "derivatives"
    derivatives = args.participant if which in ("derivatives", "both") else None
    rap = (args.rap_participant or "") if which in ("securities", "both") else None
    if rap == "":
        raise ConfigurationError("give --rap-participant: the CCASS participant id for RAP")
    Desk.write_config(args.config, derivatives, rap, args.rap_host)
    print(
        f"wrote {args.config}: edit the participant, accounts and key files, then run `cpdesk facility trust`"
    )
    return EXIT_OK


def _ask_facility() -> str:
    answer = input("Configure derivatives, securities (RAP) or both? [derivatives] ").strip().lower()
    if answer in ("", "d", "derivatives"):
        return "derivatives"
    if answer in ("s", "securities", "rap"):
        return "securities"
    if answer in ("b", "both"):
        return "both"
    raise ConfigurationError(f"{answer!r}: answer derivatives, securities or both")


def summary(report: SyncReport) -> dict[str, Any]:
    return {**report.as_dict(), "exit_code": SYNC_EXIT[report.status]}


def run_sync(args: argparse.Namespace) -> int:
    with Desk.open(args.config) as desk:
        if args.json:
            report = desk.sync(None, args.dry_run, args.refetch)
            print(json.dumps(summary(report), indent=2))
        elif sys.stdout.isatty():
            console = new_console()
            with RichReporter(console) as reporter:
                report = desk.sync(reporter, args.dry_run, args.refetch)
            print_summary(report, console)
        else:
            report = desk.sync(PlainReporter(), args.dry_run, args.refetch)
            print_summary(report, new_console())
    return SYNC_EXIT[report.status]


def register_history(commands: Any) -> None:
    history = commands.add_parser("history", help="the ledger: every file fetched, by business date")
    add_config_option(history)
    history.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="only this business date")
    history.add_argument("--facility", metavar="NAME", help="only this facility of the config")
    add_json_option(history)
    history.set_defaults(run=run_history)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def run_history(args: argparse.Namespace) -> int:
    with Desk.open(args.config) as desk:
        if args.facility and args.facility not in {f.name for f in desk.config.facilities}:
            names = ", ".join(f.name for f in desk.config.facilities)
            raise ConfigurationError(f"no facility {args.facility!r} in {args.config} (it has {names})")
        rows = desk.history(args.date, args.facility)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2, default=str))
        return EXIT_OK
    show(
        new_console(),
        "Files fetched" + (f" for {args.date}" if args.date else ""),
        ("Business date", "Facility", "Folder", "Name", "Bytes", "Result", "SHA-256", "Detail"),
        [
            (r.business_date, r.facility, r.folder, r.name, f"{r.size:,}", r.result.value, r.sha256, r.detail)
            for r in rows
        ],
        right={"Bytes"},
    )
    if not rows:
        print("no files in the ledger" + (f" for {args.date}" if args.date else ""))
    return EXIT_OK
