"""The dashboard under Pilot (``App.run_test``), against the simulator and a real ledger file.

Each test drives the app with key presses as a user would and reads what the tables show.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from textual.widgets import Input

from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk import Desk
from cpdesk.desk.config import load_config
from cpdesk.desk.sessions import sftp_transport
from cpdesk.tui import DashboardApp, DashboardOptions
from cpdesk.tui.screens.keys import KeysScreen
from cpdesk.tui.screens.modals import ConfirmSync
from cpdesk.tui.widgets.tables import ValueTable, WrappedTable
from tests.support.sites import EVENING, Site, SiteFactory

SIZE = (80, 24)


def _desk(site: Site, registered: str | None = None, **transport: Any) -> Desk:
    config = site.config(check_hours="false")
    if registered:
        toml = site.folder / "cpdesk.toml"
        toml.write_text(toml.read_text() + f"registered = {registered}\n")
        config = load_config(toml)
    return Desk(config, clock=site.now, **transport)


def _rows(app: DashboardApp, table: str) -> list[list[str]]:
    widget = app.screen.query_one(table)
    assert isinstance(widget, ValueTable | WrappedTable)
    return widget.plain_rows()


def _run(app: DashboardApp, steps: Callable[[Any], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await steps(pilot)

    asyncio.run(main())


async def _sync(app: DashboardApp, pilot: Any) -> None:
    await pilot.press("s")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmSync)
    await pilot.press("y")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()  # the refresh after the sync
    await pilot.pause()


def test_sync_from_the_dashboard_fills_today_and_the_ledger(make_site: SiteFactory) -> None:
    site = make_site()
    with _desk(site) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            before = {row[1]: row[0] for row in _rows(app, "#reports")}
            assert set(before.values()) <= {"LATE", "pending", "MISSING"}
            plan_shown = False

            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmSync)
            plan_shown = "CXYZ001 · 5 of 5 sign-ons left in 5 min · allowed now" in app.screen.plan
            await pilot.press("y")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert plan_shown
            assert app.sync_progress.ended == "last sync: ok · 7 downloaded, 7 verified, 0 failed"
            states = {row[1]: row[0] for row in _rows(app, "#reports")}
            assert "VERIFIED" in states.values()
            assert "LATE" not in states.values()
            assert any("7 verified" in line for line in app.activity)

            await _sync(app, pilot)
            assert app.sync_progress.ended == "last sync: nothing-new · 0 downloaded, 0 verified, 0 failed"

        _run(app, steps)
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        assert len(ledger.files()) == 7
        assert {f.result.value for f in ledger.files()} == {"verified"}


def test_read_only_refuses_to_sync_and_says_so(make_site: SiteFactory) -> None:
    site = make_site()
    with _desk(site) as desk:
        app = DashboardApp(desk, DashboardOptions(read_only=True))

        async def steps(pilot: Any) -> None:
            await pilot.press("s")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmSync)
            assert "sync refused: read-only" in app.activity[-1]
            assert "READ-ONLY" in app.sub_title

        _run(app, steps)
    assert site.facility.sign_ons == []


def test_the_app_answers_keys_while_a_sync_runs(make_site: SiteFactory) -> None:
    site = make_site()
    release = threading.Event()

    def held_transport(*args: Any, **kwargs: Any) -> Any:
        release.wait(30)  # the sync's worker waits here until the test has pressed its keys
        return sftp_transport(*args, **kwargs)

    with _desk(site, transport=held_transport) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("s", "y")
            await pilot.pause()
            assert app.sync_progress.running
            await pilot.press("2")
            await pilot.pause()
            assert isinstance(app.screen, KeysScreen)  # switched while the worker waits
            assert app.sync_progress.running
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not app.sync_progress.running
            assert app.sync_progress.ended.startswith("last sync: ok")

        _run(app, steps)


def test_a_dropped_connection_shows_partial_and_the_next_sync_resumes(make_site: SiteFactory) -> None:
    site = make_site("securities-rap", "B00001", "B00001", rpf_instruments=400)
    with _desk(site) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            site.facility.faults.drop_after_bytes = 600_000
            await _sync(app, pilot)
            assert app.sync_progress.ended.startswith("last sync: partial")
            assert any("RPF01_HKSCC_20210507210000.CSV.ZIP: interrupted" in line for line in app.activity)
            await _sync(app, pilot)
            assert app.sync_progress.ended == "last sync: ok · 35 downloaded, 35 verified, 0 failed"
            assert any("RPF01_HKSCC_20210507210000.CSV.ZIP: resuming at" in line for line in app.activity)
            states = {row[1]: row[0] for row in _rows(app, "#reports")}
            assert states["RPF01"] == "VERIFIED"

        _run(app, steps)


def test_keys_read_urgent_ten_days_before_expiry(make_site: SiteFactory) -> None:
    site = make_site()
    expires = EVENING.date() + timedelta(days=10)
    registered = expires - timedelta(days=730)
    with _desk(site, registered=registered.isoformat()) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("2")
            await pilot.pause()
            (row,) = _rows(app, "#keys")
            assert row[:2] == ["CXYZ001", "URGENT"]
            (validity,) = _rows(app, "#validity")
            assert validity[:3] == ["CXYZ001", "10", expires.isoformat()]
            fingerprint = row[2]
            assert len(fingerprint) == 47  # 16 octets, whole
            assert fingerprint.count(":") == 15

        _run(app, steps)


def test_slash_filters_history(make_site: SiteFactory) -> None:
    site = make_site()
    with _desk(site) as desk:
        desk.sync()
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("4")
            await pilot.pause()
            everything = _rows(app, "#history")
            assert len(everything) == 7
            await pilot.press("slash", *"TP001")
            await pilot.pause()
            filtered = _rows(app, "#history")
            assert app.screen.query_one("#filter", Input).value == "TP001"
            assert filtered
            assert len(filtered) < len(everything)
            assert all("TP001" in row[0] for row in filtered)
            await pilot.press("escape")
            await pilot.pause()
            assert len(_rows(app, "#history")) == 7

        _run(app, steps)
