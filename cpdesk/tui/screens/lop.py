"""LOP: every report sent to HKEX with its result, and how long an answer has been awaited."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from cpdesk.tui import words
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.tables import Column, WrappedTable

NAME_WIDTH = 25  # LOPBI_00CFB_20210507.xlsx: read whole at 80 columns
RESULT_FILE_WIDTH = 30  # Result.20210507.1649230000.txt


class LopScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("v", "app.validate_lop", "Validate workbook")]

    def body(self) -> ComposeResult:
        yield Label("LOP reports sent (v validates a workbook first)", classes="section")
        yield WrappedTable(
            (Column("File", NAME_WIDTH), "Result", Column("Sent HKT", 16), "Account"), id="lop"
        )
        yield Label("HKEX's result files", classes="section")
        yield WrappedTable(
            (Column("File", NAME_WIDTH), Column("Result file", RESULT_FILE_WIDTH), "Detail"), id="results"
        )

    def show(self, state: DeskState) -> None:
        records = sorted(state.lop, key=lambda r: r.uploaded_at, reverse=True)
        self.query_one("#lop", WrappedTable).show(
            (
                (
                    r.file,
                    words.upload_result(r.result, r.uploaded_at, state.taken_at),
                    f"{r.uploaded_at:%Y-%m-%d %H:%M}",
                    r.account,
                )
                for r in records
            ),
            "no LOP report sent yet",
        )
        self.query_one("#results", WrappedTable).show(
            ((r.file, r.result_file or "awaited", r.detail or "") for r in records),
            "no result file yet",
        )
