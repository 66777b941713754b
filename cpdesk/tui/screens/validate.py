"""Validate a LOP workbook by path (LOP view, ``v``): the same rules as ``cpdesk lop validate``,
its problems by sheet and cell. Reading the workbook runs on a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cpdesk.desk import Desk
from cpdesk.engine.lop.validate import LopValidation
from cpdesk.tui import words
from cpdesk.tui.widgets.tables import WrappedTable


@dataclass
class Validated(Message):
    validation: LopValidation | None
    failure: str = ""


class ValidateLop(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close")]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog details"):
            yield Static("Validate a LOP workbook", classes="dialog-title")
            yield Input(placeholder="path of the .xlsx, then enter", id="path")
            yield Static(id="verdict")
            yield WrappedTable(("Sheet!Cell", "Field", "Problem"), id="problems")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.query_one("#verdict", Static).update(Text(f"reading {path}…", style="dim"))
            self._validate(Path(path).expanduser())

    @work(thread=True, exclusive=True)
    def _validate(self, path: Path) -> None:
        try:
            self.post_message(Validated(self.desk.validate_lop(path)))
        except Exception as exc:  # not found, not a workbook: said as such
            self.post_message(Validated(None, str(exc)))
        finally:
            self.desk.release_thread()

    def on_validated(self, message: Validated) -> None:
        verdict = self.query_one("#verdict", Static)
        table = self.query_one("#problems", WrappedTable)
        result = message.validation
        if result is None:
            verdict.update(words.word(f"cannot validate: {message.failure}", "bad"))
            table.show(())
            return
        if result.ok:
            verdict.update(words.word(f"VALID: {result.file}, {result.rows:,} rows, ready to upload", "ok"))
        else:
            verdict.update(
                words.word(
                    f"INVALID: {result.file}, {len(result.problems):,} problems; never uploaded", "bad"
                )
            )
        table.show(
            (
                "!".join(filter(None, (p.sheet, p.cell))) or (str(p.line) if p.line else "-"),
                p.field or "-",
                p.message,
            )
            for p in result.problems
        )
