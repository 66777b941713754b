"""``cpdesk margin batch``, ``cpdesk margin explain`` and ``cpdesk margin history``.

Registered as commands of their own (``margin-batch``, ...) that :func:`cpdesk.cli.main.main`
reaches from ``cpdesk margin batch ...``: ``cpdesk margin`` itself keeps its required options.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from cpdesk.cli.arguments import Once, add_config_option, add_json_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from cpdesk.cli.margin import add_parameter_options, parameters_of
from cpdesk.cli.tables import WrappingTable, new_console
from cpdesk.desk import AccountMargin, BatchRequest, BatchSummary, Desk, MarginRequest
from cpdesk.desk.batch_files import FIGURES, check_target, result_row, write_results
from cpdesk.engine.margin.attribution import MarginAttribution
from cpdesk.fileio import write_atomically

TOOLS = ("batch", "explain", "history")
SPARK = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 15  # the highest total's bar, in characters


def register(commands: Any) -> None:
    batch = commands.add_parser(
        "margin-batch",
        prog="cpdesk margin batch",
        help="margin every account of one positions file (cpdesk margin batch)",
        description="One breakdown per account of a positions file with an account column.",
    )
    batch.add_argument("--rpf", required=True, action=Once, metavar="RPF", help="RPF01 (CSV or .CSV.ZIP)")
    batch.add_argument(
        "--positions", required=True, type=Path, metavar="ALL.csv", help="positions with an account column"
    )
    batch.add_argument("--account-column", default="Account", metavar="NAME", help="default Account")
    batch.add_argument(
        "--parameters",
        type=Path,
        metavar="P.csv",
        help="per-account parameters: Account, then any of multiplier, floor_rate, ipo, margin_credit, ...",
    )
    batch.add_argument("--out", type=Path, metavar="FILE", help="results as .csv, .xlsx or .parquet")
    add_parameter_options(batch)
    add_json_option(batch, "print a JSON list, one object per account")
    batch.set_defaults(run=run_batch)

    explain = commands.add_parser(
        "margin-explain",
        prog="cpdesk margin explain",
        help="which positions drive the margin (cpdesk margin explain)",
        description="Standalone and incremental margin per position, its share of each expected "
        "shortfall, the tail scenarios and the components by group.",
    )
    explain.add_argument("--rpf", required=True, action=Once, metavar="RPF", help="RPF01 (CSV or .CSV.ZIP)")
    explain.add_argument("--positions", required=True, action=Once, metavar="POS.csv", help="positions")
    add_parameter_options(explain)
    add_json_option(explain, "print one JSON object")
    explain.set_defaults(run=run_explain)

    history = commands.add_parser(
        "margin-history",
        prog="cpdesk margin history",
        help="one portfolio on every archived RPF01 (cpdesk margin history)",
        description="The portfolio's breakdown on each archived RPF01 the ledger lists, in date order.",
    )
    history.add_argument("--positions", required=True, type=Path, metavar="POS.csv", help="positions")
    history.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD")
    history.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD")
    history.add_argument("--csv", type=Path, metavar="FILE", help="also write the rows as CSV for Excel")
    add_config_option(history, "its ledger lists the archived RPF01 files")
    add_parameter_options(history)
    add_json_option(history, "print a JSON list, one object per business date")
    history.set_defaults(run=run_history)


def routed(argv: list[str]) -> list[str]:
    """``margin batch ...`` as ``margin-batch ...`` (the form argparse knows)."""
    if len(argv) >= 2 and argv[0] == "margin" and argv[1] in TOOLS:
        return [f"margin-{argv[1]}", *argv[2:]]
    return argv


def _request(args: argparse.Namespace, positions: Any) -> MarginRequest:
    return MarginRequest(
        rpf=getattr(args, "rpf", None) or "",
        positions=positions,
        parameters=parameters_of(args),
        flat_groups=args.flat_groups,
        lenient=args.lenient,
        use_cache=not args.no_cache,
    )


# -- batch -----------------------------------------------------------------------------------------


def run_batch(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_target(args.out)
    request = _request(args, io.BytesIO())
    batch = BatchRequest(args.positions, args.account_column, request.parameters, args.parameters)
    summary = BatchSummary()
    err = new_console(stderr=True)
    show_bar = err.is_terminal and not args.json
    with Progress(
        TextColumn("margin batch"),
        BarColumn(),
        TextColumn("{task.fields[accounts]:,} accounts"),
        TimeRemainingColumn(),
        console=err,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task("batch", total=None, accounts=0)

        def progress(done: int, size: int) -> None:
            bar.update(task, completed=done, total=size, accounts=summary.accounts)

        def say(line: str) -> None:
            if show_bar:  # above the live bar, one line each (for grep), never wrapped
                bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                print(line, file=sys.stderr)

        items = Desk.margin_batch(request, batch, summary, progress)
        reported = _reporting(items, say)
        if args.out is not None:
            write_results(reported, args.out)
        elif args.json:
            _print_json(reported)
        else:
            _print_csv(reported)
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    per_second = summary.accounts / summary.seconds if summary.seconds else 0.0
    print(
        f"cpdesk margin batch: {summary.accounts:,} accounts ({summary.rows:,} rows), "
        f"{summary.accounts - summary.failed:,} margined, {summary.failed:,} with errors; "
        f"total requirement HKD {summary.total_hkd:,}; {summary.seconds:.1f} s ({per_second:,.0f} accounts/s)"
        + (f"; written to {args.out}" if args.out is not None else ""),
        file=sys.stderr,
    )
    return EXIT_BAD_INPUT if summary.failed or any(p.is_error for p in summary.problems) else EXIT_OK


def _reporting(items: Any, say: Callable[[str], None]) -> Any:
    """The items, each bad account's problems said as it passes."""
    for item in items:
        if not item.ok:
            for problem in item.problems:
                say(f"account {item.account}: {problem}")
        yield item


def _print_json(items: Any) -> None:
    """A JSON list written as it comes: a million accounts never sit in memory."""
    out = sys.stdout
    out.write("[")
    for n, item in enumerate(items):
        out.write(("," if n else "") + "\n" + json.dumps(_account_json(item)))
    out.write("\n]\n")


def _account_json(item: AccountMargin) -> dict[str, Any]:
    figures = item.breakdown.as_dict() if item.breakdown is not None else {}
    return {
        "account": item.account,
        **{n: figures.get(n) for n in FIGURES},
        "problems": [str(p) for p in item.problems],
    }


def _print_csv(items: Any) -> None:
    out = csv.writer(sys.stdout)
    out.writerow(["account", *FIGURES, "problems"])
    for item in items:
        out.writerow(result_row(item))


# -- explain ---------------------------------------------------------------------------------------


def run_explain(args: argparse.Namespace) -> int:
    outcome = Desk.explain_margin(_request(args, args.positions))
    if outcome.attribution is None:
        for problem in outcome.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in outcome.problems:
        print(problem, file=sys.stderr)
    if args.json:
        print(json.dumps(explain_json(outcome.attribution)))
    else:
        render_explain(outcome.attribution)
    return EXIT_OK


def _hkd2(value: Any) -> str:
    return f"{float(value):,.2f}"


def explain_json(found: MarginAttribution) -> dict[str, Any]:
    """Shares as exact decimals to the cent and as fractions ("-9348543/2"), which add up exactly."""
    return {
        "total": found.result.breakdown.total,
        "positions": [
            {
                "instrument_id": p.instrument_id,
                "quantity": str(p.position.quantity),
                "market_value": str(p.position.market_value_hkd),
                "sub_portfolio": p.sub_portfolio,
                "hvar_share": round(float(p.hvar_share_hkd), 2),
                "svar_share": round(float(p.svar_share_hkd), 2),
                "hvar_share_exact": str(p.hvar_share_hkd),
                "svar_share_exact": str(p.svar_share_hkd),
                "standalone_margin": p.standalone_margin_hkd,
                "incremental_margin": p.incremental_margin_hkd,
                "incremental_total": p.incremental_total_hkd,
            }
            for p in found.positions
        ],
        "sub_portfolios": [
            {
                "label": s.label,
                "hvar_es": round(float(s.hvar_es_hkd), 2),
                "svar_es": round(float(s.svar_es_hkd), 2),
                "hvar_es_exact": str(s.hvar_es_hkd),
                "svar_es_exact": str(s.svar_es_hkd),
                "hvar_tail": [{"scenario": t.number, "pnl": t.pnl_hkd} for t in s.hvar_tail],
                "svar_tail": [{"scenario": t.number, "pnl": t.pnl_hkd} for t in s.svar_tail],
            }
            for s in found.sub_portfolios
        ],
        "components": [{"component": c.component, "key": c.key, "hkd": str(c.hkd)} for c in found.components],
    }


def render_explain(found: MarginAttribution) -> None:
    """Whole HKD on the screen (the exact shares are in --json), sorted by incremental margin."""
    console = new_console()
    table = WrappingTable(
        title=f"Margin by position (total HKD {found.result.breakdown.total:,}); margin = aggregated, "
        "before rounding, MTM and credit",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Instrument", overflow="fold")
    for name in ("HVaR share", "SVaR share", "Standalone", "Incremental", "Incr. total"):
        table.add_column(name, justify="right")
    for p in sorted(found.positions, key=lambda p: -abs(p.incremental_margin_hkd)):
        shares = (
            (f"{round(p.hvar_share_hkd):,}", f"{round(p.svar_share_hkd):,}")
            if p.sub_portfolio
            else ("-", "-")
        )
        table.add_row(
            p.instrument_id,
            *shares,
            f"{p.standalone_margin_hkd:,}",
            f"{p.incremental_margin_hkd:+,}",
            f"{p.incremental_total_hkd:+,}",
        )
    console.print(table)
    for sub in found.sub_portfolios:
        tails = WrappingTable(
            title=f"{sub.label}: ES HVaR {_hkd2(sub.hvar_es_hkd)}, SVaR {_hkd2(sub.svar_es_hkd)}"
        )
        tails.add_column("HVaR scenario", justify="right")
        tails.add_column("P&L", justify="right")
        tails.add_column("SVaR scenario", justify="right")
        tails.add_column("P&L", justify="right")
        for n in range(max(len(sub.hvar_tail), len(sub.svar_tail))):
            h = sub.hvar_tail[n] if n < len(sub.hvar_tail) else None
            s = sub.svar_tail[n] if n < len(sub.svar_tail) else None
            tails.add_row(
                str(h.number) if h else "",
                f"{h.pnl_hkd:,}" if h else "",
                str(s.number) if s else "",
                f"{s.pnl_hkd:,}" if s else "",
            )
        console.print(tails)
    if found.components:
        lines = WrappingTable(title="Components by group (HKD, before rounding)")
        lines.add_column("Component")
        lines.add_column("Group / position", overflow="fold")
        lines.add_column("HKD", justify="right")
        for line in found.components:
            lines.add_row(line.component, line.key, _hkd2(line.hkd))
        console.print(lines)


# -- history ---------------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    with Desk.open(args.config) as desk:
        points = desk.margin_history(_request(args, args.positions), args.first, args.last)
    rows: list[dict[str, Any]] = [
        {
            "business_date": p.business_date.isoformat(),
            "rpf": str(p.rpf),
            **{n: (p.breakdown.as_dict()[n] if p.breakdown else None) for n in FIGURES},
            "problems": [str(x) for x in p.problems if x.is_error],
        }
        for p in points
    ]
    if args.csv is not None:
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow(["business_date", *FIGURES, "problems"])
        for row in rows:
            out.writerow([row["business_date"], *(row[n] for n in FIGURES), "; ".join(row["problems"])])
        write_atomically(args.csv, buffer.getvalue().encode())
    if args.json:
        print(json.dumps(rows))
    else:
        render_history(rows)
    failed = [p for p in points if p.breakdown is None]
    for point in failed:
        for problem in point.problems:
            print(f"{point.business_date}: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def sparkline(values: list[int]) -> str:
    """One block per value, from the lowest (▁) to the highest (█)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    return "".join(SPARK[(v - low) * (len(SPARK) - 1) // span] if span else SPARK[0] for v in values)


def render_history(rows: list[dict[str, Any]]) -> None:
    console = new_console()
    totals = [r["total"] for r in rows if r["total"] is not None]
    table = WrappingTable(title=f"Margin history  {sparkline(totals)}")
    table.add_column("Business date")
    table.add_column("Portfolio margin", justify="right")
    table.add_column("Total", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Total, to scale", no_wrap=True, overflow="crop")  # a drawing, not a value
    high = max(totals, default=0) or 1
    previous = None
    for row in rows:
        total = row["total"]
        if total is None:
            table.add_row(row["business_date"], "-", "-", "", "could not be margined")
            continue
        change = "" if previous is None else f"{total - previous:+,}"
        bar = "█" * max(1, round(BAR_WIDTH * total / high)) if total else ""
        table.add_row(row["business_date"], f"{row['portfolio_margin']:,}", f"{total:,}", change, bar)
        previous = total
    console.print(table)
