"""The ``cpdesk`` command line: one sub-command per module, registered here.

Each command parses its arguments, calls one :class:`cpdesk.desk.Desk` method and renders what it
returns. An error the desk raises stops the command here, in one place, with its message on
stderr and the exit code :func:`~cpdesk.cli.exit_codes.exit_code_for` gives it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from cpdesk import __version__
from cpdesk.cli import (
    dashboard,
    demo,
    excel,
    facility,
    keys,
    lop,
    margin,
    margin_tools,
    mstd,
    positions,
    report,
    sync,
)
from cpdesk.cli.exit_codes import EXIT_OK, EXIT_USAGE, exit_code_for, fail
from cpdesk.connectors.errors import FacilityError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cpdesk",
        description="Desk toolkit for Hong Kong clearing participants.",
    )
    parser.add_argument("--version", action="version", version=f"cpdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        margin,
        margin_tools,
        positions,
        report,
        mstd,
        sync,
        dashboard,
        facility,
        keys,
        lop,
        excel,
        demo,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # paramiko logs every failed connection with a traceback; cpdesk says what went wrong itself.
    logging.getLogger("paramiko").addHandler(logging.NullHandler())
    logging.getLogger("paramiko").propagate = False
    parser = build_parser()
    args = parser.parse_args(margin_tools.routed(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result: int = args.run(args)
    except BrokenPipeError:
        # The reader went away (``| head``): what it did not read is not an error of cpdesk's.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except FacilityError as exc:
        name = " ".join(
            str(part) for part in (args.command, *(getattr(args, a, None) for a in _ACTIONS)) if part
        ).replace("margin-", "margin ")  # cpdesk margin batch is registered as margin-batch
        return fail(name, exc, exit_code_for(exc))
    return result


# The sub-command attributes that name an action (``cpdesk keys renew``) in messages.
_ACTIONS = ("keys_command", "lop_command", "report_command", "facility_command", "excel_command")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
