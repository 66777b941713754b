"""``cpdesk dashboard``: the operations desk in a terminal (a Textual app over the desk API)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cpdesk.cli.arguments import add_config_option
from cpdesk.cli.exit_codes import EXIT_OK, EXIT_USAGE
from cpdesk.desk import Desk
from cpdesk.tui import DashboardApp, DashboardOptions

MIN_REFRESH_SECONDS = 2.0


def register(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard", help="the operations dashboard: today's reports, keys, LOP results, history"
    )
    add_config_option(dashboard)
    dashboard.add_argument(
        "--refresh",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help=f"read the ledger again every SECONDS (default 30, at least {MIN_REFRESH_SECONDS:g})",
    )
    dashboard.add_argument(
        "--read-only", action="store_true", help="never sign on (a wall screen): sync and renewal are off"
    )
    dashboard.add_argument(
        "--auto-sync",
        action="store_true",
        help="sync by itself when a report becomes due (its catalogue time plus late_after_minutes)",
    )
    dashboard.set_defaults(run=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    if not args.refresh >= MIN_REFRESH_SECONDS:  # also refuses NaN
        print(
            f"cpdesk dashboard: --refresh must be at least {MIN_REFRESH_SECONDS:g} seconds", file=sys.stderr
        )
        return EXIT_USAGE
    with Desk.open(args.config) as desk:
        DashboardApp(desk, DashboardOptions(args.refresh, args.read_only, args.auto_sync)).run()
    return EXIT_OK
