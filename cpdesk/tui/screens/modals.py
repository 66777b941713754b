"""Modal screens: the keys (``?``) and the confirmation before a sync signs on."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

KEYS = """\
1 2 3 4   Today, Keys, LOP, History
n         (Keys) renew an account's key: type the account to confirm
v         (LOP) validate a workbook by path
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


class RenewKey(ModalScreen[str | None]):
    """Renewal signs on and replaces a key HKEX holds: the account's name must be typed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, accounts: tuple[str, ...]) -> None:
        super().__init__()
        self.accounts = accounts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Renew a key", classes="dialog-title")
            yield Static(
                Text(
                    "Renewal signs on, makes a new key pair, uploads its public key and waits for "
                    "HKEX's result; the old key keeps working for 14 days.\n"
                    f"Type the account to renew ({', '.join(self.accounts)}), then enter:"
                )
            )
            yield Input(placeholder="account", id="account")
            yield Static(id="why")

    def on_mount(self) -> None:
        self.query_one("#account", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if typed in self.accounts:
            self.dismiss(typed)
        else:
            self.query_one("#why", Static).update(Text(f"{typed!r} is not one of the accounts", style="red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
