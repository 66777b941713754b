"""The ``cpdesk`` command line: one sub-command per module, registered here.

Exit codes: 0 success, 1 bad input (every problem printed to stderr as ``file:line: [field]
reason``), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cpdesk import __version__
from cpdesk.tui import (
    demo_command,
    facility_command,
    keys_command,
    lop_command,
    margin_command,
    mstd_command,
    report_command,
    sync_command,
)
from cpdesk.tui.exit_codes import EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cpdesk",
        description="Desk toolkit for Hong Kong clearing participants.",
    )
    parser.add_argument("--version", action="version", version=f"cpdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    margin_command.register(commands)
    report_command.register(commands)
    mstd_command.register(commands)
    sync_command.register(commands)
    facility_command.register(commands)
    keys_command.register(commands)
    lop_command.register(commands)
    demo_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
