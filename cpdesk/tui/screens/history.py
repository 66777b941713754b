"""History: the ledger's files of the business date, filtered with ``/``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label

from cpdesk.connectors.store.ledger import FileRow
from cpdesk.tui import words
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.screens.details import DetailsScreen
from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.tables import ValueTable


class HistoryScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[FileRow] = []  # the rows on screen, in order (``enter`` opens one)

    def body(self) -> ComposeResult:
        yield Label(id="history-title", classes="section")
        yield Input(placeholder="filter: part of a name, folder, facility or result", id="filter")
        yield ValueTable(("Name", "Result", "Size", "Folder", "Facility", "Detail"), id="history")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one("#history", ValueTable).focus()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.query_one("#history", ValueTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.dashboard.state is not None:
            self.show(self.dashboard.state)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#history", ValueTable).focus()

    def show(self, state: DeskState) -> None:
        wanted = self.query_one("#filter", Input).value.strip().lower()
        rows = [
            f
            for f in state.history
            if not wanted
            or wanted in " ".join((f.name, f.folder, f.facility, f.result.value, f.detail)).lower()
        ]
        shown = f"{len(rows)} of {len(state.history)}" if wanted else f"{len(rows)}"
        self.query_one("#history-title", Label).update(
            Text(
                f"Ledger, business date {state.business_date:%Y-%m-%d}: {shown} files"
                + (f" matching {wanted!r}" if wanted else "")
            )
        )
        self.shown = rows
        self.query_one("#history", ValueTable).show(
            (
                (f.name, words.file_result(f.result), words.size(f.size), f.folder, f.facility, f.detail)
                for f in rows
            ),
            "no files in the ledger for this date",
        )

    def on_data_table_row_selected(self, event: ValueTable.RowSelected) -> None:
        """``enter`` on a file: its details (the ledger's record, then the archived file read)."""
        index = int(event.row_key.value) if event.row_key.value is not None else -1
        if 0 <= index < len(self.shown):
            self.app.push_screen(DetailsScreen(self.dashboard.desk, self.shown[index]))
