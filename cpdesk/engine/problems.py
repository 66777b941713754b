"""Problems found in input, with where they were found (Strata's ``ValueWithFailures``).

Parsers do not stop at the first bad row: they return what they could read together with a
list of :class:`Problem`, so the user sees every bad line at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: which file, which line (1-based), which field, and why."""

    source: str
    line: int | None
    field: str | None
    message: str
    severity: Severity = Severity.ERROR
    code: str | None = None  # a stable name for the kind of problem, e.g. "record-count"

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        tag = "" if self.severity is Severity.ERROR else f" ({self.severity.value})"
        return f"{where}:{field} {self.message}{tag}"

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity.value,
            "code": self.code,
        }


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A parsed value together with the problems met while reading it."""

    value: T
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors


class InputError(ValueError):
    """Raised by calculators when inputs cannot be margined; carries the problems found."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
