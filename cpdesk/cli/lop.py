"""``cpdesk lop``: blank templates, validation, upload to /LOPREPORT and the results from /LOPRESULT."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cpdesk.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BUDGET,
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_PARTIAL,
    fail,
)
from cpdesk.connectors.errors import ConfigurationError, FacilityError, SignOnBudgetExhausted
from cpdesk.connectors.sftp.profile import HKT, TradingDays
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.connectors.store.localfiles import write_new_file
from cpdesk.desk.config import DEFAULT_NAME, load_config
from cpdesk.desk.lop import LopUpload, fetch_results, upload_reports
from cpdesk.engine.lop.schema import LopSchema, SchemaError, load_schema
from cpdesk.engine.lop.template import template_workbook
from cpdesk.engine.lop.validate import CellProblem, LopValidation, summarise, validate_report

RESULT_STYLE = {"success": "green", "failed": "bold red", "sent": "yellow", "refused": "red"}


def register(commands: Any) -> None:
    lop = commands.add_parser("lop", help="Large Open Position reports: template, validate, upload, results")
    sub = lop.add_subparsers(dest="lop_command", metavar="ACTION", required=True)

    template = sub.add_parser("template", help="write a blank, correctly named report workbook")
    template.add_argument("kind", help="LOPBI, LOPTO, SOLBI, SOLTO, or all")
    template.add_argument("--submitter", help="5-character submitter code from HKEX")
    template.add_argument("--date", help="trade date, yyyymmdd")
    template.add_argument("--out", type=Path, default=Path("."), help="folder to write to (default .)")
    _schema_option(template)
    template.set_defaults(run=run_template)

    validate = sub.add_parser("validate", help="check reports before they leave the desk")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true")
    validate.add_argument(
        "--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE", help="for exchange holidays"
    )
    _schema_option(validate)
    validate.set_defaults(run=run_validate)

    upload = sub.add_parser("upload", help="validate, upload to /LOPREPORT, wait for the result")
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE")
    upload.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    upload.add_argument("--account", help="SFTP account to sign on with (default: the first)")
    upload.add_argument("--wait", type=float, default=120.0, help="seconds to wait for results (120)")
    upload.add_argument("--json", action="store_true")
    _schema_option(upload)
    upload.set_defaults(run=run_upload)

    results = sub.add_parser("results", help="uploaded reports and their results")
    results.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    results.add_argument("--fetch", action="store_true", help="sign on once to collect awaited results")
    results.add_argument("--json", action="store_true")
    results.set_defaults(run=run_results)


def _schema_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema", type=Path, metavar="TOML", help="your LOP schema (default: the built-in one)"
    )


def _schema(args: argparse.Namespace) -> LopSchema:
    try:
        return load_schema(args.schema)
    except OSError as exc:
        raise SchemaError(f"{args.schema}: {exc.strerror or exc}") from None


def run_template(args: argparse.Namespace) -> int:
    """``KIND --submitter --date`` names the file as HKEX wants it; without both, the blank
    templates (``<KIND>_template.xlsx``, as in workbooks/) to copy and rename."""
    try:
        schema = _schema(args)
    except SchemaError as exc:
        return fail("lop template", exc)
    wanted = list(schema.kinds) if args.kind.lower() == "all" else [args.kind.upper()]
    unknown = [k for k in wanted if k not in schema.kinds]
    if unknown:
        return fail("lop template", f"kind {args.kind!r} is not one of {', '.join(schema.kinds)} or all")
    if (args.submitter is None) != (args.date is None):
        return fail("lop template", "give --submitter and --date together (or neither, for blank templates)")
    suffix = "template"
    if args.submitter is not None:
        if not re.fullmatch(r"[A-Z0-9]{5}", args.submitter):
            return fail(
                "lop template", f"submitter code {args.submitter!r} must be 5 capital letters or digits"
            )
        try:
            trade_date = datetime.strptime(args.date, "%Y%m%d").date() if len(args.date) == 8 else None
        except ValueError:
            trade_date = None
        if trade_date is None:
            return fail("lop template", f"--date {args.date!r} is not a real yyyymmdd date")
        suffix = f"{args.submitter}_{trade_date:%Y%m%d}"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in wanted:
            kind = schema.kinds[name]
            target = args.out / f"{kind.kind}_{suffix}.xlsx"
            write_new_file(target, template_workbook(kind, args.submitter, args.date))
            print(f"wrote {target}: {kind.title}, sheet {kind.sheet!r}, {len(kind.columns)} columns")
    except OSError as exc:
        return fail("lop template", exc, EXIT_BAD_INPUT)
    return EXIT_OK


def _trading_days(config_path: Path) -> TradingDays:
    """Holidays from the config when there is one; otherwise Monday to Friday."""
    if not config_path.exists():
        return TradingDays()
    return load_config(config_path).trading_days


def validate_files(paths: list[Path], schema: LopSchema, trading_days: TradingDays) -> list[LopValidation]:
    today = datetime.now(HKT).date()
    results = []
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError as exc:
            failed = LopValidation(path.name)
            failed.problems.append(CellProblem(path.name, None, None, f"cannot read {path}: {exc.strerror}"))
            results.append(failed)
            continue
        results.append(validate_report(path.name, content, schema, today, trading_days))
    return results


def run_validate(args: argparse.Namespace) -> int:
    try:
        schema = _schema(args)
        trading_days = _trading_days(args.config)
    except (SchemaError, ConfigurationError) as exc:
        return fail("lop validate", exc)
    results = validate_files(args.files, schema, trading_days)
    errors, warnings = summarise(results)
    if args.json:
        print(json.dumps({"ok": errors == 0, "files": [r.as_dict() for r in results]}, indent=2))
    else:
        for result in results:
            for problem in result.problems:
                print(problem, file=sys.stderr)
            state = "valid" if result.ok else "INVALID"
            print(f"{result.file}: {state}, {result.rows} row(s)")
        print(f"{len(results)} file(s): {errors} error(s), {warnings} warning(s)")
    return EXIT_OK if errors == 0 else EXIT_BAD_INPUT


def _upload_exit(outcomes: list[LopUpload]) -> int:
    if all(o.status == "success" for o in outcomes):
        return EXIT_OK
    if any(o.status not in ("success", "sent") for o in outcomes):
        return EXIT_BAD_INPUT
    return EXIT_PARTIAL  # sent, but a result is still awaited


def run_upload(args: argparse.Namespace) -> int:
    try:
        schema = _schema(args)
        config = load_config(args.config)
        with Ledger(config.ledger) as ledger:
            outcomes = upload_reports(config, args.files, ledger, schema, args.account, args.wait)
    except SignOnBudgetExhausted as exc:
        return fail("lop upload", f"{exc}; nothing sent", EXIT_BUDGET)
    except (SchemaError, ConfigurationError) as exc:
        return fail("lop upload", exc)
    except FacilityError as exc:
        return fail("lop upload", exc, EXIT_CONNECTION)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "file": str(o.path),
                        "status": o.status,
                        "message": o.message,
                        "result_file": o.result.result_file if o.result else None,
                        "problems": [p.as_dict() for p in o.validation.problems] if o.validation else [],
                    }
                    for o in outcomes
                ],
                indent=2,
            )
        )
    else:
        for outcome in outcomes:
            if outcome.status == "invalid" and outcome.validation:
                for problem in outcome.validation.problems:
                    print(problem, file=sys.stderr)
            print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return _upload_exit(outcomes)


def run_results(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        with Ledger(config.ledger) as ledger:
            if args.fetch:
                fetch_results(config, ledger)
            rows = [row for row in ledger.uploads("lop") if row.result != "released"]
    except SignOnBudgetExhausted as exc:
        return fail("lop results", exc, EXIT_BUDGET)
    except ConfigurationError as exc:
        return fail("lop results", exc)
    except FacilityError as exc:
        return fail("lop results", exc, EXIT_CONNECTION)

    def when(epoch: float | None) -> str | None:
        return datetime.fromtimestamp(epoch, HKT).strftime("%Y-%m-%d %H:%M:%S") if epoch else None

    listing = [
        {
            "file": row.name,
            "facility": row.facility,
            "account": row.account,
            "uploaded_at": when(row.at),
            "size": row.size,
            "sha256": row.sha256,
            "result": row.result,
            "result_file": row.result_file or None,
            "result_at": when(row.result_at),
            "detail": row.detail or None,
        }
        for row in rows
    ]
    if args.json:
        print(json.dumps(listing, indent=2))
        return EXIT_OK
    table = Table(title="LOP reports", title_justify="left")
    for column in ("File", "Uploaded (HKT)", "Bytes", "Result", "Result file", "Detail"):
        table.add_column(column, justify="right" if column == "Bytes" else "left")
    for item in listing:
        table.add_row(
            str(item["file"]),
            str(item["uploaded_at"]),
            str(item["size"]),
            str(item["result"]),
            str(item["result_file"] or ""),
            str(item["detail"] or ""),
            style=RESULT_STYLE.get(str(item["result"])),
        )
    Console().print(table)
    return EXIT_OK
