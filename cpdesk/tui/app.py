"""``cpdesk dashboard``: the operations desk in a terminal.

The app holds one :class:`~cpdesk.tui.state.DeskState` (the last consistent read of the desk),
the running sync's progress and the activity log; the views (one screen each, Textual modes)
draw from them. Every desk call runs in a thread worker that posts a message; the UI thread never
waits on the ledger, the disk or the network. Refreshes re-arm after each read, so they never
overlap; a read older than two intervals is marked STALE.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer

from cpdesk.desk import Desk
from cpdesk.tui.messages import (
    RenewalEnded,
    StateRead,
    StateUnreadable,
    SyncEnded,
    SyncFileFinished,
    SyncFileStarted,
    SyncListed,
    SyncProgressed,
    SyncWarned,
)
from cpdesk.tui.progress import SyncProgress
from cpdesk.tui.reporter import MessageReporter
from cpdesk.tui.screens.base import ViewScreen
from cpdesk.tui.screens.history import HistoryScreen
from cpdesk.tui.screens.keys import KeysScreen
from cpdesk.tui.screens.lop import LopScreen
from cpdesk.tui.screens.modals import ConfirmSync, HelpScreen, RenewKey
from cpdesk.tui.screens.today import TodayScreen
from cpdesk.tui.screens.validate import ValidateLop
from cpdesk.tui.state import DeskState, read_state
from cpdesk.tui.widgets.activity import LOG_LINES, ActivityLog

VIEWS = {"today": "Today", "keys": "Keys", "lop": "LOP", "history": "History"}


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    refresh_seconds: float = 30.0
    read_only: bool = False  # a wall screen: nothing that signs on
    auto_sync: bool = False  # sync when a report becomes due (catalogue time plus the grace)


class DashboardApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "cpdesk"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "today": TodayScreen,
        "keys": KeysScreen,
        "lop": LopScreen,
        "history": HistoryScreen,
    }
    DEFAULT_MODE = "today"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "view('today')", "Today"),
        Binding("2", "view('keys')", "Keys"),
        Binding("3", "view('lop')", "LOP"),
        Binding("4", "view('history')", "History"),
        Binding("s", "sync", "Sync"),
        Binding("r", "refresh", "Refresh"),
        Binding("p", "pause", "Pause"),
        Binding("left_square_bracket", "day(-1)", "Day -1", show=False),
        Binding("right_square_bracket", "day(1)", "Day +1", show=False),
        Binding("l", "toggle_log", "Log", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, desk: Desk, options: DashboardOptions | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.options = options or DashboardOptions()
        self.state: DeskState | None = None
        self.business_date: date = desk.today()
        self.sync_progress = SyncProgress()
        self.activity: deque[str] = deque(maxlen=LOG_LINES)
        self.log_shown = False
        self.paused = False
        self._reading = False
        self._next_read: Timer | None = None
        self._auto_synced_at: datetime | None = None  # the last automatic sync's start

    # -- start, refresh ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.note("dashboard started" + (" (read-only)" if self.options.read_only else ""))
        self.action_refresh()

    def action_refresh(self) -> None:
        if self._next_read is not None:
            self._next_read.stop()
            self._next_read = None
        if not self._reading:
            self._reading = True
            self._read(self.business_date)

    @work(thread=True, group="read")
    def _read(self, business_date: date) -> None:
        try:
            self.post_message(StateRead(read_state(self.desk, business_date)))
        except Exception as exc:  # the ledger or the configuration: said, and the last state kept
            self.post_message(StateUnreadable(f"{type(exc).__name__}: {exc}"))
        finally:
            self.desk.release_thread()

    def on_state_read(self, message: StateRead) -> None:
        self.state = message.state
        self._read_done()
        self._show()

    def on_state_unreadable(self, message: StateUnreadable) -> None:
        self.note(f"could not read the desk: {message.reason}")
        self.notify(message.reason, title="Could not read the desk", severity="error")
        self._read_done()

    def _read_done(self) -> None:
        self._reading = False
        if not self.paused:  # re-armed after each read: refreshes never overlap
            self._next_read = self.set_timer(self.options.refresh_seconds, self.action_refresh)
        self._mark_age()

    def _show(self) -> None:
        screen = self.screen
        if isinstance(screen, ViewScreen) and self.state is not None:
            screen.show(self.state)

    def _tick(self) -> None:
        self._mark_age()
        self._auto_sync()

    def _mark_age(self) -> None:
        marks = []
        if self.options.read_only:
            marks.append("READ-ONLY")
        if self.paused:
            marks.append("PAUSED")
        if self.state is None:
            marks.append("reading…")
        elif self.desk.now() - self.state.taken_at > timedelta(seconds=2 * self.options.refresh_seconds):
            marks.append(f"STALE since {self.state.taken_at:%H:%M:%S}")
        self.sub_title = " · ".join([f"{self.business_date:%Y-%m-%d}", *marks])

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.note("automatic refresh paused" if self.paused else "automatic refresh resumed")
        if self.paused and self._next_read is not None:
            self._next_read.stop()
            self._next_read = None
        elif not self.paused:
            self.action_refresh()
        self._mark_age()

    def action_day(self, step: int) -> None:
        self.business_date += timedelta(days=step)
        self._mark_age()
        self.action_refresh()

    # -- views -------------------------------------------------------------------------------------

    def action_view(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_log(self) -> None:
        self.log_shown = not self.log_shown
        for log in self.screen.query(ActivityLog):
            log.set_class(self.log_shown, "shown")

    def note(self, text: str) -> None:
        """A line in the activity log (bounded)."""
        line = f"{self.desk.now():%H:%M:%S} {text}"
        self.activity.append(line)
        for log in self.screen.query(ActivityLog):
            log.write(line)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Sync now", "Fetch what is new from every facility", self.action_sync)
        yield SystemCommand("Refresh", "Read the ledger again", self.action_refresh)
        yield SystemCommand("Validate a LOP workbook", "Check a workbook by path", self.action_validate_lop)
        yield SystemCommand("Renew a key", "Replace an account's key (type the account)", self.action_renew)
        for mode, title in VIEWS.items():
            yield SystemCommand(
                f"Go to {title}", f"Show the {title} view", lambda m=mode: self.action_view(m)
            )

    # -- sync --------------------------------------------------------------------------------------

    def next_auto_sync(self) -> datetime | None:
        """The next moment a report becomes due, when ``--auto-sync`` is on."""
        if not self.options.auto_sync or self.options.read_only or self.state is None:
            return None
        now = self.desk.now()
        return next((t for t in self.state.sync_times if t > now), None)

    def _auto_sync(self) -> None:
        """Sync once when a report has become due since the last automatic sync (the governor
        still decides whether a sign-on is allowed)."""
        if not self.options.auto_sync or self.options.read_only or self.state is None:
            return
        if self.sync_progress.running:
            return
        now = self.desk.now()
        last = self._auto_synced_at
        if any(t <= now and (last is None or t > last) for t in self.state.sync_times):
            self._auto_synced_at = now
            self.note("automatic sync: a report is due")
            self._confirmed(True)

    def action_sync(self) -> None:
        if self.options.read_only:
            self.notify("This dashboard is read-only: it never signs on.", severity="warning")
            self.note("sync refused: read-only")
            return
        if self.sync_progress.running:
            self.notify("A sync is already running.", severity="warning")
            return
        self.push_screen(ConfirmSync(self._sync_plan()), self._confirmed)

    def _sync_plan(self) -> str:
        if self.state is None:
            return "Sign on to every configured facility and fetch what is new."
        lines = ["Signs on once to each facility, with the first account allowed:"]
        for account in self.state.budget.accounts:
            allowed = (
                "allowed now"
                if account.next_allowed_at is None
                else f"next allowed {account.next_allowed_at:%H:%M:%S}"
            )
            lines.append(
                f"  {account.facility}: {account.account} · {account.left} of {account.limit} "
                f"sign-ons left in {account.window_seconds // 60} min · {allowed}"
            )
        return "\n".join(lines)

    def _confirmed(self, go: bool | None) -> None:
        if not go:
            self.note("sync cancelled")
            return
        self.sync_progress.start()
        self.note("sync started")
        self._refresh_sync_line()
        self._sync()

    @work(thread=True, group="sync", exclusive=True)
    def _sync(self) -> None:
        try:
            report = self.desk.sync(MessageReporter(self))
        except Exception as exc:  # a desk error the sync itself does not turn into a status
            self.post_message(SyncEnded(None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(SyncEnded(report))
        finally:
            self.desk.release_thread()

    def on_sync_listed(self, message: SyncListed) -> None:
        self.sync_progress.new += message.new
        self.note(f"{message.facility}: {message.files} files on the server, {message.new} new")
        self._refresh_sync_line()

    def on_sync_file_started(self, message: SyncFileStarted) -> None:
        p = self.sync_progress
        p.current, p.current_size, p.current_bytes = message.name, message.size, message.resume_from
        if message.resume_from:
            self.note(f"{message.name}: resuming at {message.resume_from:,} of {message.size:,} bytes")
        self._refresh_sync_line()

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        self.sync_progress.current_bytes += message.nbytes
        self._refresh_sync_line()

    def on_sync_file_finished(self, message: SyncFileFinished) -> None:
        outcome = message.outcome
        self.sync_progress.file_done(outcome.result)
        self.note(
            f"{outcome.name}: {outcome.result.value}" + (f" ({outcome.detail})" if outcome.detail else "")
        )
        self._refresh_sync_line()

    def on_sync_warned(self, message: SyncWarned) -> None:
        self.note(message.text)

    def on_sync_ended(self, message: SyncEnded) -> None:
        self.sync_progress.finish(message.report, message.failure)
        self.note(self.sync_progress.ended)
        self.notify(self.sync_progress.ended, title="Sync")
        self._refresh_sync_line()
        self.action_refresh()

    def action_validate_lop(self) -> None:
        self.push_screen(ValidateLop(self.desk))

    # -- key renewal -------------------------------------------------------------------------------

    def action_renew(self) -> None:
        if self.options.read_only:
            self.notify("This dashboard is read-only: it never signs on.", severity="warning")
            self.note("renewal refused: read-only")
            return
        accounts = tuple(a.account for f in self.desk.config.facilities for a in f.accounts)
        self.push_screen(RenewKey(accounts), self._renew_typed)

    def _renew_typed(self, account: str | None) -> None:
        if account is None:
            self.note("renewal cancelled")
            return
        self.note(f"renewing {account}'s key")
        self._renew(account)

    @work(thread=True, group="renew", exclusive=True)
    def _renew(self, account: str) -> None:
        try:
            outcome = self.desk.renew_key(account)
        except Exception as exc:  # a desk error (configuration, connection): said, never a traceback
            self.post_message(RenewalEnded(account, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(RenewalEnded(account, outcome))
        finally:
            self.desk.release_thread()

    def on_renewal_ended(self, message: RenewalEnded) -> None:
        if message.outcome is None:
            text = f"{message.account}: renewal could not run: {message.failure}"
        else:
            text = message.outcome.message
        self.note(text)
        renewed = message.outcome is not None and message.outcome.success
        self.notify(text, title="Key renewal", severity="information" if renewed else "error")
        self.action_refresh()

    def _refresh_sync_line(self) -> None:
        screen = self.screen
        if isinstance(screen, TodayScreen) and screen.is_mounted:
            screen.show_sync()
