"""Exit codes shared by every ``cpdesk`` command (documented in the README), the one mapping from
cpdesk's errors to them, and how a command that stops says why."""

import sys

from cpdesk.connectors.errors import (
    ConfigurationError,
    FacilityError,
    InputRejected,
    SignOnBudgetExhausted,
    UploadLimitReached,
)

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # a file or value was wrong; every problem went to stderr
EXIT_USAGE = 2  # the command line itself was wrong, or the configuration cannot be used
EXIT_NOTHING_NEW = 3  # sync: nothing new on the facility
EXIT_PARTIAL = 4  # sync: some files failed or were cut off; lop upload: a result is still awaited
EXIT_BUDGET = 5  # a sign-on or upload now would break the facility's control: none was attempted
EXIT_CONNECTION = 6  # could not connect: unreachable, outside hours, host key, authentication


def exit_code_for(error: FacilityError) -> int:
    """The exit code of a command stopped by ``error`` (the most specific class decides)."""
    if isinstance(error, InputRejected):
        return EXIT_BAD_INPUT
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE
    if isinstance(error, SignOnBudgetExhausted | UploadLimitReached):
        return EXIT_BUDGET
    return EXIT_CONNECTION


def fail(command: str, message: object, code: int = EXIT_USAGE) -> int:
    """Say on stderr why ``cpdesk <command>`` stops; returns its exit code."""
    print(f"cpdesk {command}: {message}", file=sys.stderr)
    return code
