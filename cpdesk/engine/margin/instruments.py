"""What the RPF says about one position code, looked up once per code and kept with the RPF.

A position touches up to seven tables of the RPF (its scenario row, flat rate, FieldType 4 and 5
rows, structured product and corporate action rows). Looking each up for every position of
every portfolio was most of a small portfolio's margin time, so each code's terms are resolved
on first use into one :class:`InstrumentTerms` and cached per RPF (the RPF is immutable; the
cache goes with it).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from cpdesk.engine.numbers import EXACT
from cpdesk.engine.rpf.derived import kept_with_rpf
from cpdesk.engine.rpf.model import (
    BENEFIT_PREFIXES,
    BetaHedgeInfo,
    CorporateActionInfo,
    RiskParameterFile,
    StructuredProductInfo,
)

NO_ROW = -1


class InstrumentTerms(NamedTuple):
    scenario_row: int  # row of the scenario matrix, or NO_ROW
    underlying_group: str | None  # FieldType 5's underlying (structured products), else None
    flat_rate: Decimal | None  # FieldType 3
    liquidation_group: str | None  # the LRA group: the FieldType 5 underlying, or the stock itself
    cash_delta_per_quantity_hkd: Decimal | None  # FieldType 5's, else FieldType 4's
    liquidation_info: BetaHedgeInfo | None  # the LRA group's FieldType 4 row
    beta_cash_delta_hkd: Decimal | None  # cash delta x the group's beta: its beta hedge MV per unit
    structured_product: StructuredProductInfo | None  # FieldType 6
    corporate_action: CorporateActionInfo | None  # FieldType 7, for DSP/SRI/DIV codes
    in_rpf: bool  # any of the above


def corporate_action_info(rpf: RiskParameterFile, position_code: str) -> CorporateActionInfo | None:
    """FieldType 7 row for a ``DSP``/``SRI``/``DIV`` + code position, if any."""
    benefit = BENEFIT_PREFIXES.get(position_code[:3].upper())
    if benefit is None:
        return None
    return rpf.corporate_actions.get((position_code[3:], benefit))


def _resolve(rpf: RiskParameterFile, code: str) -> InstrumentTerms:
    row = rpf.scenarios.index.get(code, NO_ROW)
    delta = rpf.deltas.get(code)
    stock: BetaHedgeInfo | None = rpf.beta_hedge.get(code)
    flat = rpf.flat_rates.get(code)
    product = rpf.structured_products.get(code)
    action = corporate_action_info(rpf, code)
    group: str | None = None
    cash_delta: Decimal | None = None
    if delta is not None:
        # The parser guarantees every FieldType 5 underlying group has a FieldType 4 row.
        group, cash_delta = delta.underlying_group, delta.cash_delta_per_quantity_hkd
    elif stock is not None:
        group, cash_delta = code, stock.cash_delta_per_quantity_hkd
    info = rpf.beta_hedge.get(group) if group is not None else None
    found = row != NO_ROW or flat is not None or stock is not None or delta is not None or action is not None
    return InstrumentTerms(
        row,
        delta.underlying_group if delta is not None else None,
        flat,
        group,
        cash_delta,
        info,
        EXACT.multiply(cash_delta, info.beta) if cash_delta is not None and info is not None else None,
        product,
        action,
        found,
    )


class InstrumentTable:
    """Terms by position code for one RPF; fills itself as codes are asked for."""

    __slots__ = ("__weakref__", "_rpf", "_terms")

    def __init__(self, rpf: RiskParameterFile) -> None:
        # A weak reference: the table is kept with the RPF (rpf.derived), and a strong one would
        # keep every RPF ever margined alive (a history over a year of files).
        self._rpf = weakref.ref(rpf)
        self._terms: dict[str, InstrumentTerms] = {}

    def terms(self, code: str) -> InstrumentTerms:
        found = self._terms.get(code)
        if found is None:
            rpf = self._rpf()
            assert rpf is not None, "the table lives only as long as its RPF"
            found = _resolve(rpf, code)
            if found.in_rpf:  # kept only for the RPF's own codes: the cache stays bounded by it
                self._terms[code] = found
        return found

    def many(self, codes: Sequence[str]) -> list[InstrumentTerms]:
        get = self._terms.get
        found = [get(code) for code in codes]
        if None in found:
            found = [
                self.terms(code) if terms is None else terms for code, terms in zip(codes, found, strict=True)
            ]
        return found  # type: ignore[return-value]  # no None is left


instrument_table = kept_with_rpf(InstrumentTable)  # the RPF's table, built on first use
