"""Cross-currency netting of MTM (guide §4.7): MTM nets within its risk currency first; a net
favourable MTM in a currency is converted to HKD marked down by the haircut, a net MTM requirement
marked up, and the HKD amounts then offset each other.

Rounding as the guide's examples round (§4.7, §4.8): each currency's net MTM to whole units of
the currency, each conversion to whole HKD, halves away from zero (USD −37.5 is −38, and −38 ×
7.8 × 0.99 = −293.4 is −293)."""

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
    mtm: int  # gain (+) or loss (−), in whole units of the currency
    hkd: int  # converted with the haircut against the CP, whole HKD


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
    for currency, exact in per_currency.items():
        mtm = round_off(exact)
        if currency == HKD:
            hkd = mtm
        else:
            if currency not in fx:
                raise KeyError(f"no FX rate for {currency}")
            rate = fx[currency]
            # A gain counts for less, a loss for more: the haircut always goes against the CP.
            factor = Decimal(1) - rate.haircut if mtm > 0 else Decimal(1) + rate.haircut
            hkd = round_off(EXACT.multiply(EXACT.multiply(Decimal(mtm), rate.rate), factor))
        converted.append(CurrencyMtm(currency, mtm, hkd))
    return MtmResult(tuple(converted), sum(c.hkd for c in converted))
