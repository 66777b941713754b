"""``cpdesk margin``: HKSCC initial margin of a portfolio from an RPF01 and a positions file."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from cpdesk.cli.arguments import Once, add_config_option, add_json_option, bounded_decimal
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE
from cpdesk.cli.positions import add_trade_inputs, trades_request
from cpdesk.cli.tables import WrappingTable, new_console
from cpdesk.connectors.errors import ConfigurationError
from cpdesk.desk import Desk, MarginRequest
from cpdesk.desk.positions import hkd_positions_csv
from cpdesk.desk.rpf_library import PARAMETER_BOUNDS
from cpdesk.engine.margin import MarginParameters, MarginResult, PositionLimitInputs
from cpdesk.engine.margin.calculator import (
    DEFAULT_FLOOR_RATE,
    DEFAULT_HEDGE_INSTRUMENT,
    DEFAULT_MARGIN_CREDIT_HKD,
)
from cpdesk.engine.problems import Problem

# HKD amounts given on the command line: none is negative, none beyond what cpdesk margins exactly.


def _bounded(name: str) -> Any:
    """An argparse type for the margin parameter ``name``, within the desk's bounds for it."""
    return bounded_decimal(*PARAMETER_BOUNDS[name], "--" + name.replace("_", "-"))


# The JSON contract: these integer fields come first and in this order.
JSON_FIELDS = (
    "portfolio_margin",
    "flat_rate_margin",
    "lra_instrument",
    "lra_portfolio",
    "structured_product_addon",
    "corporate_action_margin",
    "holiday_addon",
    "aggregated",
    "aggregated_rounded",
    "mtm",
    "favourable_mtm",
    "mtm_requirement",
    "net_margin",
    "net_margin_after_credit",
    "position_limit_addon",
    "total",
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "margin",
        help="HKSCC initial margin of a portfolio (VaR Platform guide §3)",
        description="Replicate HKSCC's total MTM and margin requirement from an RPF01 and positions.",
        epilog="Also: cpdesk margin batch (every account of one file), cpdesk margin explain (which "
        "positions drive the margin), cpdesk margin history (one portfolio on every archived RPF01); "
        "each with --help.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--rpf",
        action=Once,
        metavar="RPF",
        help="Risk Parameter File (RPF01): the CSV or the archived .CSV.ZIP",
    )
    source.add_argument(
        "--rpf-date",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the archived RPF01 of this business date (from the ledger of --config)",
    )
    add_config_option(parser, "for --rpf-date")
    portfolio = parser.add_mutually_exclusive_group(required=True)
    portfolio.add_argument(
        "--positions",
        action=Once,
        metavar="POS.csv",
        help="InstrumentID,Quantity,ContractValue,MarketValue (HKD)",
    )
    portfolio.add_argument(
        "--trades",
        type=Path,
        metavar="TRADES.csv",
        help="your unsettled trades instead of positions (with --date, --prices; see cpdesk positions)",
    )
    add_trade_inputs(parser)
    parser.add_argument(
        "--what-if",
        type=Path,
        metavar="TRADES.csv",
        help="hypothetical trades (InstrumentID,Quantity,ContractValue,MarketValue, optional Scenario): "
        "the breakdown before and after each set",
    )
    add_parameter_options(parser)
    add_json_option(parser, "print one JSON object")
    parser.set_defaults(run=run)


def add_parameter_options(parser: argparse.ArgumentParser) -> None:
    """The margin parameters and RPF reading options every margin command takes."""
    parser.add_argument(
        "--multiplier",
        type=_bounded("multiplier"),
        default=Decimal(1),
        metavar="X",
        help="flat rate margin multiplier (DWH0081C; default 1)",
    )
    parser.add_argument(
        "--floor-rate",
        type=_bounded("floor_rate"),
        default=DEFAULT_FLOOR_RATE,
        metavar="X",
        help=f"portfolio margin floor rate (default {DEFAULT_FLOOR_RATE})",
    )
    parser.add_argument(
        "--ipo",
        action="append",
        default=[],
        metavar="CODES",
        help="IPO stock codes for segregation, comma separated (DWH0303)",
    )
    parser.add_argument(
        "--flat-groups", metavar="FILE", help="InstrumentID,Group CSV of flat rate sub-margin groups"
    )
    parser.add_argument(
        "--hedge-instrument",
        default=DEFAULT_HEDGE_INSTRUMENT,
        metavar="CODE",
        help=f"portfolio-level LRA hedging instrument (default {DEFAULT_HEDGE_INSTRUMENT})",
    )
    parser.add_argument("--holiday", action="store_true", help="apply the holiday add-on (Holiday_Factor)")
    parser.add_argument(
        "--margin-credit",
        type=_bounded("margin_credit"),
        default=DEFAULT_MARGIN_CREDIT_HKD,
        metavar="X",
        help="margin credit in HKD (default 5,000,000)",
    )
    parser.add_argument("--alc", type=_bounded("alc"), metavar="X", help="apportioned liquid capital in HKD")
    parser.add_argument(
        "--alc-multiplier",
        type=_bounded("alc_multiplier"),
        metavar="X",
        help="apportioned liquid capital multiplier",
    )
    parser.add_argument(
        "--alc-cap", type=_bounded("alc_cap"), metavar="X", help="apportioned liquid capital cap in HKD"
    )
    parser.add_argument(
        "--pla-rate",
        type=_bounded("pla_rate"),
        metavar="X",
        help="position limit add-on rate (e.g. 0.25)",
    )
    parser.add_argument(
        "--credit-risk-addon", type=_bounded("credit_risk_addon"), default=Decimal(0), metavar="X", help="HKD"
    )
    parser.add_argument(
        "--adhoc-addon", type=_bounded("adhoc_addon"), default=Decimal(0), metavar="X", help="HKD"
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept an RPF with fewer scenarios than its header counts (the guide's sample)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the RPF's binary cache"
    )


def _report(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def parameters_of(args: argparse.Namespace) -> MarginParameters:
    limit_args = (args.alc, args.alc_multiplier, args.pla_rate)
    limit = None
    if any(v is not None for v in (*limit_args, args.alc_cap)):
        if any(v is None for v in limit_args):
            raise ConfigurationError(
                "--alc, --alc-multiplier and --pla-rate go together (--alc-cap is optional)"
            )
        limit = PositionLimitInputs(args.alc, args.alc_multiplier, args.alc_cap, args.pla_rate)
    ipo = frozenset(code.strip() for chunk in args.ipo for code in chunk.split(",") if code.strip())
    return MarginParameters(
        flat_rate_multiplier=args.multiplier,
        floor_rate=args.floor_rate,
        ipo_codes=ipo,
        hedge_instrument=args.hedge_instrument,
        holiday=args.holiday,
        margin_credit_hkd=args.margin_credit,
        position_limit=limit,
        credit_risk_addon_hkd=args.credit_risk_addon,
        adhoc_addon_hkd=args.adhoc_addon,
    )


def run(args: argparse.Namespace) -> int:
    rpf = args.rpf
    if args.rpf_date is not None:
        with Desk.open(args.config) as desk:
            rpf = desk.archived_rpf(args.rpf_date)
    portfolio: Any = args.positions
    if args.trades is not None:
        made = trades_request(args)
        if isinstance(made, str):
            print(f"cpdesk margin: {made}", file=sys.stderr)
            return EXIT_USAGE
        marginable = Desk.marginable_positions(made)
        if marginable.result is None:
            _report(marginable.problems)
            return EXIT_BAD_INPUT
        portfolio = io.BytesIO(hkd_positions_csv(marginable.hkd_positions))
    request = MarginRequest(
        rpf=rpf,
        positions=portfolio,
        parameters=parameters_of(args),
        flat_groups=args.flat_groups,
        lenient=args.lenient,
        use_cache=not args.no_cache,
    )
    if args.what_if is not None:
        return _what_if(request, args)
    outcome = Desk.margin(request)
    if outcome.result is None:
        _report(outcome.problems)
        if not args.lenient and outcome.needs_lenient:
            print(
                "cpdesk margin: use --lenient to accept a file with fewer scenarios than its header says",
                file=sys.stderr,
            )
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(as_json(outcome.result, list(outcome.warnings))))
    else:
        _report(outcome.warnings)
        render(outcome.result, new_console())
    return EXIT_OK


def _what_if(request: MarginRequest, args: argparse.Namespace) -> int:
    outcome = Desk.what_if(request, args.what_if)
    if not outcome.scenarios:
        _report(outcome.problems)
        return EXIT_BAD_INPUT
    _report([p for p in outcome.problems if not p.is_error])  # on stderr: the JSON stays whole
    if args.json:
        print(
            json.dumps(
                {
                    "scenarios": [
                        {
                            "name": s.name,
                            "before": _sixteen(s.before.as_dict()),
                            "after": _sixteen(s.after.as_dict()),
                            "change": _sixteen(s.change),
                        }
                        for s in outcome.scenarios
                    ]
                }
            )
        )
        return EXIT_OK
    console = new_console()
    for scenario in outcome.scenarios:
        before, after, change = scenario.before.as_dict(), scenario.after.as_dict(), scenario.change
        table = WrappingTable(title=f"What-if: {scenario.name} (HKD)", title_justify="left")
        for column in ("Component", "Before", "After", "Change"):
            table.add_column(column, justify="left" if column == "Component" else "right")
        for name in JSON_FIELDS:
            table.add_row(name, f"{before[name]:,}", f"{after[name]:,}", f"{change[name]:+,}")
        console.print(table)
    return EXIT_OK


def _sixteen(figures: dict[str, int]) -> dict[str, int]:
    return {name: figures[name] for name in JSON_FIELDS}


def as_json(result: MarginResult, warnings: list[Problem]) -> dict[str, Any]:
    figures = result.breakdown.as_dict()
    out: dict[str, Any] = {name: figures[name] for name in JSON_FIELDS}
    out.update({k: v for k, v in figures.items() if k not in out})
    out["warnings"] = [str(w) for w in warnings]
    return out


def _hkd(value: int | Decimal | float, places: int = 2) -> str:
    """Whole amounts as integers; anything else to ``places`` decimals."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{places}f}"


def render(result: MarginResult, console: Console) -> None:
    b = result.breakdown
    table = WrappingTable(title="Total MTM and margin requirement (HKD)", title_justify="left")
    table.add_column("Component")
    table.add_column("HKD", justify="right")
    rows: list[tuple[str, int, str]] = [
        ("Portfolio margin", b.portfolio_margin, ""),
        ("Flat rate margin", b.flat_rate_margin, ""),
        ("Liquidation risk add-on, instrument level", b.lra_instrument, ""),
        ("Liquidation risk add-on, portfolio level", b.lra_portfolio, ""),
        ("Structured product add-on", b.structured_product_addon, ""),
        ("Corporate action position margin", b.corporate_action_margin, ""),
        ("Holiday add-on", b.holiday_addon, ""),
        ("Aggregated market-risk-component margin", b.aggregated, "bold"),
        ("Rounded up", b.aggregated_rounded, ""),
        ("Favourable MTM", b.favourable_mtm, ""),
        ("Net margin", b.net_margin, ""),
        ("Margin credit", b.margin_credit, ""),
        ("Net margin after credit", b.net_margin_after_credit, "bold"),
        ("MTM requirement", b.mtm_requirement, ""),
        ("Position limit add-on", b.position_limit_addon, ""),
        ("Credit risk add-on", b.credit_risk_addon, ""),
        ("Ad-hoc add-on", b.adhoc_addon, ""),
        ("Total MTM and margin requirement", b.total, "bold green"),
    ]
    for label, value, style in rows:
        table.add_row(label, _hkd(value), style=style or None)
    console.print(table)

    pm = result.portfolio
    detail = WrappingTable(
        title=f"Portfolio margin: worst {pm.hvar_k} HVaR / {pm.svar_k} SVaR scenarios", title_justify="left"
    )
    for column in ("Sub-portfolio", "Instruments", "HVaR ES", "SVaR ES"):
        detail.add_column(column, justify="left" if column in ("Sub-portfolio", "Instruments") else "right")
    for sub in pm.sub_portfolios:
        detail.add_row(
            sub.label, " ".join(sub.instruments), _hkd(float(sub.hvar_es_hkd)), _hkd(float(sub.svar_es_hkd))
        )
    detail.add_row("weighted loss", "", "", _hkd(float(pm.weighted_loss_hkd)), style="bold")
    detail.add_row("floor", f"base {_hkd(pm.floor_base_hkd)}", "", _hkd(float(pm.floor_hkd)))
    console.print(detail)

    if result.liquidation.groups:
        lra = WrappingTable(
            title=f"Liquidation risk add-on (hedge {result.liquidation.hedge_instrument})",
            title_justify="left",
        )
        for column in ("Group", "Delta-eq. MV", "Threshold", "Rate", "LRA", "Beta hedge MV"):
            lra.add_column(column, justify="left" if column == "Group" else "right")
        for g in result.liquidation.groups:
            lra.add_row(
                g.underlying,
                _hkd(g.delta_equivalent_mv_hkd, 0),
                _hkd(g.threshold_hkd, 0),
                str(g.bucket_rate),
                _hkd(g.instrument_lra_hkd),
                _hkd(g.beta_hedge_mv_hkd, 0),
            )
        lra.add_row("total", "", "", "", "", _hkd(result.liquidation.beta_hedge_total_hkd, 0), style="bold")
        console.print(lra)

    if result.flat_rate.groups:
        flat = WrappingTable(
            title=f"Flat rate margin (multiplier {result.flat_rate.multiplier})", title_justify="left"
        )
        for column in ("Group", "Long MV", "Short MV", "Side", "Margin"):
            flat.add_column(column, justify="left" if column in ("Group", "Side") else "right")
        for group in result.flat_rate.groups:
            flat.add_row(
                group.group,
                _hkd(group.long_mv_hkd),
                _hkd(group.short_mv_hkd),
                group.side,
                _hkd(group.margin_hkd),
            )
        flat.add_row("after multiplier", "", "", "", _hkd(result.flat_rate.margin_hkd), style="bold")
        console.print(flat)
