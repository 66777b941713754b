"""Modal screens: the keys (``?``) and the confirmation before a sync signs on."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

KEYS = """\
1 2 3 4   Today, Keys, LOP, History
[  ]      the business date before / after
s         sync now (asks first; says which account signs on)
r         refresh now
p         pause or resume the automatic refresh
/         filter History (escape clears)
l         show or hide the activity log
ctrl+p    the command palette
?         this help
q         quit
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Keys", classes="dialog-title")
            yield Static(Text(KEYS))
            yield Button("Close", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)


class ConfirmSync(ModalScreen[bool]):
    """Says what a sync will do before it signs on; ``y``/enter goes, ``n``/escape does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Sync"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, plan: str) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Sync now?", classes="dialog-title")
            yield Static(Text(self.plan), id="plan")
            with Horizontal(classes="buttons"):
                yield Button("Sync (y)", variant="primary", id="go")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#go", Button).focus()

    def action_answer(self, go: bool) -> None:
        self.dismiss(go)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "go")
