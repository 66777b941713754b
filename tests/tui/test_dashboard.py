"""The dashboard under Pilot (``App.run_test``), against the simulator and a real ledger file.

Each test drives the app with key presses as a user would and reads what the tables show.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from rich.console import Console
from textual.widgets import Input, Static

from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk import Desk
from cpdesk.desk.config import load_config
from cpdesk.desk.sessions import sftp_transport
from cpdesk.simulator import lop as simulated_lop
from cpdesk.tui import DashboardApp, DashboardOptions
from cpdesk.tui.screens.details import DetailsScreen
from cpdesk.tui.screens.history import HistoryScreen
from cpdesk.tui.screens.keys import KeysScreen
from cpdesk.tui.screens.modals import ConfirmSync, RenewKey
from cpdesk.tui.screens.validate import ValidateLop
from cpdesk.tui.widgets.tables import ValueTable, WrappedTable
from tests.desk.test_lop_upload import upload, write_report
from tests.support.lop_books import book, future_row
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
            assert _rows(app, "#last-syncs") == []  # none recorded yet
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
            (last,) = _rows(app, "#last-syncs")
            assert last[:4] == ["derivatives", "2021-05-07 21:30", "OK", "7 downloaded, 7 verified, 0 failed"]

            await _sync(app, pilot)
            assert app.sync_progress.ended == "last sync: nothing-new · 0 downloaded, 0 verified, 0 failed"
            assert _rows(app, "#last-syncs")[0][2] == "NOTHING-NEW"

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


def _text_of(widget: Static) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def test_enter_on_a_file_shows_its_checks_and_rmcnm01_with_the_mstd_recomputed(
    make_site: SiteFactory,
) -> None:
    site = make_site("securities-rap", "B00001", "B00001", rpf_instruments=60)
    with _desk(site) as desk:
        desk.sync()
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("4", "slash", *"RMCNM01_B00001_20210507200000.CSV", "enter")
            await pilot.pause()
            (row,) = _rows(app, "#history")
            assert row[0] == "RMCNM01_B00001_20210507200000.CSV.ZIP"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = _text_of(app.screen.query_one("#content", Static))
            assert "RMCNM01_B00001_20210507200000   2021-05-07" in shown
            assert "RMCNM01 rows, MSTD recomputed (CNY)" in shown
            assert "yes" in shown
            assert "NO:" not in shown
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)

        _run(app, steps)


def test_lop_shows_a_failed_result_with_its_reason_and_the_age_of_an_awaited_one(
    make_site: SiteFactory,
) -> None:
    site = make_site(publish=False)
    site.config(check_hours="false")
    site.facility.faults.fail_lop_reports = True
    [failed] = upload(site, write_report(site.folder))
    assert failed.status == "failed"
    site.facility.upload_hooks.remove(simulated_lop.answer_upload)  # no answer to the next one
    earlier = site.folder / "reports" / "LOPBI_00CFB_20210506.xlsx"
    earlier.write_bytes(book([future_row(Trade_Date="20210506")]))
    [sent] = upload(site, earlier, wait=10)
    assert sent.status == "sent", sent.message
    site.clock.advance(minutes=25)
    with _desk(site) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("3")
            await pilot.pause()
            rows = {row[0]: row for row in _rows(app, "#lop")}
            awaited = rows["LOPBI_00CFB_20210506.xlsx"]
            assert awaited[1] == "awaiting 25 min"
            assert rows["LOPBI_00CFB_20210507.xlsx"][1] == "FAILED"
            results = {row[0]: row for row in _rows(app, "#results")}
            # HKEX's result file says only "Result: Failed" (guide §8.2): that, and which file said it.
            assert results["LOPBI_00CFB_20210507.xlsx"][1].startswith("Result.20210507.")
            assert results["LOPBI_00CFB_20210507.xlsx"][2] == "Failed"
            assert results["LOPBI_00CFB_20210506.xlsx"][1] == "awaited"

        _run(app, steps)


def test_renewal_from_keys_asks_for_the_account_and_shows_the_old_keys_overlap_end(
    make_site: SiteFactory,
) -> None:
    site = make_site(publish=False)

    def sleep(seconds: float) -> None:  # waiting for HKEX's result moves the simulator's clock on
        site.clock.advance(seconds=seconds)

    with _desk(site, registered="2019-05-10", sleep=sleep) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("2")
            await pilot.pause()
            assert _rows(app, "#key-uploads") == [["CXYZ001", "0 of 5", "0 of 120", "5"]]
            (before,) = _rows(app, "#validity")
            assert before[1:3] == ["2", "2021-05-09"]
            assert _rows(app, "#keys")[0][1] == "URGENT"
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, RenewKey)
            await pilot.press(*"CXYZ002", "enter")  # a wrong name is refused, nothing signs on
            await pilot.pause()
            assert isinstance(app.screen, RenewKey)
            assert site.facility.sign_ons == []
            app.screen.query_one("#account", Input).value = ""
            await pilot.press(*"CXYZ001", "enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            (after,) = _rows(app, "#validity")
            assert after[1:5] == ["730", "2023-05-07", "2021-05-07", "2021-05-20"]
            assert _rows(app, "#keys")[0][1] == "OK"
            assert _rows(app, "#renewals")[0][1].startswith("success")
            assert _rows(app, "#key-uploads") == [["CXYZ001", "1 of 5", "1 of 120", "4"]]

        _run(app, steps)


def test_an_expired_key_reads_expired(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    with _desk(site, registered="2019-05-01") as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("2")
            await pilot.pause()
            assert _rows(app, "#keys")[0][1] == "EXPIRED"
            assert _rows(app, "#validity")[0][1:3] == ["-7", "2021-04-30"]  # 730 days, 2020 a leap year

        _run(app, steps)


def test_a_lop_workbook_validated_from_the_dashboard_shows_its_problems_by_cell(
    make_site: SiteFactory,
) -> None:
    site = make_site(publish=False)
    broken = site.folder / "LOPBI_00CFB_20210507.xlsx"
    broken.write_bytes(book([future_row(Trade_Date="20210507", Long_Position=-5)]))
    with _desk(site) as desk:
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            await pilot.press("3", "v")
            await pilot.pause()
            assert isinstance(app.screen, ValidateLop)
            app.screen.query_one("#path", Input).value = str(broken)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            verdict = _text_of(app.screen.query_one("#verdict", Static))
            assert verdict.startswith("INVALID: LOPBI_00CFB_20210507.xlsx")
            problems = _rows(app, "#problems")
            assert any(row[1] == "Long Position" and "!" in row[0] for row in problems)
            assert site.facility.uploads == []

        _run(app, steps)


def test_auto_sync_runs_once_when_reports_are_due_and_shows_the_next_one(make_site: SiteFactory) -> None:
    site = make_site("securities-rap", "B00001", "B00001")
    site.clock.set(EVENING.replace(hour=16, minute=40))  # RMCNM01's 16:00 run became due at 16:30
    with _desk(site) as desk:
        times = desk.sync_times()
        assert [f"{t:%H:%M}" for t in times][:3] == ["12:15", "12:30", "16:30"]
        assert desk.sync_times(EVENING.date() + timedelta(days=1)) == ()  # a Saturday
        app = DashboardApp(desk, DashboardOptions(auto_sync=True))

        async def steps(pilot: Any) -> None:
            await pilot.pause(1.5)  # a tick
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "automatic sync: a report is due" in " ".join(app.activity)
            assert app.sync_progress.ended.startswith("last sync:")
            assert len(site.facility.sign_ons) == 1
            app._auto_sync()  # nothing new has become due: no second sync
            await app.workers.wait_for_complete()
            assert len(site.facility.sign_ons) == 1
            line = _text_of(app.screen.query_one("#sync-line", Static))
            assert "next automatic sync 17:30 HKT" in line

        _run(app, steps)


def test_refreshes_never_overlap_and_old_data_is_marked_stale(make_site: SiteFactory) -> None:
    site = make_site()
    with _desk(site) as desk:
        app = DashboardApp(desk, DashboardOptions(refresh_seconds=5))

        async def steps(pilot: Any) -> None:
            first = app.state
            assert first is not None
            await pilot.press("p")  # paused: no read is armed
            await pilot.pause()
            assert "PAUSED" in app.sub_title
            app.action_refresh()
            app.action_refresh()  # while the first read runs: not a second one
            assert len([w for w in app.workers if w.group == "read"]) == 1
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.state is not first
            site.clock.advance(seconds=11)  # more than two intervals since the last read
            app._mark_age()
            assert app.state is not None
            assert f"STALE since {app.state.taken_at:%H:%M:%S}" in app.sub_title
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "STALE" not in app.sub_title

        _run(app, steps)


def test_with_no_color_every_status_is_still_a_word(make_site: SiteFactory, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    site = make_site()
    expires = EVENING.date() + timedelta(days=10)
    with _desk(site, registered=(expires - timedelta(days=730)).isoformat()) as desk:
        desk.sync()
        app = DashboardApp(desk)

        async def steps(pilot: Any) -> None:
            assert app.no_color
            assert {row[0] for row in _rows(app, "#reports")} <= {"VERIFIED", "pending", "MISSING", "LATE"}
            await pilot.press("2")
            await pilot.pause()
            assert _rows(app, "#keys")[0][1] == "URGENT"

        _run(app, steps)
