"""RPF01, the Initial Margin Risk Parameter File: model, parser, binary cache, synthetic files."""

from cpdesk.engine.rpf.model import RiskParameterFile, RpfHeader, ScenarioMatrix
from cpdesk.engine.rpf.parser import parse_rpf, parse_rpf_bytes

__all__ = ["RiskParameterFile", "RpfHeader", "ScenarioMatrix", "parse_rpf", "parse_rpf_bytes"]
