"""``cpdesk positions``: marginable positions from the desk's own unsettled trades (guide §4.3–4.8),
written for ``cpdesk margin --positions``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from cpdesk.cli.arguments import add_json_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE
from cpdesk.cli.tables import new_console, show
from cpdesk.desk import Desk
from cpdesk.desk.positions import PositionsRequest, hkd_positions_csv
from cpdesk.engine.marginable.pipeline import PipelineResult, Run
from cpdesk.fileio import write_atomically


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "positions",
        help="marginable positions from your unsettled trades (SSC/SCC, counters, corporate actions)",
    )
    parser.add_argument(
        "--trades",
        type=Path,
        required=True,
        help="TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount",
    )
    add_trade_inputs(parser)
    parser.add_argument("--out", type=Path, help="write the positions (HKD) for cpdesk margin --positions")
    parser.add_argument("--explain", action="store_true", help="print what each step did to each row")
    add_json_option(parser)
    parser.set_defaults(run=run)


def add_trade_inputs(parser: argparse.ArgumentParser) -> None:
    """What turns trades into positions (``cpdesk positions``, and ``cpdesk margin --trades``)."""
    parser.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the business date (with --trades)"
    )
    parser.add_argument(
        "--prices", type=Path, help="InstrumentID,Price, in the instrument's currency (with --trades)"
    )
    parser.add_argument("--fx", type=Path, help="Currency,Rate,Haircut (HKD per unit; haircut a fraction)")
    parser.add_argument("--ssc", type=Path, help="stock collateral: StockCode,SettlementDate,Quantity")
    parser.add_argument("--scc", type=Path, help="cash collateral: StockCode,Currency,TradeDate,Amount")
    parser.add_argument(
        "--corporate-actions", type=Path, help="HKEX's Corporate Action Position Adjustment Report"
    )
    parser.add_argument("--counters", type=Path, help="multi-counter stocks: StockCode,RiskCurrency")
    parser.add_argument(
        "--run",
        dest="run_kind",
        type=Run,
        choices=list(Run),
        default=Run.DAY_END,
        help="day-end (default), 11:00 or 14:00",
    )
    parser.add_argument(
        "--settlement",
        type=Path,
        help="intraday: Name,Value (unposted_debit, unposted_credit, cash_prepayment)",
    )


def trades_request(args: argparse.Namespace) -> PositionsRequest | str:
    """The request the options make, or why they do not make one."""
    missing = [flag for flag, value in (("--date", args.date), ("--prices", args.prices)) if value is None]
    if missing:
        return f"--trades needs {' and '.join(missing)}"
    return PositionsRequest(
        args.trades,
        args.date,
        args.prices,
        args.fx,
        args.ssc,
        args.scc,
        args.corporate_actions,
        args.counters,
        args.run_kind,
        args.settlement,
    )


def run(args: argparse.Namespace) -> int:
    request = trades_request(args)
    if isinstance(request, str):
        print(f"cpdesk positions: {request}", file=sys.stderr)
        return EXIT_USAGE
    outcome = Desk.marginable_positions(request)
    for problem in outcome.problems:
        print(problem, file=sys.stderr)
    if outcome.result is None:
        return EXIT_BAD_INPUT
    if args.out is not None:
        try:
            write_atomically(args.out, hkd_positions_csv(outcome.hkd_positions))
        except OSError as exc:
            print(f"cpdesk positions: {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        print(json.dumps(_as_json(outcome.result), indent=2))
        return EXIT_OK
    console = new_console()
    result = outcome.result
    show(
        console,
        f"Marginable positions ({args.run_kind.value} run, {args.date})",
        ("Instrument", "Currency", "Quantity", "Contract value", "Market value", "Due today"),
        [
            (
                p.instrument_id,
                p.currency,
                f"{p.quantity:,}",
                f"{p.contract_value:,}",
                f"{p.market_value:,}",
                "Y" if p.due_today else "",
            )
            for p in result.positions
        ],
        right={"Quantity", "Contract value", "Market value"},
    )
    console.print(
        f"MTM HKD {result.mtm.mtm_hkd:,}: favourable {result.mtm.favourable_mtm_hkd:,}, "
        f"requirement {result.mtm.mtm_requirement_hkd:,}"
    )
    if args.explain:
        for line in _explained(result):
            console.print(line, markup=False, highlight=False)
    return EXIT_OK


def _as_json(result: PipelineResult) -> dict[str, object]:
    return {
        "positions": [
            {
                "instrument_id": p.instrument_id,
                "quantity": p.quantity,
                "contract_value": str(p.contract_value),
                "market_value": str(p.market_value),
                "currency": p.currency,
                "due_today": p.due_today,
            }
            for p in result.positions
        ],
        "mtm": {
            "mtm_hkd": result.mtm.mtm_hkd,
            "favourable_mtm": result.mtm.favourable_mtm_hkd,
            "mtm_requirement": result.mtm.mtm_requirement_hkd,
        },
        "steps": {name: len(steps) for name, steps in _steps(result).items()},
    }


def _steps(result: PipelineResult) -> dict[str, tuple[object, ...]]:
    return {
        "stock_collateral": result.stock_cover,
        "cash_collateral": result.cash_cover,
        "counters": result.counters,
        "corporate_actions": result.corporate_actions,
        "netting": result.netting,
    }


def _explained(result: PipelineResult) -> list[str]:
    """What each step did, a line per row (``line``: the row's line in its file)."""
    lines = []
    for kind, steps in (("SSC", result.stock_cover), ("SCC", result.cash_cover)):
        for step in steps:
            where = f"line {step.line}: {step.stock_code} {step.currency}"
            lines.append(f"{kind}  {where}: {step.note}; {step.collateral_left:,} left")
    for combined in result.counters:
        figures = f"{combined.quantity:,} / {combined.amount:,}"
        lines.append(
            f"COUNTERS lines {combined.lines}: {combined.stock_code} in {combined.currency}: {figures}"
        )
    for action in result.corporate_actions:
        made = ", ".join(f"{code} {q:,} / {v:,}" for code, q, v in action.entitlements)
        before = f"{action.instrument} {action.quantity_before:,}"
        after = f"{action.instrument_after} {action.quantity_after:,}"
        lines.append(f"CA   line {action.line}: {before} -> {after}" + (f"; {made}" if made else ""))
    for netted in result.netting:
        due = " (due today)" if netted.due_today else ""
        lines.append(
            f"NET  {netted.instrument_id} {netted.currency}{due}: {netted.rows} row(s), lines {netted.lines}"
        )
    if result.offset is not None:
        offset = result.offset
        share = f"{float(offset.ratio):.2%}"
        lines.append(
            f"11:00 offset {offset.offset_hkd:,} of {offset.gross_payable_hkd:,} payable: ratio {share}"
        )
    return lines
