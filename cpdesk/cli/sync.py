"""``cpdesk init`` and ``cpdesk sync``: the daily retrieval from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from cpdesk.cli.exit_codes import (
    EXIT_BUDGET,
    EXIT_CONNECTION,
    EXIT_NOTHING_NEW,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    fail,
)
from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.desk.config import DEFAULT_NAME, load_config, render_template
from cpdesk.desk.sync import (
    BUDGET,
    CONFIG,
    CONNECTION,
    NOTHING_NEW,
    OK,
    PARTIAL,
    FacilityResult,
    FileOutcome,
    sync_all,
)
from cpdesk.engine.reports.catalogue import load_catalogue

# Exit codes of `cpdesk sync` (README): the most serious outcome of any facility decides.
SYNC_EXIT = {
    OK: EXIT_OK,
    NOTHING_NEW: EXIT_NOTHING_NEW,
    PARTIAL: EXIT_PARTIAL,
    BUDGET: EXIT_BUDGET,
    CONNECTION: EXIT_CONNECTION,
    CONFIG: EXIT_USAGE,
}
_SEVERITY = [CONFIG, CONNECTION, BUDGET, PARTIAL, OK, NOTHING_NEW]
RETENTION_WARN_DAYS = 3


def register(commands: Any) -> None:
    init = commands.add_parser("init", help="write a commented cpdesk.toml")
    init.add_argument("--participant", default="CXXX", help="DCASS customer code (default CXXX)")
    init.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    init.set_defaults(run=run_init)

    sync = commands.add_parser("sync", help="fetch every new report from the configured facilities")
    sync.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    sync.add_argument("--dry-run", action="store_true", help="sign on and list, download nothing")
    sync.add_argument("--json", action="store_true", help="print a JSON summary")
    sync.set_defaults(run=run_sync)


def run_init(args: argparse.Namespace) -> int:
    path: Path = args.config
    if path.exists():
        print(f"{path} exists; not overwritten", file=sys.stderr)
        return EXIT_USAGE
    path.write_text(render_template(args.participant))
    print(f"wrote {path}: edit the participant, accounts and key files, then run `cpdesk facility trust`")
    return EXIT_OK


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
        detail = f" ({outcome.detail})" if outcome.detail and outcome.result != "verified" else ""
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
        self.console.print(f"[bold]{facility}[/]: {files} files on the server, {new} new")

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
        if outcome.result != "verified":
            self.console.print(f"[red]{outcome.result}[/] /{outcome.folder}/{outcome.name}: {outcome.detail}")

    def warn(self, text: str) -> None:
        self.console.print(f"[yellow]warning:[/] {text}")


def summary(results: list[FacilityResult]) -> dict[str, Any]:
    worst = min((r.status for r in results), key=_SEVERITY.index) if results else NOTHING_NEW
    totals = {
        key: sum(getattr(r, key) for r in results)
        for key in ("files_on_server", "new", "downloaded", "verified", "failed", "sign_ons")
    }
    return {
        **totals,
        "status": worst,
        "exit_code": SYNC_EXIT[worst],
        "facilities": [r.as_dict() for r in results],
    }


def print_summary(results: list[FacilityResult], console: Console) -> None:
    table = Table(title="Sync summary", title_justify="left")
    for column in ("Facility", "Account", "Server", "New", "Fetched", "Verified", "Failed", "Status"):
        table.add_column(column, justify="left" if column in ("Facility", "Account", "Status") else "right")
    for r in results:
        table.add_row(
            r.facility,
            r.account,
            str(r.files_on_server),
            str(r.new),
            str(r.downloaded),
            str(r.verified),
            str(r.failed),
            r.status,
        )
    console.print(table)
    for r in results:
        if r.message:
            console.print(f"{r.facility}: {r.message}")
        for skipped in r.skipped_names:
            console.print(f"[yellow]skipped[/] /{skipped['folder']}/{skipped['name']}: {skipped['reason']}")
        for entry in r.retention:
            days = int(str(entry["days_left"]))
            colour = "red" if days <= RETENTION_WARN_DAYS else "yellow"
            console.print(
                f"[{colour}]not archived[/] /{entry['folder']}/{entry['name']}: HKEX deletes it in "
                f"{days} day(s)"
            )


def run_sync(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigurationError as exc:
        return fail("sync", exc)
    catalogue = load_catalogue()
    if args.json:
        results = sync_all(config, catalogue, None, args.dry_run)
        print(json.dumps(summary(results), indent=2))
    elif sys.stdout.isatty():
        console = Console()
        with RichReporter(console) as reporter:
            results = sync_all(config, catalogue, reporter, args.dry_run)
        print_summary(results, console)
    else:
        results = sync_all(config, catalogue, PlainReporter(), args.dry_run)
        print_summary(results, Console())
    code: int = summary(results)["exit_code"]
    return code
