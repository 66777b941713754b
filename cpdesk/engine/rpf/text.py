"""Line access and problem collection shared by the RPF01 readers."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cpdesk.engine.problems import Problem, ProblemCode, Severity

# Repeated problems of one kind (say every row of a truncated file) are listed this many
# times, then summarised, so a broken 15,000-row file gives a readable report.
PROBLEMS_PER_KIND = 20


class ProblemCollector:
    """Collects problems, capping each kind at :data:`PROBLEMS_PER_KIND`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []
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
        key = kind or message
        seen = self._counts.get(key, 0)
        self._counts[key] = seen + 1
        self._codes.setdefault(key, code)
        if seen < PROBLEMS_PER_KIND:
            self.items.append(Problem(self.source, line, field, message, severity, code))

    def finish(self) -> tuple[Problem, ...]:
        for kind, count in self._counts.items():
            if count > PROBLEMS_PER_KIND:
                self.items.append(
                    Problem(
                        self.source,
                        None,
                        None,
                        f"... and {count - PROBLEMS_PER_KIND} more like: {kind}",
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
        text = self.raw(index).decode("utf-8", errors="replace")
        if index == 0:
            text = text.removeprefix("\ufeff")
        return next(csv.reader([text]), [])


def trim_cells(cells: Sequence[str]) -> list[str]:
    """Drop trailing empty cells (spreadsheet padding)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return [c.strip() for c in cells[:end]]
