"""``cpdesk excel workbook`` and ``cpdesk excel install``: the traders' workbook and the add-in."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from cpdesk.cli.exit_codes import EXIT_OK, EXIT_USAGE
from cpdesk.desk.lop_reports import MACRO_WORKBOOK
from cpdesk.excel_addin.workbook import UDF_MODULE, write_margin_workbook

DEFAULT_WORKBOOK = Path("workbooks") / MACRO_WORKBOOK


def register(commands: Any) -> None:
    excel = commands.add_parser("excel", help="the Excel add-in: its workbook and its installation")
    actions = excel.add_subparsers(dest="excel_command", metavar="ACTION", required=True)
    workbook = actions.add_parser("workbook", help="write cpdesk-margin.xlsm (the guide's example)")
    workbook.add_argument("--out", type=Path, default=DEFAULT_WORKBOOK, help=f"default {DEFAULT_WORKBOOK}")
    workbook.set_defaults(run=run_workbook)
    install = actions.add_parser(
        "install", help="install xlwings' add-in for this Python (Windows Excel) and write the workbook"
    )
    install.add_argument("--out", type=Path, default=Path(MACRO_WORKBOOK), help="where the workbook goes")
    install.set_defaults(run=run_install)


def run_workbook(args: argparse.Namespace) -> int:
    try:
        print(write_margin_workbook(args.out))
    except OSError as exc:
        print(f"cpdesk excel workbook: {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def run_install(args: argparse.Namespace) -> int:
    """The workbook and xlwings' user settings everywhere; xlwings' add-in only where Excel runs."""
    settings = Path.home() / ".xlwings" / "xlwings.conf"
    try:
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(_merged(settings, {"Interpreter_Win": sys.executable, "UDF Modules": UDF_MODULE}))
        written = write_margin_workbook(args.out)
    except OSError as exc:
        print(f"cpdesk excel install: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"workbook: {written}\nxlwings settings: {settings} (UDF Modules = {UDF_MODULE})")
    if not sys.platform.startswith("win"):
        print("The add-in needs Excel for Windows: run `cpdesk excel install` there to add it to Excel.")
        return EXIT_OK
    xlwings = shutil.which("xlwings")
    if xlwings is None:
        print("cpdesk excel install: the xlwings command is not on PATH", file=sys.stderr)
        return EXIT_USAGE
    done = subprocess.run([xlwings, "addin", "install"], check=False)
    return EXIT_OK if done.returncode == 0 else EXIT_USAGE


def _merged(settings: Path, ours: dict[str, str]) -> str:
    """xlwings' settings file with ours set and every other line kept as it was."""
    lines = settings.read_text().splitlines() if settings.exists() else []
    kept = [line for line in lines if line.split(",", 1)[0].strip('"') not in ours]
    return "\n".join([*kept, *(f'"{key}","{value}"' for key, value in ours.items())]) + "\n"
