"""Cross-currency netting of MTM (guide §4.7): MTM nets within its risk currency first; a net
favourable MTM in a currency is converted to HKD marked down by the haircut, a net MTM requirement
marked up, and the HKD amounts then offset each other. The total is rounded to whole HKD, halves
away from zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cpdesk.engine.marginable.netting import MarkedPosition
from cpdesk.engine.numbers import EXACT, round_off

HKD = "HKD"


@dataclass(frozen=True, slots=True)
class FxRate:
    """HKD per unit of the currency, and the haircut as a fraction (CNY: 1.15 and 0.03)."""

    rate: Decimal
    haircut: Decimal


@dataclass(frozen=True, slots=True)
class CurrencyMtm:
    currency: str
    mtm: Decimal  # gain (+) or loss (−), in the currency
    hkd: Decimal  # converted with the haircut against the CP


@dataclass(frozen=True, slots=True)
class MtmResult:
    by_currency: tuple[CurrencyMtm, ...]
    mtm_hkd: int  # gain (+) or loss (−): the sign of ``cpdesk margin``'s mtm

    @property
    def favourable_mtm_hkd(self) -> int:
        return max(self.mtm_hkd, 0)

    @property
    def mtm_requirement_hkd(self) -> int:
        return max(-self.mtm_hkd, 0)


def cross_currency_mtm(positions: Sequence[MarkedPosition], fx: Mapping[str, FxRate]) -> MtmResult:
    """Raises KeyError naming a currency without an FX rate (HKD needs none)."""
    per_currency: dict[str, Decimal] = {}
    for p in positions:
        per_currency[p.currency] = EXACT.add(per_currency.get(p.currency, Decimal(0)), p.mtm)
    converted = []
    for currency, mtm in per_currency.items():
        if currency == HKD:
            hkd = mtm
        else:
            if currency not in fx:
                raise KeyError(f"no FX rate for {currency}")
            rate = fx[currency]
            # A gain counts for less, a loss for more: the haircut always goes against the CP.
            factor = Decimal(1) - rate.haircut if mtm > 0 else Decimal(1) + rate.haircut
            hkd = EXACT.multiply(EXACT.multiply(mtm, rate.rate), factor)
        converted.append(CurrencyMtm(currency, mtm, hkd))
    total = sum((c.hkd for c in converted), Decimal(0))
    return MtmResult(tuple(converted), round_off(total))
