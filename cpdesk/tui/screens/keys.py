"""Keys: each account's key in full, how long it has left, its renewal and HKEX's warnings."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from cpdesk.tui import words
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.tables import Column, WrappedTable

FINGERPRINT_WIDTH = 47  # 16 octets in hex with colons: shown whole, never folded


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


class KeysScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("n", "app.renew", "Renew key")]

    def body(self) -> ComposeResult:
        yield Label("Account keys (MD5 fingerprints, as HKEX shows them)", classes="section")
        yield WrappedTable(("Account", "Status", Column("Fingerprint (MD5)", FINGERPRINT_WIDTH)), id="keys")
        yield Label("Validity and renewal", classes="section")
        yield WrappedTable(
            ("Account", "Days left", "Expires", "Valid from", "Old key until", "Facility"), id="validity"
        )
        yield Label("Renewals and HKEX's expiry warnings", classes="section")
        yield WrappedTable(("Account", "Last renewal", "HKEX warning"), id="renewals")
        yield Label("Key uploads allowed (HKEX's control)", classes="section")
        yield WrappedTable(("Account", "Last hour", "Today", "Left now"), id="key-uploads")

    def show(self, state: DeskState) -> None:
        self.query_one("#keys", WrappedTable).show(
            (k.account, words.key_urgency(k.urgency), k.fingerprint or (k.problem or "unreadable"))
            for k in state.keys
        )
        self.query_one("#validity", WrappedTable).show(
            (
                k.account,
                "-" if k.days_left is None else str(k.days_left),
                _day(k.expires_on),
                _day(k.valid_from),
                _day(k.overlap_until),
                k.facility,
            )
            for k in state.keys
        )
        self.query_one("#renewals", WrappedTable).show(
            (
                k.account,
                " ".join(filter(None, (k.last_renewal, k.last_renewal_detail))) or "-",
                k.expiry_warning or "-",
            )
            for k in state.keys
        )
        self.query_one("#key-uploads", WrappedTable).show(
            (
                b.account,
                f"{b.in_hour} of {b.per_hour}",
                f"{b.today} of {b.per_day}",
                words.word(str(b.left), "ok" if b.left else "bad"),
            )
            for b in state.key_uploads
        )
