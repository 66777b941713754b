"""The activity log: what the dashboard did, newest last, bounded."""

from __future__ import annotations

from textual.widgets import RichLog

LOG_LINES = 500  # the pane keeps the last 500 lines


class ActivityLog(RichLog):
    DEFAULT_CSS = """
    ActivityLog { height: 8; border-top: solid $primary; display: none; }
    ActivityLog.shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(max_lines=LOG_LINES, wrap=True, markup=False, id="activity")
