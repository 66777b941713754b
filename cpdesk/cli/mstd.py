"""``cpdesk mstd``: Northbound MSTD requirement from figures, or reconciled from an RMCNM01 report."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from cpdesk.cli.arguments import add_json_option, decimal_argument, rate_argument
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE
from cpdesk.cli.tables import WrappingTable, new_console
from cpdesk.desk import Desk
from cpdesk.engine.reports.mstd import Disagreement, MstdInputs

AMOUNT_OPTIONS = (
    ("buy_turnover", "--buy-turnover", "buy turnover (R15)"),
    ("overdue_short", "--overdue-short", "overdue short position (R16)"),
    ("spsa_sell", "--spsa-sell", "SPSA sell turnover (R17)"),
    ("avg_buy", "--avg-buy", "average daily buy turnover (R19)"),
    ("avg_overdue", "--avg-overdue", "average overdue short position (R20)"),
    ("avg_spsa", "--avg-spsa", "average daily SPSA sell turnover (R21)"),
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "mstd",
        help="Northbound Mainland Settlement Deposit requirement",
        description="MSTD = max(daily, monthly); amounts in CNY, rounded to the nearest dollar.",
    )
    for dest, flag, text in AMOUNT_OPTIONS:
        parser.add_argument(
            flag, dest=dest, type=decimal_argument, metavar="X", help=f"{text}, CNY (default 0)"
        )
    parser.add_argument(
        "--rate", type=rate_argument, metavar="X", help="Mainland Settlement Deposit Rate: 18%% or 0.18"
    )
    parser.add_argument("--report", type=Path, metavar="PATH", help="recompute every row of an RMCNM01 file")
    add_json_option(parser, "print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    amounts = {dest: getattr(args, dest) for dest, _, _ in AMOUNT_OPTIONS}
    figures_given = any(v is not None for v in amounts.values()) or args.rate is not None
    if args.report is not None:
        if figures_given:
            print("cpdesk mstd: give either --report or the figures, not both", file=sys.stderr)
            return EXIT_USAGE
        return _reconcile(args.report, args.json)
    if args.rate is None:
        print("cpdesk mstd: --rate is required (or --report PATH)", file=sys.stderr)
        return EXIT_USAGE
    given = {dest: value or Decimal(0) for dest, value in amounts.items()}
    inputs = MstdInputs(
        buy_turnover_cny=given["buy_turnover"],
        overdue_short_position_cny=given["overdue_short"],
        spsa_sell_turnover_cny=given["spsa_sell"],
        average_daily_buy_turnover_cny=given["avg_buy"],
        average_overdue_short_position_cny=given["avg_overdue"],
        average_daily_spsa_sell_turnover_cny=given["avg_spsa"],
        deposit_rate=args.rate,
    )
    result = Desk.mstd(inputs)
    figures = {
        "daily": result.daily_cny,
        "monthly": result.monthly_cny,
        "requirement": result.requirement_cny,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        table = WrappingTable(
            title=f"MSTD requirement at {inputs.deposit_rate * 100:g}% (CNY)", title_justify="left"
        )
        table.add_column("")
        table.add_column("CNY", justify="right")
        for label, value in figures.items():
            table.add_row(label, f"{value:,}", style="bold" if label == "requirement" else None)
        new_console().print(table)
    return EXIT_OK


def _reconcile(path: Path, as_json: bool) -> int:
    report = Desk.reconcile_mstd(path)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.results and not report.ok:
        return EXIT_BAD_INPUT
    results = report.results
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "record": r.row.record,
                        "market": r.row.market,
                        "daily": r.recomputed.daily_cny,
                        "monthly": r.recomputed.monthly_cny,
                        "requirement": r.recomputed.requirement_cny,
                        "agrees": not r.disagreements,
                        "disagreements": [
                            {
                                "field": d.field,
                                "reported": None if d.reported_cny is None else str(d.reported_cny),
                                "recomputed": str(d.recomputed_cny),
                            }
                            for d in r.disagreements
                        ],
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        table = WrappingTable(title=f"{path.name}: MSTD reconciliation (CNY)", title_justify="left")
        for column in ("Record", "Market", "R18 daily", "R22 monthly", "R24 requirement", "Result"):
            table.add_column(
                column, justify="right" if column.startswith("R") and column != "Result" else "left"
            )
        for r in results:
            row = r.row
            table.add_row(
                str(row.record),
                row.market,
                _pair(row.daily_mstd_requirement_cny, r.recomputed.daily_cny),
                _pair(row.monthly_mstd_requirement_cny, r.recomputed.monthly_cny),
                _pair(row.mstd_requirement_cny, r.recomputed.requirement_cny),
                _verdict(r.disagreements),
                style=None if not r.disagreements else "red",
            )
        new_console().print(table)
        for r in results:
            for d in r.disagreements:
                print(
                    f"{path.name}:{d.record}: [{d.field}] {d.market}: report says {d.reported_cny}, "
                    f"recomputed {d.recomputed_cny}",
                    file=sys.stderr,
                )
    return EXIT_OK if report.ok else EXIT_BAD_INPUT


def _verdict(disagreements: tuple[Disagreement, ...]) -> str:
    """ "agrees", or which figures differ by their R numbers ("differs: R18 R24")."""
    if not disagreements:
        return "agrees"
    return "differs: " + " ".join(d.field.split()[0] for d in disagreements)


def _pair(reported: Decimal | None, recomputed: int) -> str:
    shown = "blank" if reported is None else f"{reported:,}"
    return shown if reported == recomputed else f"{shown} / {recomputed:,}"
