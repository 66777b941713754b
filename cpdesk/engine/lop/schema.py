"""The LOP workbook schema (``schema.toml``): data that says what each report's sheet holds."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cpdesk.engine.sources import read_file

TYPES = ("text", "integer", "decimal", "date")
KINDS = ("LOPBI", "LOPTO", "SOLBI", "SOLTO")

MAX_SCHEMA_BYTES = 1 << 20  # a schema is a few pages of TOML


class SchemaError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    required: bool
    help: str
    width: int = 14
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    max_length: int | None = None
    expected: str = ""  # what the pattern asks for, in words (problems never show the pattern)

    def matches(self, text: str) -> bool:
        return self.pattern is None or re.fullmatch(self.pattern, text) is not None


@dataclass(frozen=True, slots=True)
class Reportable:
    product: str  # "*" for every product
    instrument: str  # Future or Option
    level: int  # contracts
    per: str


@dataclass(frozen=True)
class ReportKind:
    kind: str
    title: str
    sheet: str
    header_row: int
    columns: tuple[Column, ...]
    identity: tuple[str, ...]
    series: tuple[str, ...]
    option_columns: tuple[str, ...]
    product_column: str
    instrument_column: str | None
    reportable: tuple[Reportable, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class LopSchema:
    kinds: Mapping[str, ReportKind]
    source: str


def parse_schema(text: str, source: str) -> LopSchema:
    try:
        data = tomllib.loads(text)
        columns = {name: _column(name, raw) for name, raw in data["columns"].items()}
        kinds = {}
        for kind, raw in data["kinds"].items():
            missing = [c for c in raw["columns"] if c not in columns]
            if missing:
                raise SchemaError(f"{source}: kind {kind} lists undefined columns {missing}")
            chosen = tuple(columns[c] for c in raw["columns"])
            for field in ("identity", "series", "option_columns"):
                unknown = [c for c in raw.get(field, []) if c not in raw["columns"]]
                if unknown:
                    raise SchemaError(f"{source}: kind {kind} {field} names columns it lacks: {unknown}")
            kinds[kind] = ReportKind(
                kind=kind,
                title=str(raw["title"]),
                sheet=str(raw["sheet"]),
                header_row=int(raw.get("header_row", 1)),
                columns=chosen,
                identity=tuple(raw["identity"]),
                series=tuple(raw["series"]),
                option_columns=tuple(raw.get("option_columns", [])),
                product_column=str(raw["product_column"]),
                instrument_column=raw.get("instrument_column"),
                reportable=tuple(
                    Reportable(str(r["product"]), str(r["instrument"]), int(r["level"]), str(r["per"]))
                    for r in raw.get("reportable", [])
                ),
            )
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{source}: {exc}") from None
    except SchemaError as exc:
        message = str(exc)
        raise SchemaError(message if message.startswith(source) else f"{source}: {message}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(f"{source}: missing or bad entry {exc}") from None
    return LopSchema(MappingProxyType(kinds), source)


def _column(name: str, raw: dict[str, Any]) -> Column:
    kind = str(raw["type"])
    if kind not in TYPES:
        raise SchemaError(f"column {name}: type {kind!r} is not one of {', '.join(TYPES)}")
    if "pattern" in raw:
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            raise SchemaError(
                f"column {name}: pattern {raw['pattern']!r} is not a regular expression ({exc})"
            ) from None
    return Column(
        name=name,
        type=kind,
        required=bool(raw["required"]),
        help=str(raw.get("help", "")),
        width=int(raw.get("width", 14)),
        allowed=tuple(str(v) for v in raw.get("allowed", [])),
        pattern=str(raw["pattern"]) if "pattern" in raw else None,
        max_length=int(raw["max_length"]) if "max_length" in raw else None,
        expected=str(raw.get("expected", "")),
    )


def load_schema(path: Path | None = None) -> LopSchema:
    """The schema shipped with cpdesk, or a CP's own file aligned with HKEX's template."""
    if path is None:
        text = resources.files("cpdesk.engine.lop").joinpath("schema.toml").read_text("utf-8")
        return parse_schema(text, "built-in LOP schema")
    try:
        text = read_file(path, MAX_SCHEMA_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_schema(text, str(path))
