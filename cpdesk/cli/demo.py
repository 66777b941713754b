"""``cpdesk demo``: a day of retrieval from simulated HKEX facilities, end to end, twice.

Two simulated facilities (derivatives and securities RAP) publish a trading day for a demo
participant; cpdesk creates the participant's keys and configuration in a temporary folder, syncs
(progress bars), syncs again to show nothing is fetched twice, and prints the summary and ledger.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from cpdesk.cli.arguments import add_json_option
from cpdesk.cli.demo_dashboard import registrations, run_dashboard_demo
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from cpdesk.cli.reporters import PlainReporter, RichReporter, print_summary
from cpdesk.cli.sync import summary
from cpdesk.cli.tables import new_console, show
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import HKT, TradingDays, load_profile
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import FileRow
from cpdesk.desk import Desk, SyncReport
from cpdesk.simulator.day import publish_day
from cpdesk.simulator.server import SimulatedFacility

# (facility name, profile, participant, account)
DEMO_FACILITIES = (
    ("derivatives", "derivatives", "CDMO", "CDMO001"),
    ("securities", "securities-rap", "B01234", "B01234"),
)

CONFIG_HEAD = """\
# cpdesk demo configuration: simulated facilities on this machine.
archive = "archive"
ledger = "cpdesk-ledger.sqlite"
known_hosts = "known_hosts"
"""

CONFIG_FACILITY = """
[[facility]]
name = "{name}"
profile = "{profile}"
participant = "{participant}"
hosts = ["{address}"]
check_hours = false  # the simulated facility keeps its own (demo) clock

[[facility.accounts]]
name = "{account}"
key = "keys/{account}"
"""


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="sync a simulated trading day twice, in a temporary folder")
    demo.add_argument("--headless", action="store_true", help="no progress bars or tables")
    add_json_option(demo, "print a JSON summary")
    demo.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    demo.add_argument("--rpf-instruments", type=int, default=1000, help="size of the demo RPF01")
    demo.add_argument(
        "--dashboard",
        action="store_true",
        help="open the dashboard on the simulated facilities (a late report, a key near expiry, LOP results)",
    )
    demo.set_defaults(run=run_demo)


def _demo_clock(day_end: datetime) -> Callable[[], datetime]:
    """The facilities' clock: the demo day at 21:30 HKT, moving on with real time."""
    started = time.monotonic()
    return lambda: day_end + timedelta(seconds=time.monotonic() - started)


def run_demo(args: argparse.Namespace) -> int:
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cpdesk-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    console = new_console(stderr=args.json, width=None if sys.stdout.isatty() else 120)
    day = TradingDays().latest_on_or_before(datetime.now(HKT).date())
    clock = _demo_clock(datetime.combine(day, datetime.min.time(), HKT) + timedelta(hours=21, minutes=30))
    facilities: list[SimulatedFacility] = []
    try:
        registered = registrations(day) if args.dashboard else None
        published = start_facilities(folder, day, clock, args.rpf_instruments, facilities, registered)
        if args.dashboard:
            return run_dashboard_demo(folder, day, facilities, clock)
        if not args.json and not args.headless:
            console.print(
                f"[bold]cpdesk demo[/]: {published} files published for {day} on two simulated "
                f"facilities; working in {folder}"
            )
        with Desk.open(folder / "cpdesk.toml") as desk:
            first = _sync(desk, console, args, "first sync")
            second = _sync(desk, console, args, "second sync (nothing should be fetched)")
            sign_ons = desk.ledger.sign_ons()
            files = desk.history()
        downloaded = first.total("downloaded")
        failed = first.total("failed")
        again = second.total("downloaded")
        result = {
            "files_on_server": first.total("files_on_server"),
            "downloaded": downloaded,
            "verified": first.total("verified"),
            "failed": failed,
            "second_run_downloaded": again,
            "sign_ons": len(sign_ons),
            "business_date": day.isoformat(),
            "first_run": summary(first),
            "second_run": summary(second),
        }
        if args.json:
            print(json.dumps(result, indent=2))
        elif not args.headless:
            _ledger_table(files, console)
            console.print(f"sign-ons recorded: {len(sign_ons)} (one per facility per run)")
        return EXIT_OK if failed == 0 and again == 0 and downloaded > 0 else EXIT_BAD_INPUT
    finally:
        for simulated in facilities:
            simulated.stop()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def start_facilities(
    folder: Path,
    day: date,
    clock: Callable[[], datetime],
    rpf_instruments: int,
    started: list[SimulatedFacility],
    registered: dict[str, date] | None = None,
) -> int:
    """Start the demo facilities with ``day`` published (appended to ``started`` as each starts,
    so the caller stops them whatever happens); write the keys and ``cpdesk.toml`` in ``folder``
    (``registered``: an account's key registration date); return the files published."""
    config_text = CONFIG_HEAD
    published = 0
    for name, profile_name, participant, account in DEMO_FACILITIES:
        simulated = SimulatedFacility(load_profile(profile_name), clock=clock)
        public = write_new_rsa_key(folder / "keys" / account, comment=f"{account}@cpdesk-demo")
        simulated.authorize(account, public)
        published += len(publish_day(simulated, participant, day, rpf_instruments))
        address = simulated.start()
        started.append(simulated)
        KnownHosts(folder / "known_hosts").add(address, simulated.host_public_key())
        config_text += CONFIG_FACILITY.format(
            name=name, profile=profile_name, participant=participant, address=address, account=account
        )
        if registered and account in registered:
            config_text += f"registered = {registered[account].isoformat()}\n"
    (folder / "cpdesk.toml").write_text(config_text)
    return published


def _sync(desk: Desk, console: Console, args: argparse.Namespace, title: str) -> SyncReport:
    if args.json or args.headless:
        return desk.sync()
    console.rule(title)
    if sys.stdout.isatty():
        with RichReporter(console) as rich_reporter:
            report = desk.sync(rich_reporter)
    else:
        report = desk.sync(PlainReporter())
    print_summary(report, console)
    return report


def _ledger_table(files: Sequence[FileRow], console: Console) -> None:
    show(
        console,
        "Ledger: files fetched",
        ("Facility", "Folder", "Name", "Bytes", "Business date", "Result", "SHA-256"),
        [
            (r.facility, r.folder, r.name, f"{r.size:,}", r.business_date, r.result.value, r.sha256)
            for r in files
        ],
        right={"Bytes"},
    )
