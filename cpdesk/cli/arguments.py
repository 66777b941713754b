"""argparse value types shared by the commands: numbers are exact decimals, errors read well."""

from __future__ import annotations

import argparse
from decimal import Decimal

from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.reports.rmcnm01 import parse_rate


def decimal_argument(text: str) -> Decimal:
    """A number such as ``75,000,000`` or ``0.025``."""
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def rate_argument(text: str) -> Decimal:
    """A rate as ``18%`` or ``0.18``."""
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
