"""Exit codes shared by every ``cpdesk`` command (documented in the README)."""

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # a file or value was wrong; every problem went to stderr
EXIT_USAGE = 2  # the command line itself was wrong
