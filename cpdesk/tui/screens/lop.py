"""LOP: every report sent to HKEX with its result, and how long an answer has been awaited."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from cpdesk.tui import words
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.tables import WrappedTable


class LopScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("v", "app.validate_lop", "Validate workbook")]

    def body(self) -> ComposeResult:
        yield Label("LOP reports sent", classes="section")
        yield WrappedTable(
            ("File", "Result", "Sent HKT", "Account", "Result file", "Detail", "Facility"), id="lop"
        )

    def show(self, state: DeskState) -> None:
        self.query_one("#lop", WrappedTable).show(
            (
                (
                    r.file,
                    words.upload_result(r.result, r.uploaded_at, state.taken_at),
                    f"{r.uploaded_at:%Y-%m-%d %H:%M}",
                    r.account,
                    r.result_file or "-",
                    r.detail or "",
                    r.facility,
                )
                for r in sorted(state.lop, key=lambda r: r.uploaded_at, reverse=True)
            ),
            "no LOP report sent yet",
        )
