"""What the commands share: argparse value types (numbers are exact decimals, errors read well)
and the options every command spells the same way (``--config``, ``--json``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from cpdesk.desk.config import DEFAULT_NAME
from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.reports.rmcnm01 import parse_rate


def decimal_argument(text: str) -> Decimal:
    """A number such as ``75,000,000`` or ``0.025``."""
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def bounded_decimal(low: Decimal, high: Decimal, what: str) -> Callable[[str], Decimal]:
    """An argparse type: a number from ``low`` to ``high`` (a wrong one is a usage error, exit 2)."""

    def parse(text: str) -> Decimal:
        value = decimal_argument(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low:,} to {high:,}, not {text}")
        return value

    return parse


class Once(argparse.Action):
    """An option that may be given once: a second value is a usage error, not silently the winner."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) not in (None, self.default):
            parser.error(f"{option_string} is given twice; give it once")
        setattr(namespace, self.dest, values)


def rate_argument(text: str) -> Decimal:
    """A rate as ``18%`` or ``0.18``."""
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_config_option(parser: argparse.ArgumentParser, purpose: str = "") -> None:
    """``--config FILE``: the cpdesk.toml to use (default ./cpdesk.toml)."""
    text = f"cpdesk configuration (default ./{DEFAULT_NAME})" + (f"; {purpose}" if purpose else "")
    parser.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE", help=text)


def add_json_option(parser: argparse.ArgumentParser, what: str = "print JSON instead of tables") -> None:
    parser.add_argument("--json", action="store_true", help=what)
