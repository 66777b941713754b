"""HKSCC VaR Platform initial margin (guide §3 and §4.1)."""

from cpdesk.engine.margin.calculator import MarginBreakdown, MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.components import PositionLimitInputs

__all__ = ["MarginBreakdown", "MarginParameters", "MarginResult", "PositionLimitInputs", "calculate_margin"]
