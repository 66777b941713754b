"""A sync's :class:`~cpdesk.desk.Reporter` events as dashboard messages."""

from __future__ import annotations

from typing import Any

from textual.app import App

from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.desk import FileOutcome
from cpdesk.tui.messages import (
    SyncFileFinished,
    SyncFileStarted,
    SyncListed,
    SyncProgressed,
    SyncWarned,
)

PROGRESS_STEP_BYTES = 4 << 20  # one progress message per 4 MiB: the screen need not see each read


class MessageReporter:
    """Posts each event to ``app`` (``post_message`` may be called from any thread)."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._unsent = 0

    def listed(self, facility: str, files: int, new: int) -> None:
        self.app.post_message(SyncListed(facility, files, new))

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        self._flush()
        self.app.post_message(SyncFileStarted(entry.name, entry.size, resume_from))

    def advanced(self, entry: RemoteEntry, nbytes: int) -> None:
        self._unsent += nbytes
        if self._unsent >= PROGRESS_STEP_BYTES:
            self._flush()

    def finished(self, outcome: FileOutcome) -> None:
        self._flush()
        self.app.post_message(SyncFileFinished(outcome))

    def warn(self, text: str) -> None:
        self.app.post_message(SyncWarned(text))

    def _flush(self) -> None:
        if self._unsent:
            self.app.post_message(SyncProgressed(self._unsent))
            self._unsent = 0
