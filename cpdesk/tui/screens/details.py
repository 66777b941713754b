"""A file's details (``enter`` in History): the ledger's record, then what cpdesk reads in the
archived file (on a worker): a pair's control/data check, RMCNM01's rows with the MSTD
recomputed, or the first records of another report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from cpdesk.connectors.store.ledger import FileRow
from cpdesk.desk import Desk
from cpdesk.engine.calendar import HKT
from cpdesk.tui import words

SHOWN_RECORDS = 20  # of a report other than RMCNM01: its first records


@dataclass
class DetailsRead(Message):
    content: RenderableType


class DetailsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, desk: Desk, row: FileRow) -> None:
        super().__init__()
        self.desk = desk
        self.row = row

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog details"):
            yield Static(Text(self.row.name, style="bold"), classes="dialog-title")
            yield Static(_record(self.row))
            yield Static(Text("reading the archived file…", style="dim"), id="content")

    def on_mount(self) -> None:
        self._read(Path(self.row.archive_path))

    @work(thread=True)
    def _read(self, path: Path) -> None:
        try:
            content = _content(self.desk, path)
        except Exception as exc:  # the archive moved, a damaged file: said, never a traceback
            content = Text(f"cannot read {path}: {exc}", style="red")
        finally:
            self.desk.release_thread()
        self.post_message(DetailsRead(content))

    def on_details_read(self, message: DetailsRead) -> None:
        self.query_one("#content", Static).update(message.content)


def _record(row: FileRow) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    when = datetime.fromtimestamp(row.downloaded_at, HKT)
    for label, value in (
        ("Result", words.file_result(row.result)),
        ("Checks", row.detail or "-"),
        ("Business date", row.business_date),
        ("Facility", f"{row.facility}, /{row.folder}"),
        ("Size", f"{row.size:,} bytes"),
        ("SHA-256", row.sha256),
        ("Archived", f"{when:%Y-%m-%d %H:%M:%S} HKT"),
        ("Path", row.archive_path),
    ):
        grid.add_row(label, value if isinstance(value, Text) else Text(value))
    return grid


def _content(desk: Desk, path: Path) -> RenderableType:
    name = path.name.upper()
    if not name.endswith(".ZIP"):
        return Text("not a report zip: nothing more to read", style="dim")
    stem = name.split(".", 1)[0]
    pair = [p for p in path.parent.iterdir() if p.name.upper().split(".", 1)[0] == stem]
    parts: list[RenderableType] = [_pair(desk, pair)]
    if name.endswith(".CSV.ZIP") and stem.startswith("RMCNM01_"):
        parts.append(_mstd(desk, path))
    elif name.endswith(".CSV.ZIP") and not stem.startswith("RPF"):
        parts.append(_records(desk, path))
    return Group(*parts)


def _pair(desk: Desk, paths: list[Path]) -> RenderableType:
    checked = desk.check_reports(paths)
    table = Table(title="Pair check", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("Report", "Business date", "Records", "Result"):
        table.add_column(column, overflow="fold")
    for check in checked.checks:
        result = words.word("OK", "ok") if check.ok else words.word("FAILED", "bad")
        day = check.business_date.isoformat() if check.business_date else "-"
        count = "-" if check.record_count is None else f"{check.record_count:,}"
        table.add_row(Text(check.name.stem), Text(day), Text(count), result)
    problems = [p for c in checked.checks for p in c.problems] + list(checked.unusable)
    lines = [Text(str(p), style="red") for p in problems]
    return Group(table, *lines)


def _mstd(desk: Desk, path: Path) -> RenderableType:
    report = desk.reconcile_mstd(path)
    table = Table(title="RMCNM01 rows, MSTD recomputed (CNY)", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("Record", "Market", "Daily", "Monthly", "Requirement", "Agrees"):
        table.add_column(column, overflow="fold", justify="right" if column != "Market" else "left")
    for result in report.results:
        r = result.recomputed
        agrees = (
            words.word("yes", "ok")
            if not result.disagreements
            else words.word("NO: " + ", ".join(d.field for d in result.disagreements), "bad")
        )
        table.add_row(
            str(result.row.record),
            result.row.market,
            f"{r.daily_cny:,}",
            f"{r.monthly_cny:,}",
            f"{r.requirement_cny:,}",
            agrees,
        )
    return Group(table, *(Text(str(p), style="red") for p in report.problems))


def _records(desk: Desk, path: Path) -> RenderableType:
    view = desk.show_report(path)
    table = Table(
        title=f"First {min(SHOWN_RECORDS, len(view.rows))} of {len(view.rows):,} records",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    for column in view.columns:
        table.add_column(column, overflow="fold")
    for row in view.rows[:SHOWN_RECORDS]:
        table.add_row(*(Text(str(row.get(c, ""))) for c in view.columns))
    return Group(table, *(Text(str(p), style="red") for p in view.problems))
