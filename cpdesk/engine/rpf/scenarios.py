"""RPF01 FieldType 1 and 2: the scenario blocks, read into one contiguous float64 matrix.

The blocks are most of a real file (~15,000 instruments x 2,018 scenarios), so they go through
pandas' C reader. Only when that fast path meets something odd does the careful line-by-line
reader run over the block, to say which line and column is wrong.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import ProblemCode, Severity
from cpdesk.engine.rpf.checks import MAX_ABS_RETURN, row_checks
from cpdesk.engine.rpf.model import FieldType, RpfHeader, ScenarioMatrix
from cpdesk.engine.rpf.text import PROBLEMS_PER_KIND, Lines, ProblemCollector, trim_cells

_SCENARIO_LABEL = {FieldType.HVAR_SCENARIOS: "HVaR", FieldType.SVAR_SCENARIOS: "SVaR"}


@dataclass(frozen=True, slots=True)
class _Block:
    """One FieldType's scenario rows: instrument ids, line numbers, values (NaN where empty)."""

    ids: list[str]
    line_numbers: list[int]
    values: npt.NDArray[np.float64]
    counts: npt.NDArray[np.int64]


def build_scenarios(
    lines: Lines,
    header: RpfHeader,
    column_count: int,
    scenario_lines: dict[FieldType, list[int]],
    lenient: bool,
    problems: ProblemCollector,
) -> ScenarioMatrix | None:
    blocks: dict[FieldType, _Block] = {}
    used: dict[FieldType, int] = {}
    for field_type, expected in (
        (FieldType.HVAR_SCENARIOS, header.hvar_scenario_count),
        (FieldType.SVAR_SCENARIOS, header.svar_scenario_count),
    ):
        block = _read_block(lines, scenario_lines[field_type], column_count, problems)
        blocks[field_type] = block
        used[field_type] = _check_counts(block, field_type, expected, lenient, problems)

    hvar, svar = blocks[FieldType.HVAR_SCENARIOS], blocks[FieldType.SVAR_SCENARIOS]
    hvar_rows = _unique_rows(hvar, FieldType.HVAR_SCENARIOS, problems)
    svar_rows = _unique_rows(svar, FieldType.SVAR_SCENARIOS, problems)
    pairs = ((hvar, hvar_rows, svar_rows, 1, 2), (svar, svar_rows, hvar_rows, 2, 1))
    for block, rows, others, has, lacks in pairs:
        for instrument, row in rows.items():
            if instrument not in others:
                problems.add(
                    block.line_numbers[row],
                    "FieldType",
                    f"instrument {instrument} has a FieldType {has} row but no FieldType {lacks} row",
                    kind=f"FieldType {has} row without FieldType {lacks} row",
                    code=ProblemCode.INCOMPLETE,
                )
    if problems.has_errors:
        return None

    h_count, s_count = used[FieldType.HVAR_SCENARIOS], used[FieldType.SVAR_SCENARIOS]
    ids = list(hvar_rows)
    returns = np.empty((len(ids), h_count + s_count), dtype=np.float64)
    h_index = np.fromiter(hvar_rows.values(), dtype=np.int64, count=len(ids))
    s_index = np.fromiter((svar_rows[i] for i in ids), dtype=np.int64, count=len(ids))
    returns[:, :h_count] = hvar.values[h_index, :h_count]
    returns[:, h_count:] = svar.values[s_index, :s_count]
    max_abs, fine = row_checks(returns)
    for bad in np.flatnonzero(max_abs >= MAX_ABS_RETURN).tolist():
        problems.add(
            hvar.line_numbers[h_index[bad]],
            None,
            f"a return of {ids[bad]} is beyond ±{MAX_ABS_RETURN:,.0f} and cannot be margined exactly",
            kind="return out of range",
            code=ProblemCode.OUT_OF_RANGE,
        )
    if problems.has_errors:
        return None
    for coarse in np.flatnonzero(~fine)[:PROBLEMS_PER_KIND].tolist():
        problems.add(
            hvar.line_numbers[h_index[coarse]],
            None,
            f"returns of {ids[coarse]} carry more than 10 decimal places; terms round from binary values",
            kind="more than 10 decimal places",
            severity=Severity.WARNING,
            code=ProblemCode.PRECISION,
        )
    return ScenarioMatrix(tuple(ids), returns, h_count, s_count, max_abs)


def _unique_rows(block: _Block, field_type: FieldType, problems: ProblemCollector) -> dict[str, int]:
    rows: dict[str, int] = {}
    for row, instrument in enumerate(block.ids):
        if instrument in rows:
            problems.add(
                block.line_numbers[row],
                "InstrumentId",
                f"duplicate FieldType {field_type.value} row for {instrument} "
                f"(first on line {block.line_numbers[rows[instrument]]})",
                code=ProblemCode.DUPLICATE,
            )
            continue
        rows[instrument] = row
    return rows


def _check_counts(
    block: _Block, field_type: FieldType, expected: int, lenient: bool, problems: ProblemCollector
) -> int:
    """Check each row's scenario count against the header; return the count to use."""
    label = _SCENARIO_LABEL[field_type]
    param = f"{label}_Scen_Count"
    if not block.ids:
        problems.add(
            None,
            f"FieldType {field_type.value}",
            f"no FieldType {field_type.value} ({label}) rows",
            code=ProblemCode.INCOMPLETE,
        )
        return expected
    counts = block.counts
    if lenient:
        # The most common row length (the longest on a tie: shorter rows look truncated).
        values, frequency = np.unique(counts, return_counts=True)
        common = int(values[frequency == frequency.max()].max())
        if common < expected:
            problems.add(
                block.line_numbers[0],
                param,
                f"FieldType {field_type.value} rows carry {common} scenarios, {param} is {expected}; "
                f"using the {common} present (lenient)",
                severity=Severity.WARNING,
                code=ProblemCode.SCENARIO_COUNT,
            )
        target = min(common, expected)
    else:
        target = expected
    for row in np.flatnonzero(counts != target):
        problems.add(
            block.line_numbers[row],
            param,
            f"FieldType {field_type.value} row for {block.ids[row]} has {counts[row]} scenarios, "
            f"expected {target} ({param} is {expected})",
            kind=f"FieldType {field_type.value} scenario count differs from {param}",
            code=ProblemCode.SCENARIO_COUNT,
        )
    return target


def _read_block(lines: Lines, indices: list[int], column_count: int, problems: ProblemCollector) -> _Block:
    width = max(column_count, 1)
    ids: list[str] = []
    values = np.full((len(indices), width), np.nan, dtype=np.float64)
    counts = np.zeros(len(indices), dtype=np.int64)
    for run_start, run_end in _runs(indices):
        run = indices[run_start:run_end]
        span = lines.data[lines.starts[run[0]] : lines.ends[run[-1]]]
        parsed = fast_block(span, width)
        if parsed is None:  # some row is wider than the column header: padding or stray values
            widest = _widest_row(lines, run)
            parsed = fast_block(span, widest) if widest > width else None
        if parsed is not None and _clean(parsed[1], width):
            ids_run, values_run = parsed[0], parsed[1][:, :width]
            counts_run = (~np.isnan(values_run)).sum(axis=1)
        else:
            ids_run, values_run, counts_run = careful_block(lines, run, width, problems)
        ids.extend(ids_run)
        values[run_start:run_end] = values_run
        counts[run_start:run_end] = counts_run
    return _Block(ids, [i + 1 for i in indices], values, counts)


def _widest_row(lines: Lines, run: list[int]) -> int:
    """The most scenario cells any line of the run has (padding included), counted by commas."""
    base = int(lines.starts[run[0]])
    length = int(lines.ends[run[-1]]) - base
    commas = np.frombuffer(lines.data, dtype=np.uint8, count=length, offset=base) == 0x2C
    per_line = np.add.reduceat(commas, lines.starts[run[0] : run[-1] + 1] - base, dtype=np.int64)
    return int(per_line.max()) - 1


def _runs(indices: list[int]) -> Iterable[tuple[int, int]]:
    """Split positions into runs of consecutive line indices (the file's blocks)."""
    start = 0
    for position in range(1, len(indices) + 1):
        if position == len(indices) or indices[position] != indices[position - 1] + 1:
            yield start, position
            start = position


def fast_block(span: bytes, width: int) -> tuple[list[str], npt.NDArray[np.float64]] | None:
    """Parse a run of scenario rows with pandas' C reader; ``None`` if it cannot."""
    names = list(range(width + 2))
    dtypes: dict[int, type] = {0: str, 1: str, **dict.fromkeys(range(2, width + 2), np.float64)}
    with warnings.catch_warnings():
        # pandas only warns (and drops cells) when the first row is wider than ``names``.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.BytesIO(span),
                header=None,
                names=names,
                index_col=False,  # never turn surplus leading cells into an index
                dtype=dtypes,
                engine="c",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
            )
        except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning):
            return None
    ids = [str(i).strip().strip('"') for i in frame[0].tolist()]
    return ids, np.ascontiguousarray(frame.iloc[:, 2:].to_numpy(dtype=np.float64))


def _clean(values: npt.NDArray[np.float64], width: int) -> bool:
    """True when every row is finite values followed only by empty cells, within ``width``."""
    if np.isinf(values).any() or not np.isnan(values[:, width:]).all():
        return False
    present = ~np.isnan(values[:, :width])
    counts = present.sum(axis=1)
    # The last present cell of a clean row is cell counts-1: no gaps before it.
    last = width - np.argmax(present[:, ::-1], axis=1)
    return bool(np.all((counts == 0) | (last == counts)))


def careful_block(
    lines: Lines, indices: list[int], width: int, problems: ProblemCollector
) -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Read rows one by one, reporting each bad cell; counts are cells given (bad ones too)."""
    ids: list[str] = []
    values = np.full((len(indices), width), np.nan, dtype=np.float64)
    counts = np.zeros(len(indices), dtype=np.int64)
    for row, index in enumerate(indices):
        line_no = index + 1
        cells = trim_cells(lines.cells(index))
        ids.append(cells[0] if cells else "")
        scenario_cells = cells[2:]
        counts[row] = len(scenario_cells)
        if len(scenario_cells) > width:
            problems.add(
                line_no,
                f"column {width + 3}",
                f"row has {len(scenario_cells)} scenario values but the column header numbers only {width}",
                kind="more scenario values than the column header",
                code=ProblemCode.SCENARIO_COUNT,
            )
            scenario_cells = scenario_cells[:width]
        for position, text in enumerate(scenario_cells):
            column = f"column {position + 3} (scenario {position + 1})"
            if not text:
                problems.add(
                    line_no,
                    column,
                    "empty scenario value",
                    kind="empty scenario value",
                    code=ProblemCode.EMPTY_VALUE,
                )
                continue
            try:
                number = float(parse_decimal(text))
            except ValueError as exc:
                problems.add(
                    line_no,
                    column,
                    f"scenario return {exc}",
                    kind="non-numeric scenario value",
                    code=ProblemCode.BAD_VALUE,
                )
                continue
            values[row, position] = number
    return ids, values, counts
