"""The report catalogue: every report id cpdesk knows, loaded from ``catalogue.toml`` (data, not code)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

FACILITIES = ("securities-rap", "derivatives-sftp")
LAYOUTS = ("pair", "opaque")


@dataclass(frozen=True, slots=True)
class ReportInfo:
    report_id: str
    name: str
    facility: str
    market: str
    available: tuple[str, ...]  # HH:MM, Hong Kong time
    frequency: str
    intraday: bool
    layout: str
    fields: tuple[str, ...]
    parser: str | None
    source: str


@dataclass(frozen=True)
class Catalogue:
    reports: Mapping[str, ReportInfo]
    intraday_prefixes: tuple[str, ...]

    def __iter__(self) -> Iterator[ReportInfo]:
        return iter(self.reports.values())

    def get(self, report_id: str) -> ReportInfo | None:
        return self.reports.get(report_id)

    def is_intraday(self, report_id: str) -> bool:
        info = self.reports.get(report_id)
        if info is not None:
            return info.intraday
        return report_id.startswith(self.intraday_prefixes)

    def identify(self, file_name: str) -> ReportInfo | None:
        """The catalogued report a file name belongs to: the longest known id that starts the name
        and is followed by ``_``, ``.`` or the end (so ``RPF01`` is not taken for ``RPF011``)."""
        best: ReportInfo | None = None
        for report_id, info in self.reports.items():
            if re.match(re.escape(report_id) + r"(?=[_.]|$)", file_name) and (
                best is None or len(report_id) > len(best.report_id)
            ):
                best = info
        return best


def _entry(raw: dict[str, Any]) -> ReportInfo:
    info = ReportInfo(
        report_id=str(raw["id"]),
        name=str(raw["name"]),
        facility=str(raw["facility"]),
        market=str(raw["market"]),
        available=tuple(str(t) for t in raw.get("available", [])),
        frequency=str(raw["frequency"]),
        intraday=bool(raw["intraday"]),
        layout=str(raw["layout"]),
        fields=tuple(str(f) for f in raw.get("fields", [])),
        parser=raw.get("parser"),
        source=str(raw["source"]),
    )
    if info.facility not in FACILITIES or info.layout not in LAYOUTS:
        raise ValueError(f"catalogue entry {info.report_id}: unknown facility or layout")
    for time in info.available:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time):
            raise ValueError(f"catalogue entry {info.report_id}: {time!r} is not HH:MM")
    return info


def parse_catalogue(text: str) -> Catalogue:
    data = tomllib.loads(text)
    entries = [_entry(raw) for raw in data.get("report", [])]
    reports = {e.report_id: e for e in entries}
    if len(reports) != len(entries):
        raise ValueError("catalogue lists a report id twice")
    return Catalogue(MappingProxyType(reports), tuple(data.get("intraday_prefixes", [])))


def load_catalogue() -> Catalogue:
    """The catalogue shipped with cpdesk."""
    text = resources.files("cpdesk.engine.reports").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return parse_catalogue(text)
