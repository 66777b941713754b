"""Exact decimal helpers: the guide's rounding rules and parsing of amounts.

The guide rounds "off" to the nearest integer (halves away from zero, as a calculator or
Excel's ROUND does) and rounds the aggregated margin "up" to a multiple of ``Rounding``.
Everything here is exact: decimals or integer ratios, never binary floating point.
"""

from __future__ import annotations

import decimal
import functools
import re
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

# Enough digits that no intermediate amount (HKD up to 1e15 times rates with 10 places)
# is ever rounded by the context itself.
EXACT = decimal.Context(prec=60, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation])

ZERO = Decimal(0)
_ONE = Decimal(1)


def round_off(value: Decimal | Fraction | int) -> int:
    """Round to the nearest integer, halves away from zero (the guide's "round off")."""
    kind = type(value)
    if kind is Decimal:
        # Decimal's ROUND_HALF_UP rounds halves away from zero.
        return int(value.quantize(_ONE, rounding=ROUND_HALF_UP, context=EXACT))  # type: ignore[union-attr]
    if kind is int:
        return value  # type: ignore[return-value]
    if isinstance(value, Fraction):
        return round_ratio(value.numerator, value.denominator)
    raise TypeError(f"cannot round {kind.__name__} exactly")


@functools.lru_cache(maxsize=64)
def decimal_ratio(value: Decimal) -> tuple[int, int]:
    """A finite Decimal as (numerator, denominator), denominator > 0 (cached: rates and factors
    are the same few values, call after call)."""
    return value.as_integer_ratio()


def round_ratio(numerator: int, denominator: int) -> int:
    """round_off(numerator / denominator) in integers, halves away from zero (denominator > 0)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def round_cents(cents: int) -> int:
    """Round an amount in cents off to whole HKD, halves away from zero."""
    magnitude = (abs(cents) + 50) // 100
    return magnitude if cents >= 0 else -magnitude


def round_up_to_multiple(value: int, step: int) -> int:
    """Round a non-negative amount up to the next multiple of ``step`` (46,929,904 -> 46,930,000)."""
    if step <= 0:
        raise ValueError(f"rounding step must be positive, got {step}")
    return -((-value) // step) * step


def tail_count(confidence_level: Decimal, scenario_count: int) -> int:
    """Number of worst scenarios averaged: ceil((1 - CL) x count), computed in decimal.

    In binary floating point (1 - 0.994) x 1000 is 6.000000000000005 and would give 7.
    """
    raw = EXACT.multiply(EXACT.subtract(Decimal(1), confidence_level), Decimal(scenario_count))
    k = int(raw.to_integral_value(rounding=ROUND_CEILING, context=EXACT))
    return max(1, min(k, scenario_count))


# A number as a desk writes it: optional sign, ASCII digits, an optional decimal part and exponent;
# or with thousands separators in their proper places only (1,234,567.89). Nothing Python alone
# accepts ("0.01_39", Arabic-Indic digits), no comma elsewhere ("0,12" is not 12).
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
MAX_NUMBER_CHARS = 64
_SIGNS = ("+", "-")
MAX_MAGNITUDE_EXPONENT = 20  # |value| < 10^21: every amount, rate and count cpdesk reads is far below


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal number, with thousands separators only where they belong and
    surrounding spaces allowed.

    Raises ``ValueError`` saying why for anything else: empty, not a number, a misplaced comma,
    NaN or infinity, more than 64 characters, or a magnitude of 10^21 or more.
    """
    # The common case without a pattern: ASCII digits with a sign and a point at most, 21
    # characters or fewer (so below 10^21). Everything else takes the full checks.
    if len(text) <= 21 and text.isascii():
        unsigned = text[1:] if text[:1] in _SIGNS else text
        if unsigned.replace(".", "", 1).isdigit():
            return Decimal(text)
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("empty value")
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise ValueError(f"{len(cleaned):,} characters is too long for a number")
    if _PLAIN.fullmatch(cleaned):  # the common case first: one pattern for most numbers
        pass
    elif _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        raise ValueError(f"{cleaned!r} has a comma where no thousands separator can be (1,234,567.89)")
    else:
        raise ValueError(f"not a number: {cleaned!r}")
    value = Decimal(cleaned)
    if value and value.adjusted() > MAX_MAGNITUDE_EXPONENT:
        raise ValueError(f"{cleaned!r} is out of range (10^{MAX_MAGNITUDE_EXPONENT + 1} or more)")
    return value
