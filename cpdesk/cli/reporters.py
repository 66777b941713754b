"""How a sync's events and summary look on a terminal, in a log, and at 80 columns."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from cpdesk.cli.tables import plain, show
from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.desk.sync_results import FileOutcome, SyncReport
from cpdesk.engine.status import FileResult

RETENTION_WARN_DAYS = 3


def say_step(text: str) -> None:
    """A step of a job that signs on and waits (renewal, LOP upload), on stderr."""
    print(f"  {text}", file=sys.stderr)


class PlainReporter:
    """One line per event, for logs and cron."""

    def listed(self, facility: str, files: int, new: int) -> None:
        print(f"{facility}: {files} files on the server, {new} new")

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        if resume_from:
            print(f"resuming /{entry.folder}/{entry.name} from byte {resume_from:,}")

    def advanced(self, entry: RemoteEntry, nbytes: int) -> None:
        pass

    def finished(self, outcome: FileOutcome) -> None:
        detail = (
            f" ({outcome.detail})" if outcome.detail and outcome.result is not FileResult.VERIFIED else ""
        )
        print(f"{outcome.result:>11} /{outcome.folder}/{outcome.name} {outcome.size:,} bytes{detail}")

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)


class RichReporter(PlainReporter):
    """Progress bars on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def listed(self, facility: str, files: int, new: int) -> None:
        self.console.print(f"[bold]{plain(facility)}[/]: {files} files on the server, {new} new")

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        label = entry.name if len(entry.name) <= 40 else entry.name[:37] + "..."
        self.tasks[(entry.folder, entry.name)] = self.progress.add_task(
            label, total=entry.size, completed=resume_from
        )

    def advanced(self, entry: RemoteEntry, nbytes: int) -> None:
        task = self.tasks.get((entry.folder, entry.name))
        if task is not None:
            self.progress.advance(task, nbytes)

    def finished(self, outcome: FileOutcome) -> None:
        if outcome.result is not FileResult.VERIFIED:
            where = plain(f"/{outcome.folder}/{outcome.name}: {outcome.detail}")
            self.console.print(f"[red]{outcome.result}[/] {where}")

    def warn(self, text: str) -> None:
        self.console.print(f"[yellow]warning:[/] {plain(text)}")


def print_summary(report: SyncReport, console: Console) -> None:
    show(
        console,
        "Sync summary",
        ("Facility", "Account", "Server", "New", "Fetched", "Verified", "Failed", "Status"),
        [
            (
                r.facility,
                r.account,
                str(r.files_on_server),
                str(r.new),
                str(r.downloaded),
                str(r.verified),
                str(r.failed),
                r.status.value,
            )
            for r in report.facilities
        ],
        right={"Server", "New", "Fetched", "Verified", "Failed"},
    )
    for r in report.facilities:
        if r.message:
            console.print(plain(f"{r.facility}: {r.message}"))
        for skipped in r.skipped_names:
            console.print(
                f"[yellow]skipped[/] {plain(f'/{skipped.source}/{skipped.field}: {skipped.message}')}"
            )
        for warning in r.retention:
            colour = "red" if warning.days_left <= RETENTION_WARN_DAYS else "yellow"
            console.print(
                f"[{colour}]not archived[/] {plain(f'/{warning.folder}/{warning.name}')}: HKEX deletes it "
                f"in {warning.days_left} day(s)"
            )
