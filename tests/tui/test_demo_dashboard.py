"""``cpdesk demo --dashboard``'s day gives every view something to show (against its two
simulated facilities, on a frozen demo clock)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from cpdesk.cli.demo import start_facilities
from cpdesk.cli.demo_dashboard import prepare, registrations
from cpdesk.desk import Desk
from cpdesk.engine.calendar import HKT
from cpdesk.simulator.server import SimulatedFacility
from cpdesk.simulator.store import SimClock
from cpdesk.tui import DashboardApp
from cpdesk.tui.widgets.tables import WrappedTable

DAY = datetime(2021, 5, 7, 21, 30, tzinfo=HKT)


def _rows(app: DashboardApp, table: str) -> list[list[str]]:
    return app.screen.query_one(table, WrappedTable).plain_rows()


def test_the_demo_day_has_a_late_report_an_urgent_key_and_three_lop_answers(tmp_path: Path) -> None:
    facilities: list[SimulatedFacility] = []
    try:
        clock = SimClock(DAY)  # frozen, moved on only by the desk's waits
        start_facilities(tmp_path, DAY.date(), clock.now, 60, facilities, registrations(DAY.date()))

        def now() -> float:
            return clock.now().timestamp()

        def sleep(seconds: float) -> None:
            clock.advance(seconds=seconds)

        with Desk.open(tmp_path / "cpdesk.toml", clock=now, sleep=sleep) as desk:
            timer = prepare(tmp_path, DAY.date(), facilities, desk)
            timer.cancel()
            app = DashboardApp(desk)

            async def main() -> None:
                async with app.run_test(size=(120, 40)) as pilot:
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    states = {row[1]: row[0] for row in _rows(app, "#reports")}
                    assert states["RMAMR01"] == "LATE"
                    assert {s for r, s in states.items() if r != "RMAMR01"} <= {"VERIFIED", "pending"}
                    await pilot.press("2")
                    await pilot.pause()
                    keys = {row[0]: row[1] for row in _rows(app, "#keys")}
                    assert keys["CDMO001"] == "URGENT"
                    assert _rows(app, "#validity")[0][:2] == ["CDMO001", "10"]
                    await pilot.press("3")
                    await pilot.pause()
                    answers = sorted(row[1].split()[0] for row in _rows(app, "#lop"))
                    assert answers == ["FAILED", "SUCCESS", "awaiting"]
                    assert len([s for s in facilities[0].sign_ons if s.accepted]) == 2  # sync, upload

                    timer.function()  # the late report is published; the next sync fetches it
                    await pilot.press("1", "s", "y")
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    states = {row[1]: row[0] for row in _rows(app, "#reports")}
                    assert states["RMAMR01"] == "VERIFIED"

            asyncio.run(main())
    finally:
        for facility in facilities:
            facility.stop()


def test_demo_dashboard_is_a_documented_option() -> None:
    from cpdesk.cli.main import build_parser

    assert build_parser().parse_args(["demo", "--dashboard"]).dashboard
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "cpdesk demo --dashboard" in text
    assert "make dashboard" in text
