"""Line access and problem collection shared by the RPF01 readers."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cpdesk.engine.problems import Problem, ProblemCode, Severity

# Repeated problems of one kind (say every row of a truncated file) are listed this many
# times, then summarised, so a broken 15,000-row file gives a readable report. A kind is the
# problem's code unless the reader names a finer one.
PROBLEMS_PER_KIND = 20
# Past this many problems a file is garbage: reading stops rather than spend minutes on it.
MAX_PROBLEMS = 2_000
# No RPF01 row comes near this (2,018 scenarios of 64 characters are 130 KB).
MAX_LINE_BYTES = 1 << 20


class TooManyProblems(Exception):
    """Raised by :meth:`ProblemCollector.add` at :data:`MAX_PROBLEMS`: the reader stops."""


class ProblemCollector:
    """Collects problems, capping each kind at :data:`PROBLEMS_PER_KIND` and the whole at
    :data:`MAX_PROBLEMS` (then :class:`TooManyProblems` stops the reader)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []
        self.total = 0
        self._counts: dict[str, int] = {}
        self._codes: dict[str, ProblemCode] = {}

    def add(
        self,
        line: int | None,
        field: str | None,
        message: str,
        *,
        code: ProblemCode,
        kind: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        key = kind or code.value
        seen = self._counts.get(key, 0)
        self._counts[key] = seen + 1
        self._codes.setdefault(key, code)
        if seen < PROBLEMS_PER_KIND:
            self.items.append(Problem(self.source, line, field, message, severity, code))
        self.total += 1
        if self.total >= MAX_PROBLEMS:
            raise TooManyProblems

    def finish(self) -> tuple[Problem, ...]:
        for kind, count in self._counts.items():
            if count > PROBLEMS_PER_KIND:
                self.items.append(
                    Problem(
                        self.source,
                        None,
                        None,
                        f"... and {count - PROBLEMS_PER_KIND:,} more like: {kind}",
                        code=self._codes[kind],
                    )
                )
        return tuple(self.items)

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.items)


@dataclass(frozen=True, slots=True)
class Lines:
    """Byte offsets of every line of the file (``end`` excludes the newline and any CR)."""

    data: bytes
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    @classmethod
    def of(cls, data: bytes) -> Lines:
        if not data:
            nothing = np.zeros(0, dtype=np.int64)
            return cls(data, nothing, nothing)
        raw = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(raw == 0x0A).astype(np.int64)
        starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
        ends = np.concatenate((newlines, [len(data)])).astype(np.int64)
        if len(data) and data.endswith(b"\n"):
            starts, ends = starts[:-1], ends[:-1]
        has_cr = (ends > starts) & (raw[np.maximum(ends - 1, 0)] == 0x0D)
        ends = ends - has_cr.astype(np.int64)
        return cls(data, starts, ends)

    def __len__(self) -> int:
        return len(self.starts)

    def raw(self, index: int) -> bytes:
        return self.data[self.starts[index] : self.ends[index]]

    def cells(self, index: int) -> list[str]:
        """The line's cells (a line :func:`screen` passed is UTF-8 and of bounded length)."""
        text = self.raw(index).decode("utf-8", errors="replace")
        if index == 0:
            text = text.removeprefix("\ufeff")
        try:
            return next(csv.reader([text]), [])
        except csv.Error:  # a cell over the csv module's limit: it fails as a value, by its line
            return text.split(",")


def trim_cells(cells: Sequence[str]) -> list[str]:
    """Drop trailing empty cells (spreadsheet padding)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return [c.strip() for c in cells[:end]]


def screen(lines: Lines, problems: ProblemCollector) -> set[int]:
    """The lines no reader should touch: longer than :data:`MAX_LINE_BYTES`, or not UTF-8 text;
    each is a problem naming its line. (Vectorised: an ASCII file costs one pass.)"""
    skipped: set[int] = set()
    lengths = lines.ends - lines.starts
    for index in np.flatnonzero(lengths > MAX_LINE_BYTES).tolist():
        problems.add(
            index + 1,
            None,
            f"line of {int(lengths[index]):,} bytes: longer than any RPF01 row ({MAX_LINE_BYTES:,} at most)",
            code=ProblemCode.TOO_LARGE,
        )
        skipped.add(index)
    high = np.flatnonzero(np.frombuffer(lines.data, dtype=np.uint8) >= 0x80)
    if len(high):
        for index in np.unique(np.searchsorted(lines.starts, high, side="right") - 1).tolist():
            if index in skipped:
                continue
            try:
                lines.raw(index).decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.add(
                    index + 1,
                    None,
                    f"not UTF-8 text (byte {exc.start + 1} of the line); save the file as UTF-8",
                    code=ProblemCode.ENCODING,
                )
                skipped.add(index)
    return skipped
