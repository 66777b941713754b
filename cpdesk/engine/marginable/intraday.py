"""The intraday MTM runs (guide §4.8).

11:00 a.m.: an unposted debit (what the CP owes for stock the counterparty delivered) is a
marginable long position: quantity 0, contract value the debit, market value 0. An unposted credit
and a cash prepayment offset the day's gross payable settlement amount (the HKD contract values of
the long positions due today, and the unposted debit); that share, at most all of it, comes off
every long position due today and off the unposted debit (quantities rounded up: never
understated; contract values to the cent; market values again at the position's price).

2:00 p.m.: every position due today, and the unposted debit, credit and prepayment with them,
leave the calculation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from cpdesk.engine.marginable.mtm import HKD, FxRate
from cpdesk.engine.marginable.netting import MarkedPosition
from cpdesk.engine.numbers import EXACT

UNPOSTED_DEBIT = "Unposted debit"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Settlement:
    """The day's intraday settlement figures, HKD."""

    unposted_debit_hkd: Decimal = Decimal(0)
    unposted_credit_hkd: Decimal = Decimal(0)
    cash_prepayment_hkd: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class OffsetStep:
    gross_payable_hkd: Decimal
    offset_hkd: Decimal
    ratio: Fraction  # the share of each long position due today taken off (at most 1)


def run_1100(
    positions: Sequence[MarkedPosition], settlement: Settlement, fx: Mapping[str, FxRate]
) -> tuple[tuple[MarkedPosition, ...], OffsetStep]:
    """The 11:00 a.m. run's marginable positions, and the offset it applied."""
    marked = list(positions)
    if settlement.unposted_debit_hkd:
        marked.append(
            MarkedPosition(
                UNPOSTED_DEBIT, HKD, 0, settlement.unposted_debit_hkd, Decimal(0), Decimal(0), True
            )
        )
    payable = sum(
        (_hkd(p.contract_value, p.currency, fx) for p in marked if _offset_applies(p)),
        Decimal(0),
    )
    offset = settlement.unposted_credit_hkd + settlement.cash_prepayment_hkd
    ratio = min(Fraction(1), Fraction(offset) / Fraction(payable)) if payable > 0 else Fraction(0)
    if ratio:
        marked = [_reduced(p, ratio) if _offset_applies(p) else p for p in marked]
    return tuple(marked), OffsetStep(payable, offset, ratio)


def run_1400(positions: Sequence[MarkedPosition]) -> tuple[MarkedPosition, ...]:
    """The 2:00 p.m. run's marginable positions: none that settles today."""
    return tuple(p for p in positions if not p.due_today)


def _offset_applies(p: MarkedPosition) -> bool:
    return p.due_today and (p.quantity > 0 or p.instrument_id == UNPOSTED_DEBIT)


def _hkd(amount: Decimal, currency: str, fx: Mapping[str, FxRate]) -> Decimal:
    return amount if currency == HKD else EXACT.multiply(amount, fx[currency].rate)


def _reduced(p: MarkedPosition, ratio: Fraction) -> MarkedPosition:
    keep = 1 - ratio
    quantity = math.ceil(p.quantity * keep)
    value = Fraction(p.contract_value) * keep
    contract = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_HALF_UP)
    return replace(
        p,
        quantity=quantity,
        contract_value=contract,
        market_value=EXACT.multiply(p.price, Decimal(quantity)),
    )
