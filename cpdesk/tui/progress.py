"""A sync as the dashboard follows it: counts from the reporter's messages, one line of text."""

from __future__ import annotations

from dataclasses import dataclass, field

from cpdesk.desk import SyncReport
from cpdesk.engine.status import FileResult
from cpdesk.tui import words


@dataclass
class SyncProgress:
    running: bool = False
    new: int = 0  # files to fetch, over every facility listed so far
    done: int = 0  # files finished (whatever became of them)
    verified: int = 0
    current: str = ""
    current_size: int = 0
    current_bytes: int = 0
    ended: str = ""  # how the last sync ended, once it has
    warnings: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.running, self.new, self.done, self.verified, self.ended = True, 0, 0, 0, ""
        self.current, self.warnings = "", []

    def finish(self, report: SyncReport | None, failure: str) -> None:
        self.running, self.current = False, ""
        if report is None:
            self.ended = f"sync could not run: {failure}"
            return
        self.ended = (
            f"last sync: {report.status.value} · {report.total('downloaded')} downloaded, "
            f"{report.total('verified')} verified, {report.total('failed')} failed"
        )

    def file_done(self, result: FileResult) -> None:
        self.done += 1
        self.verified += result is FileResult.VERIFIED
        self.current = ""

    def line(self) -> str:
        if not self.running:
            return self.ended or "no sync run from this dashboard yet (s to sync)"
        if not self.current:
            return f"syncing: {self.done} of {self.new} files"
        share = self.current_bytes / self.current_size if self.current_size else 1.0
        return (
            f"syncing: {self.done} of {self.new} files · {self.current} "
            f"{share:.0%} of {words.size(self.current_size)}"
        )
