"""``cpdesk lop``: blank templates, validation, upload to /LOPREPORT and the results from /LOPRESULT."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cpdesk.cli.arguments import add_config_option, add_json_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, fail
from cpdesk.cli.reporters import say_step
from cpdesk.cli.tables import new_console, show
from cpdesk.connectors.errors import SignOnBudgetExhausted
from cpdesk.desk import Desk, LopUpload
from cpdesk.engine.lop.validate import summarise
from cpdesk.engine.status import LopOutcome, UploadResult

RESULT_STYLE = {
    UploadResult.SUCCESS: "green",
    UploadResult.FAILED: "bold red",
    UploadResult.SENT: "yellow",
    UploadResult.REFUSED: "red",
}


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
    add_json_option(validate)
    add_config_option(validate, "for exchange holidays, when it exists")
    _schema_option(validate)
    validate.set_defaults(run=run_validate)

    upload = sub.add_parser("upload", help="validate, upload to /LOPREPORT, wait for the result")
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_config_option(upload)
    upload.add_argument("--account", help="SFTP account to sign on with (default: the first)")
    upload.add_argument("--wait", type=float, default=120.0, help="seconds to wait for results (120)")
    add_json_option(upload)
    _schema_option(upload)
    upload.set_defaults(run=run_upload)

    results = sub.add_parser("results", help="uploaded reports and their results")
    add_config_option(results)
    results.add_argument("--fetch", action="store_true", help="sign on once to collect awaited results")
    add_json_option(results)
    results.set_defaults(run=run_results)


def _schema_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema", type=Path, metavar="TOML", help="your LOP schema (default: the built-in one)"
    )


def run_template(args: argparse.Namespace) -> int:
    """``KIND --submitter --date`` names the file as HKEX wants it; without both, the blank
    templates (``<KIND>_template.xlsx``, as in workbooks/) to copy and rename."""
    desk = Desk.standalone(schema_path=args.schema)
    try:
        written = desk.lop_templates(args.kind, args.out, args.submitter, args.date)
    except OSError as exc:
        return fail("lop template", exc, EXIT_BAD_INPUT)
    for item in written:
        print(f"wrote {item.path}: {item.title}, sheet {item.sheet!r}, {item.columns} columns")
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    with Desk.open_optional(args.config, schema_path=args.schema) as desk:
        results = [desk.validate_lop(path) for path in args.files]
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
    if all(o.status is LopOutcome.SUCCESS for o in outcomes):
        return EXIT_OK
    if any(o.status not in (LopOutcome.SUCCESS, LopOutcome.SENT) for o in outcomes):
        return EXIT_BAD_INPUT
    return EXIT_PARTIAL  # sent, but a result is still awaited


def run_upload(args: argparse.Namespace) -> int:
    with Desk.open(args.config, schema_path=args.schema) as desk:
        try:
            steps = (lambda text: None) if args.json else say_step
            outcomes = desk.upload_lop(args.files, args.account, args.wait, steps)
        except SignOnBudgetExhausted as exc:
            raise SignOnBudgetExhausted(f"{exc}; nothing sent", exc.next_slot_at) from None
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "file": str(o.path),
                        "status": o.status.value,
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
            if outcome.status is LopOutcome.INVALID and outcome.validation:
                for problem in outcome.validation.problems:
                    print(problem, file=sys.stderr)
            print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return _upload_exit(outcomes)


def run_results(args: argparse.Namespace) -> int:
    with Desk.open(args.config) as desk:
        records = desk.lop_results(fetch=args.fetch)
    listing = [record.as_dict() for record in records]
    if args.json:
        print(json.dumps(listing, indent=2))
        return EXIT_OK
    show(
        new_console(),
        "LOP reports",
        ("File", "Uploaded (HKT)", "Bytes", "Result", "Result file", "Detail"),
        [
            (
                record.file,
                str(item["uploaded_at"]),
                f"{record.size:,}",
                record.result.value,
                record.result_file or "",
                record.detail or "",
            )
            for record, item in zip(records, listing, strict=True)
        ],
        right={"Bytes"},
        styles=[RESULT_STYLE.get(record.result) for record in records],
    )
    return EXIT_OK
