"""Exit codes shared by every ``cpdesk`` command (documented in the README), and how a command
that stops says why."""

import sys

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # a file or value was wrong; every problem went to stderr
EXIT_USAGE = 2  # the command line itself was wrong, or the configuration cannot be used
EXIT_NOTHING_NEW = 3  # sync: nothing new on the facility
EXIT_PARTIAL = 4  # sync: some files failed or were cut off; lop upload: a result is still awaited
EXIT_BUDGET = 5  # a sign-on or upload now would break the facility's control: none was attempted
EXIT_CONNECTION = 6  # could not connect: unreachable, outside hours, host key, authentication


def fail(command: str, message: object, code: int = EXIT_USAGE) -> int:
    """Say on stderr why ``cpdesk <command>`` stops; returns its exit code."""
    print(f"cpdesk {command}: {message}", file=sys.stderr)
    return code
