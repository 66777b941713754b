"""Margin a portfolio: an RPF01 and positions in, the guide's breakdown and every problem out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cpdesk.engine.margin import MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.positions import parse_flat_groups, parse_positions
from cpdesk.engine.problems import InputError, Problem, ProblemCode, errors_in
from cpdesk.engine.rpf import parse_rpf
from cpdesk.engine.rpf.cache import load_rpf
from cpdesk.engine.sources import Source


@dataclass(frozen=True, slots=True)
class MarginRequest:
    """What to margin. ``rpf`` and ``positions`` are paths or open binary streams; the RPF's binary
    cache is used only for a path (``use_cache``)."""

    rpf: Source
    positions: Source
    parameters: MarginParameters = field(default_factory=MarginParameters)
    flat_groups: Source | None = None  # InstrumentID,Group; replaces parameters.flat_groups
    lenient: bool = False  # accept rows with fewer scenarios than the header counts
    use_cache: bool = True


@dataclass(frozen=True, slots=True)
class MarginOutcome:
    result: MarginResult | None  # None when an input had errors
    problems: tuple[Problem, ...]  # errors and warnings of every input, then the calculator's

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def needs_lenient(self) -> bool:
        """The RPF failed for rows with other than its header's scenario count (the guide's printed
        sample has 10 of 1,000): ``lenient`` may accept it."""
        return any(p.code is ProblemCode.SCENARIO_COUNT for p in errors_in(self.problems))


def margin(request: MarginRequest) -> MarginOutcome:
    parameters = request.parameters
    problems: list[Problem] = []
    if request.flat_groups is not None:
        groups = parse_flat_groups(request.flat_groups)
        problems += groups.problems
        if groups.errors:
            return MarginOutcome(None, tuple(problems))
        parameters = replace(parameters, flat_groups=groups.value)
    if isinstance(request.rpf, str | os.PathLike):
        rpf = load_rpf(Path(request.rpf), lenient=request.lenient, use_cache=request.use_cache)
    else:
        rpf = parse_rpf(request.rpf, lenient=request.lenient)
    inputs = rpf.combined_with(parse_positions(request.positions))
    problems += inputs.problems
    loaded, positions = inputs.value
    if loaded is None or inputs.errors:
        return MarginOutcome(None, tuple(problems))
    try:
        result = calculate_margin(loaded, positions, parameters)
    except InputError as exc:
        return MarginOutcome(None, (*problems, *exc.problems))
    return MarginOutcome(result, (*problems, *result.warnings))
