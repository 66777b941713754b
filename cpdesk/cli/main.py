"""The ``cpdesk`` command line: one sub-command per module, registered here.

Exit codes: 0 success, 1 bad input (every problem printed to stderr as ``file:line: [field]
reason``), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cpdesk import __version__
from cpdesk.cli import demo, facility, keys, lop, margin, mstd, report, sync
from cpdesk.cli.exit_codes import EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cpdesk",
        description="Desk toolkit for Hong Kong clearing participants.",
    )
    parser.add_argument("--version", action="version", version=f"cpdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    margin.register(commands)
    report.register(commands)
    mstd.register(commands)
    sync.register(commands)
    facility.register(commands)
    keys.register(commands)
    lop.register(commands)
    demo.register(commands)
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
