"""Today: the business date's reports against the ledger, files about to be deleted, the sign-on
budget and operation hours, and a running sync's progress."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, ProgressBar, Static

from cpdesk.desk import AccountBudget, FacilityHours
from cpdesk.engine.calendar import HKT
from cpdesk.tui import words
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.tables import Cell, WrappedTable


class TodayScreen(ViewScreen):
    def body(self) -> ComposeResult:
        yield Static(id="day")
        yield Static(id="sync-line")
        yield ProgressBar(id="sync-progress", show_eta=False)
        yield Label("Last sync of each facility", classes="section")
        yield WrappedTable(("Facility", "Ended HKT", "Result", "Files", "Message"), id="last-syncs")
        yield Label("Reports expected", classes="section")
        yield WrappedTable(("State", "Report", "Due HKT", "Runs", "Facility", "Detail"), id="reports")
        yield Label("On the server, not archived", classes="section")
        yield WrappedTable(("Facility", "File", "Size", "Deleted in"), id="unarchived")
        yield Label("Sign-on budget and hours", classes="section")
        yield WrappedTable(("Facility", "Account", "Sign-ons", "Next allowed", "Hours"), id="budget")

    def show(self, state: DeskState) -> None:
        last = f"{state.last_download:%Y-%m-%d %H:%M}" if state.last_download else "none yet"
        self.query_one("#day", Static).update(
            Text(
                f"Business date {state.business_date:%a %Y-%m-%d} ([ and ] change it) · "
                f"read {state.taken_at:%H:%M:%S} HKT · last download {last}"
            )
        )
        self.query_one("#reports", WrappedTable).show(
            (
                (
                    words.report_state(r.state),
                    r.report_id,
                    ", ".join(t for t in r.expected_at if t) or "-",
                    f"{r.runs_received}/{r.runs_due}",
                    r.facility,
                    r.detail,
                )
                for r in state.retrieval.reports
            ),
            "the configured facilities expect no reports",
        )
        self.query_one("#unarchived", WrappedTable).show(
            (
                (u.facility, f"/{u.folder}/{u.name}", words.size(u.size), _days(u.days_left))
                for u in state.retrieval.unarchived
            ),
            "nothing: every file seen on the server is archived",
        )
        self.query_one("#last-syncs", WrappedTable).show(
            (
                (
                    run.facility,
                    f"{datetime.fromtimestamp(run.at, HKT):%Y-%m-%d %H:%M}",
                    _sync_status(run.status),
                    f"{run.downloaded} downloaded, {run.verified} verified, {run.failed} failed",
                    run.message,
                )
                for run in state.last_syncs
            ),
            "no sync recorded in the ledger yet",
        )
        hours = {h.facility: h for h in state.budget.hours}
        self.query_one("#budget", WrappedTable).show(
            _budget_row(a, hours.get(a.facility)) for a in state.budget.accounts
        )
        self.show_sync()

    def show_sync(self) -> None:
        """The running (or last) sync, as the app keeps it."""
        progress = self.dashboard.sync_progress
        line = self.query_one("#sync-line", Static)
        bar = self.query_one("#sync-progress", ProgressBar)
        planned = self.dashboard.next_auto_sync()
        after = f" · next automatic sync {planned:%H:%M} HKT" if planned else ""
        line.update(Text(progress.line() + after))
        bar.display = progress.running
        if progress.running:
            bar.update(total=max(progress.new, 1), progress=progress.done)


def _days(days_left: int) -> Cell:
    text = f"{days_left} day{'s' if days_left != 1 else ''}"
    return words.word(text, "bad" if days_left <= 2 else "warn")


def _budget_row(account: AccountBudget, hours: FacilityHours | None) -> tuple[Cell, ...]:
    used = f"{account.attempts_in_window} of {account.limit} in {account.window_seconds // 60} min"
    allowed = "now" if account.next_allowed_at is None else f"{account.next_allowed_at:%H:%M:%S}"
    return (account.facility, account.account, used, allowed, _hours(hours))


def _hours(hours: FacilityHours | None) -> Cell:
    if hours is None or not hours.checked:
        return words.word("not kept", "quiet")
    if hours.open_now:
        return words.word(f"OPEN until {hours.closes:%H:%M}", "ok")
    until = f" until {_when(hours.next_open_at)}" if hours.next_open_at else ""
    return words.word(f"CLOSED{until}", "warn")


def _when(moment: datetime) -> str:
    return f"{moment:%a %H:%M}"


def _sync_status(status: str) -> Cell:
    tone = {"ok": "ok", "nothing-new": "ok", "partial": "warn"}.get(status, "bad")
    return words.word(status.upper(), tone)
