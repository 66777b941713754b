"""What every view shares: the header, the footer, the activity log, and being told of new state."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from cpdesk.tui.state import DeskState
from cpdesk.tui.widgets.activity import ActivityLog

if TYPE_CHECKING:
    from cpdesk.tui.app import DashboardApp


class ViewScreen(Screen[None]):
    """A view: ``body()`` composes its widgets, ``show(state)`` fills them from one desk read."""

    @property
    def dashboard(self) -> DashboardApp:
        return cast("DashboardApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="body"):
            yield from self.body()
        yield ActivityLog()
        yield Footer()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def show(self, state: DeskState) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        log = self.query_one(ActivityLog)
        log.set_class(self.dashboard.log_shown, "shown")
        log.clear()
        for line in self.dashboard.activity:
            log.write(line)
        if self.dashboard.state is not None:
            self.show(self.dashboard.state)
