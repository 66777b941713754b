"""``cpdesk demo --dashboard``: the dashboard on the demo's two simulated facilities, with a day
that gives every view something to show.

- Today: RMAMR01 (due 20:30 HKT) is held back, so it reads LATE; it is published a minute after
  the dashboard opens, and the next sync (``s``) fetches it.
- Keys: CDMO001's key was registered 730 - 10 days before the day: URGENT, 10 days left.
- LOP: three reports sent on the three trading days before: HKEX's answer Success, Failed, and
  one still awaited.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from cpdesk.cli.exit_codes import EXIT_OK
from cpdesk.desk import Desk
from cpdesk.engine.calendar import TradingDays
from cpdesk.engine.keys.rules import VALIDITY_DAYS
from cpdesk.simulator import lop as simulated_lop
from cpdesk.simulator.events import UploadEvent
from cpdesk.simulator.lop_books import lop_workbook
from cpdesk.simulator.server import SimulatedFacility
from cpdesk.simulator.store import StoredFile
from cpdesk.tui import DashboardApp

LATE_REPORT = "RMAMR01_"
LATE_BY_SECONDS = 60.0
KEY_DAYS_LEFT = 10


def registrations(day: date) -> dict[str, date]:
    """The demo accounts' key registration dates: CDMO001's expires ten days after ``day``."""
    return {"CDMO001": day + timedelta(days=KEY_DAYS_LEFT - VALIDITY_DAYS)}


def prepare(folder: Path, day: date, facilities: list[SimulatedFacility], desk: Desk) -> threading.Timer:
    """Sync the day without its late report, send three LOP reports, and arm the late report's
    publication (the returned timer)."""
    derivatives, securities = facilities
    withheld = _withhold(securities, LATE_REPORT)
    desk.sync()
    reports = folder / "lop"
    reports.mkdir(exist_ok=True)
    days, trade_day, sent = TradingDays(), day, []
    for _ in range(3):
        trade_day = days.latest_on_or_before(trade_day - timedelta(days=1))
        name, content = lop_workbook(trade_day)
        (reports / name).write_bytes(content)
        sent.append(reports / name)
    answers = dict(zip((p.name for p in sent), ("awaited", "failed", "success"), strict=True))

    def answer(facility: SimulatedFacility, event: UploadEvent) -> None:
        """HKEX's answer to each demo report: Success, Failed, or none yet."""
        if answers.get(event.name) == "awaited":
            return
        facility.faults.fail_lop_reports = answers.get(event.name) == "failed"
        try:
            simulated_lop.answer_upload(facility, event)
        finally:
            facility.faults.fail_lop_reports = False

    derivatives.upload_hooks.remove(simulated_lop.answer_upload)
    derivatives.upload_hooks.append(answer)
    desk.upload_lop(sent, wait_seconds=0.5)  # one sign-on for the three

    def publish() -> None:
        for folder_name, name, stored in withheld:
            securities.store.put(folder_name, name, stored.content, mtime=securities.clock())

    timer = threading.Timer(LATE_BY_SECONDS, publish)
    timer.daemon = True
    timer.start()
    return timer


def run_dashboard_demo(
    folder: Path, day: date, facilities: list[SimulatedFacility], clock: Callable[[], datetime]
) -> int:
    """The dashboard on the demo's clock (the facilities' day at 21:30 HKT, moving on)."""
    with Desk.open(folder / "cpdesk.toml", clock=lambda: clock().timestamp()) as desk:
        timer = prepare(folder, day, facilities, desk)
        try:
            DashboardApp(desk).run()
        finally:
            timer.cancel()
    return EXIT_OK


def _withhold(facility: SimulatedFacility, prefix: str) -> list[tuple[str, str, StoredFile]]:
    """Take the report's files off the facility (to publish them later)."""
    taken = []
    for folder in facility.store.folders():
        for name, stored in facility.store.files(folder).items():
            if name.startswith(prefix):
                facility.store.remove(folder, name)
                taken.append((folder, name, stored))
    return taken
