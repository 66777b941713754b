"""Margin a portfolio: an RPF01 and positions in, the guide's breakdown and every problem out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cpdesk.engine.margin import MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.attribution import MarginAttribution, attribute_margin
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.positions import Position, parse_flat_groups, parse_positions, parse_scenarios
from cpdesk.engine.problems import InputError, Parsed, Problem, ProblemCode, errors_in
from cpdesk.engine.rpf import RiskParameterFile, parse_rpf
from cpdesk.engine.rpf.cache import load_rpf
from cpdesk.engine.sources import Source, source_name


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


@dataclass(frozen=True, slots=True)
class WhatIfScenario:
    """One set of what-if trades: the portfolio's breakdown without and with them."""

    name: str
    before: MarginBreakdown
    after: MarginBreakdown

    @property
    def change(self) -> dict[str, int]:
        """After less before, figure by figure: each the difference of two full calculations."""
        after = self.after.as_dict()
        return {name: after[name] - value for name, value in self.before.as_dict().items()}


@dataclass(frozen=True, slots=True)
class WhatIfOutcome:
    scenarios: tuple[WhatIfScenario, ...]  # empty when an input had errors
    problems: tuple[Problem, ...]


def margin(request: MarginRequest) -> MarginOutcome:
    prepared = _prepared(request)
    if isinstance(prepared, MarginOutcome):
        return prepared
    rpf, positions, parameters, problems = prepared
    try:
        result = calculate_margin(rpf, positions, parameters)
    except InputError as exc:
        return MarginOutcome(None, (*problems, *exc.problems))
    return MarginOutcome(result, (*problems, *result.warnings))


def what_if(request: MarginRequest, trades: Source) -> WhatIfOutcome:
    """The portfolio margined without and with each set of what-if trades (netted with the
    portfolio per instrument, as every position is)."""
    prepared = _prepared(request)
    if isinstance(prepared, MarginOutcome):
        return WhatIfOutcome((), prepared.problems)
    rpf, positions, parameters, problems = prepared
    sets = parse_scenarios(trades)
    problems = [*problems, *sets.problems]
    if errors_in(sets.problems):
        return WhatIfOutcome((), tuple(problems))
    trades_name = source_name(trades)
    try:
        before = margin_breakdown(rpf, positions, parameters)
        problems += before.warnings
        scenarios = []
        for name, extra in sets.value:
            after = margin_breakdown(rpf, (*positions, *extra), parameters)
            scenarios.append(WhatIfScenario(name, before.breakdown, after.breakdown))
            # A what-if trade the RPF has no row for changes nothing but MTM: say so, by scenario.
            problems += (
                replace(w, source=f"{trades_name} (scenario {name})")
                for w in after.warnings
                if w not in before.warnings
            )
    except InputError as exc:
        return WhatIfOutcome((), (*problems, *exc.problems))
    return WhatIfOutcome(tuple(scenarios), tuple(problems))


@dataclass(frozen=True, slots=True)
class ExplainOutcome:
    attribution: MarginAttribution | None  # None when an input had errors
    problems: tuple[Problem, ...]


def explain(request: MarginRequest) -> ExplainOutcome:
    """The portfolio's margin position by position (standalone, incremental, ES shares)."""
    prepared = _prepared(request)
    if isinstance(prepared, MarginOutcome):
        return ExplainOutcome(None, prepared.problems)
    rpf, positions, parameters, problems = prepared
    try:
        attribution = attribute_margin(rpf, positions, parameters)
    except InputError as exc:
        return ExplainOutcome(None, (*problems, *exc.problems))
    return ExplainOutcome(attribution, (*problems, *attribution.result.warnings))


def request_rpf(request: MarginRequest) -> Parsed[RiskParameterFile | None]:
    """The request's RPF01 (from its binary cache for a path, when ``use_cache``)."""
    if isinstance(request.rpf, str | os.PathLike):
        return load_rpf(Path(request.rpf), lenient=request.lenient, use_cache=request.use_cache)
    return parse_rpf(request.rpf, lenient=request.lenient)


def request_parameters(
    request: MarginRequest, parameters: MarginParameters | None = None
) -> tuple[MarginParameters | None, list[Problem]]:
    """``parameters`` (the request's by default) with the request's flat rate group file read
    into them; None with the file's problems when it has errors."""
    parameters = parameters if parameters is not None else request.parameters
    if request.flat_groups is None:
        return parameters, []
    groups = parse_flat_groups(request.flat_groups)
    if groups.errors:
        return None, list(groups.problems)
    return replace(parameters, flat_groups=groups.value), list(groups.problems)


def _prepared(
    request: MarginRequest,
) -> tuple[RiskParameterFile, tuple[Position, ...], MarginParameters, list[Problem]] | MarginOutcome:
    """The RPF, positions and parameters of a request, or the outcome that says why not."""
    parameters, problems = request_parameters(request)
    if parameters is None:
        return MarginOutcome(None, tuple(problems))
    inputs = request_rpf(request).combined_with(parse_positions(request.positions))
    problems += inputs.problems
    loaded, positions = inputs.value
    if loaded is None or inputs.errors:
        return MarginOutcome(None, tuple(problems))
    return loaded, positions, parameters, problems
