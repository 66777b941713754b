"""The Initial Margin Risk Parameter File (RPF01) as immutable values (guide §2).

Scenario returns (FieldType 1 and 2) live in one contiguous ``float64`` matrix, HVaR columns
first then SVaR columns, one row per instrument: the P&L kernel gathers rows of it. The other
FieldTypes are small and kept as exact decimals keyed by instrument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]

HEADER_FIELDS: tuple[str, ...] = (
    "Valuation_DT",
    "HVaR_WGT",
    "SVaR_WGT",
    "HVaR_Scen_Count",
    "SVaR_Scen_Count",
    "STV_Count",
    "HVaR_CL",
    "SVaR_CL",
    "HVaR_Measure",
    "SVaR_Measure",
    "Rounding",
    "Holiday_Factor",
)

# Risk measure type 4 is "FHS ES (Discrete)", the only one the guide defines.
EXPECTED_SHORTFALL_DISCRETE = 4


class FieldType(IntEnum):
    HVAR_SCENARIOS = 1
    SVAR_SCENARIOS = 2
    FLAT_RATE = 3
    BETA_HEDGE = 4
    INSTRUMENT_DELTA = 5
    STRUCTURED_PRODUCT = 6
    CORPORATE_ACTION = 7


class BenefitType(IntEnum):
    """FieldType 7 column 1: the benefit entitlement type."""

    DISTRIBUTION_IN_SPECIE = 1
    RIGHTS_ISSUE = 2
    CASH_DIVIDEND = 3


# Position codes for corporate action entitlements (e.g. ``DSP700``) and the type each maps to.
BENEFIT_PREFIXES: Mapping[str, BenefitType] = MappingProxyType(
    {
        "DSP": BenefitType.DISTRIBUTION_IN_SPECIE,
        "SRI": BenefitType.RIGHTS_ISSUE,
        "DIV": BenefitType.CASH_DIVIDEND,
    }
)


@dataclass(frozen=True, slots=True)
class RpfHeader:
    """The twelve ``Name,Value`` parameters at the top of RPF01."""

    valuation_date: date
    hvar_weight: Decimal
    svar_weight: Decimal
    hvar_scenario_count: int
    svar_scenario_count: int
    stress_test_count: int
    hvar_confidence_level: Decimal
    svar_confidence_level: Decimal
    hvar_measure: int
    svar_measure: int
    rounding_hkd: int
    holiday_factor: Decimal


@dataclass(frozen=True, slots=True)
class BetaHedgeInfo:
    """FieldType 4: liquidation risk parameters of a stock (an underlying group)."""

    bucket_rate: Decimal
    beta: Decimal
    threshold_hkd: Decimal
    cash_delta_per_quantity_hkd: Decimal


@dataclass(frozen=True, slots=True)
class DeltaInfo:
    """FieldType 5: delta information of a structured product."""

    underlying_group: str
    delta: Decimal
    conversion_ratio: Decimal
    cash_delta_per_quantity_hkd: Decimal


@dataclass(frozen=True, slots=True)
class StructuredProductInfo:
    """FieldType 6: a structured product priced below its threshold."""

    price_threshold_hkd: Decimal
    tenth_of_tick_multiplier: Decimal

    @property
    def tick_size_multiplier(self) -> Decimal:
        # Guide footnote 35: the multiplier is 10 times column 2.
        return self.tenth_of_tick_multiplier * 10


@dataclass(frozen=True, slots=True)
class CorporateActionInfo:
    """FieldType 7: corporate action position margin scenarios for one benefit type."""

    benefit_type: BenefitType
    entitlement_price_hkd: Decimal
    short_addon_rate: Decimal  # "scenario 3", applied to negative net market values
    long_addon_rate: Decimal  # "scenario 4", applied to positive net market values


@dataclass(frozen=True, eq=False)
class ScenarioMatrix:
    """HVaR and SVaR returns of every FieldType 1/2 instrument, as one read-only matrix.

    ``returns[i, :hvar_count]`` are instrument ``i``'s HVaR returns and
    ``returns[i, hvar_count:]`` its SVaR returns. ``max_abs_return[i]`` bounds the row and
    sizes the kernel's tie check.
    """

    instrument_ids: tuple[str, ...]
    returns: FloatMatrix
    hvar_count: int
    svar_count: int
    max_abs_return: npt.NDArray[np.float64]
    index: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        rows, cols = self.returns.shape
        if rows != len(self.instrument_ids) or cols != self.hvar_count + self.svar_count:
            raise ValueError(
                f"scenario matrix is {rows}x{cols}, expected "
                f"{len(self.instrument_ids)}x{self.hvar_count + self.svar_count}"
            )
        if not self.returns.flags.c_contiguous:
            raise ValueError("scenario matrix must be C-contiguous")
        self.returns.flags.writeable = False
        self.max_abs_return.flags.writeable = False
        index = {instrument: row for row, instrument in enumerate(self.instrument_ids)}
        object.__setattr__(self, "index", MappingProxyType(index))

    @property
    def hvar(self) -> FloatMatrix:
        return self.returns[:, : self.hvar_count]

    @property
    def svar(self) -> FloatMatrix:
        return self.returns[:, self.hvar_count :]


@dataclass(frozen=True, eq=False)
class RiskParameterFile:
    """A parsed RPF01. Build it with :func:`cpdesk.engine.rpf.parser.parse_rpf`."""

    source: str
    header: RpfHeader
    scenarios: ScenarioMatrix
    flat_rates: Mapping[str, Decimal]
    beta_hedge: Mapping[str, BetaHedgeInfo]
    deltas: Mapping[str, DeltaInfo]
    structured_products: Mapping[str, StructuredProductInfo]
    corporate_actions: Mapping[tuple[str, BenefitType], CorporateActionInfo]

    def __post_init__(self) -> None:
        for name in ("flat_rates", "beta_hedge", "deltas", "structured_products", "corporate_actions"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def hvar_count(self) -> int:
        """HVaR scenarios in use (the header's count, or fewer with ``lenient``)."""
        return self.scenarios.hvar_count

    @property
    def svar_count(self) -> int:
        return self.scenarios.svar_count
