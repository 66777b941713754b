"""Every :class:`Desk` method, driven without the command line.

The workflows that sign on (sync, LOP upload and results, key renewal) run here against the
in-memory facility (milliseconds each); tests/desk/test_sync.py, test_lop_upload.py and
test_keys.py drive the same code over real SSH against the simulator.
"""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cpdesk import samples
from cpdesk.connectors.errors import ConfigurationError, InputRejected, OutsideOperationHours
from cpdesk.connectors.store.keyfiles import public_key_of_private
from cpdesk.desk import Desk, MarginRequest, ReportState
from cpdesk.engine.calendar import HKT
from cpdesk.engine.keys import KeyUrgency
from cpdesk.engine.problems import ProblemCode
from cpdesk.engine.reports.mstd import MstdInputs
from cpdesk.engine.status import FileResult, LopOutcome, SignOnOutcome, SyncStatus, UploadResult
from tests.support import seed003
from tests.support.lop_books import NAME, book, future_row
from tests.support.memory_desk import memory_desk
from tests.support.sites import EVENING, SiteFactory

DAY = date(2021, 5, 7)
INBOX = "INBOX/20210507"


def securities(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The securities facility with seed 003's RMCNM01 pair and a damaged RMAMR01 data file."""
    made = memory_desk(tmp_path, "securities-rap", "B00001", "B00001", name="securities")
    made.facility.put_file(INBOX, seed003.CONTROL_NAME, seed003.control_zip())
    made.facility.put_file(INBOX, seed003.DATA_NAME, seed003.data_zip())
    made.facility.put_file(INBOX, "RMAMR01_B00001_20210507203000.CSV.ZIP", b"not a zip at all")
    return made


# -- retrieval ----------------------------------------------------------------------------------


def test_sync_fetches_verifies_and_records_then_finds_nothing_new(tmp_path: Path) -> None:
    made = securities(tmp_path)
    with made.desk as desk:
        first = desk.sync()
        assert first.status is SyncStatus.PARTIAL  # the damaged file
        (facility,) = first.facilities
        assert (facility.files_on_server, facility.downloaded, facility.verified, facility.failed) == (
            3,
            3,
            2,
            1,
        )
        assert facility.account == "B00001"
        assert facility.sign_ons == 1
        data = next(f for f in facility.files if f.name == seed003.DATA_NAME)
        assert data.result is FileResult.VERIFIED
        assert "pair verified" in data.detail
        assert Path(data.archive_path).read_bytes() == seed003.data_zip()
        second = desk.sync()
        assert second.status is SyncStatus.NOTHING_NEW
        assert second.total("downloaded") == 0
        history = desk.history(DAY, "securities")
        assert [(f.name, f.result) for f in history] == [
            (seed003.CONTROL_NAME, FileResult.VERIFIED),
            (seed003.DATA_NAME, FileResult.VERIFIED),
            ("RMAMR01_B00001_20210507203000.CSV.ZIP", FileResult.FAILED),
        ]
        assert desk.history(date(2021, 5, 6)) == ()


def test_retrieval_status_says_verified_failed_late_and_pending(tmp_path: Path) -> None:
    made = securities(tmp_path)
    with made.desk as desk:
        desk.sync()
        status = {r.report_id: r for r in desk.retrieval_status(DAY).reports}
    # 21:30 HKT: RMCNM01's 12:00, 16:00 and 20:00 runs are due (30 minutes' grace); one arrived.
    rmcnm01 = status["RMCNM01"]
    assert (rmcnm01.state, rmcnm01.runs_received, rmcnm01.runs_due) == (ReportState.LATE, 1, 3)
    assert rmcnm01.detail == "expected by 16:00 HKT"
    assert rmcnm01.files == (seed003.CONTROL_NAME, seed003.DATA_NAME)
    assert status["RMAMR01"].state is ReportState.FAILED
    assert "RMAMR01_B00001_20210507203000.CSV.ZIP" in status["RMAMR01"].detail
    assert status["RPF01"].state is ReportState.LATE  # due 21:00
    assert status["RMASP01"].state is ReportState.PENDING  # no documented time; the day goes on
    assert all(r.facility == "securities" for r in status.values())
    assert "RX_AUDIT" not in status  # a derivatives report


def test_retrieval_status_after_the_day_and_on_a_holiday(tmp_path: Path) -> None:
    made = securities(tmp_path)
    with made.desk as desk:
        desk.sync()
        made.clock.set(EVENING + timedelta(days=3))  # Monday
        status = {r.report_id: r for r in desk.retrieval_status(DAY).reports}
        assert status["RMASP01"].state is ReportState.MISSING
        saturday = {r.report_id: r.state for r in desk.retrieval_status(date(2021, 5, 8)).reports}
        assert set(saturday.values()) == {ReportState.NOT_EXPECTED}


def test_files_seen_but_not_fetched_show_the_days_before_deletion(tmp_path: Path) -> None:
    made = securities(tmp_path)
    with made.desk as desk:
        dry = desk.sync(dry_run=True)
        assert {f.result for f in dry.facilities[0].files} == {FileResult.WOULD_DOWNLOAD}
        unarchived = desk.retrieval_status(DAY).unarchived
        assert {(u.name, u.days_left) for u in unarchived} == {
            (seed003.CONTROL_NAME, 10),
            (seed003.DATA_NAME, 10),
            ("RMAMR01_B00001_20210507203000.CSV.ZIP", 10),
        }
        desk.sync()
        assert desk.retrieval_status(DAY).unarchived == ()  # a failed file is archived too


def test_sign_on_budget_counts_attempts_and_says_when_the_next_is_allowed(tmp_path: Path) -> None:
    made = memory_desk(tmp_path)
    with made.desk as desk:
        for _ in range(5):
            desk.sync()
        (budget,) = desk.sign_on_budget().accounts
        assert (budget.account, budget.attempts_in_window, budget.left) == ("CXYZ001", 5, 0)
        assert budget.next_allowed_at == EVENING + timedelta(seconds=305)  # window + clock margin
        refused = desk.sync()
        assert refused.status is SyncStatus.BUDGET
        assert [a.outcome for a in desk.ledger.sign_ons()] == [SignOnOutcome.OK] * 5
        made.clock.set(EVENING + timedelta(seconds=306))
        assert desk.sign_on_budget().accounts[0].next_allowed_at is None
        (hours,) = desk.sign_on_budget().hours
        assert (hours.open_now, hours.next_open_at, hours.checked) == (True, None, False)


def test_operation_hours_say_when_the_facility_opens_next(tmp_path: Path) -> None:
    made = memory_desk(tmp_path)
    with made.desk as desk:
        saturday_morning = datetime(2021, 5, 8, 4, 0, tzinfo=HKT)
        (hours,) = desk.sign_on_budget(saturday_morning).hours
        assert (hours.open_now, hours.next_open_at) == (False, datetime(2021, 5, 10, 7, 30, tzinfo=HKT))


def test_every_job_keeps_the_hours_when_the_config_asks(tmp_path: Path) -> None:
    made = memory_desk(tmp_path)
    made.config_path.write_text(
        made.config_path.read_text().replace("check_hours = false", "check_hours = true")
    )
    made.clock.set(datetime(2021, 5, 8, 4, 0, tzinfo=HKT))
    with Desk.open(
        made.config_path, clock=made.clock, sleep=made.clock.sleep, transport=made.facility.connect
    ) as desk:
        assert desk.sync().status is SyncStatus.CONNECTION
        with pytest.raises(OutsideOperationHours):
            desk.renew_key("CXYZ001")
        assert desk.ledger.sign_ons() == []  # nothing was spent
        assert list((tmp_path / "keys").glob("CXYZ001-*")) == []  # and no key was generated


def test_the_ledger_is_one_connection_per_thread(tmp_path: Path) -> None:
    made = securities(tmp_path)
    with made.desk as desk:
        desk.sync()
        seen: list[tuple[int, int]] = []

        def read() -> None:
            seen.append((id(desk.ledger), len(desk.history())))

        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
        assert seen == [(seen[0][0], 3)]
        assert seen[0][0] != id(desk.ledger)


# -- keys ---------------------------------------------------------------------------------------


def test_renewal_through_the_desk_switches_the_config_and_key_status_follows(tmp_path: Path) -> None:
    made = memory_desk(tmp_path)
    old = public_key_of_private(tmp_path / "keys" / "CXYZ001").md5_fingerprint
    with made.desk as desk:
        outcome = desk.renew_key("CXYZ001", wait_seconds=5)
        assert outcome.success, outcome.message
        assert outcome.expires_on == date(2023, 5, 7)
        assert outcome.overlap_until == date(2021, 5, 20)
        assert outcome.new_key is not None
        assert outcome.new_key.parent.name.startswith("CXYZ001-20210507-")
    with Desk.open(made.config_path, clock=made.clock) as desk:
        (status,) = desk.key_status()
        assert status.fingerprint != old
        assert status.fingerprint == public_key_of_private(outcome.new_key).md5_fingerprint
        assert (status.valid_from, status.urgency, status.overlap_until) == (
            DAY,
            KeyUrgency.OK,
            date(2021, 5, 20),
        )
        assert status.last_renewal == "success"
        assert status.as_dict()["expires_on"] == "2023-05-07"
        assert [u.result for u in desk.ledger.uploads()] == [UploadResult.SUCCESS]


def test_key_files_fingerprints_and_the_registration_package(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = Desk.new_key_pair("CXYZ001", keys)
    Desk.new_key_pair("CXYZ002", keys)
    assert Desk.read_public_key(first.public).md5_fingerprint == first.key.md5_fingerprint
    with pytest.raises(ConfigurationError, match="never overwritten"):
        Desk.new_key_pair("CXYZ001", keys)
    package = Desk.register_keys("CXYZ", keys, ["203.0.113.10", "203.0.113.11"])
    assert package.members == (
        "CXYZ001.fpt",
        "CXYZ001.pub",
        "CXYZ002.fpt",
        "CXYZ002.pub",
        "CXYZ_IP_address_template.xlsx",
    )
    with pytest.raises(InputRejected, match="not in the same subnet"):
        Desk.register_keys("CXYZ", keys, ["203.0.113.10", "198.51.100.1"], tmp_path)


def test_write_config_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "cpdesk.toml"
    Desk.write_config(path, "CXYZ")
    assert 'participant = "CXYZ"' in path.read_text()
    with pytest.raises(ConfigurationError, match="not overwritten"):
        Desk.write_config(path, "CABC")


def test_host_keys_are_shown_then_pinned(make_site: SiteFactory) -> None:
    site = make_site(publish=False, trust=False)
    site.config()
    with Desk.open(site.folder / "cpdesk.toml") as desk:
        (check,) = desk.host_keys()
        assert check.key is not None
        assert not check.trusted
        assert not check.changed
        assert check.sha256.startswith("SHA256:")
        assert len(check.md5.split(":")) == 16
        desk.pin_host_key(check)
        (again,) = desk.host_keys()
        assert again.trusted


# -- LOP reports --------------------------------------------------------------------------------


def test_lop_validation_of_a_path_a_stream_and_a_live_sheet_agree(tmp_path: Path) -> None:
    content = book([future_row(), future_row(HKATS_Code="MHI", Short_Position=2.5)])
    (tmp_path / NAME).write_bytes(content)
    made = memory_desk(tmp_path)
    made.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=HKT))
    with made.desk as desk:
        from_path = desk.validate_lop(tmp_path / NAME)
        from_stream = desk.validate_lop(io.BytesIO(content), name=NAME)
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content))["LOP"]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        from_sheet = desk.validate_lop_sheet(NAME, rows)
    expected = [("LOP", "M3", "Short Position: 2.5 is not a whole number of contracts")]
    for result in (from_path, from_stream, from_sheet):
        assert [(p.sheet, p.cell, p.message) for p in result.problems if p.is_error] == expected
        assert result.rows == 2


def test_lop_upload_and_results_through_the_desk(tmp_path: Path) -> None:
    made = memory_desk(tmp_path)
    made.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=HKT))
    path = tmp_path / NAME
    path.write_bytes(book([future_row()]))
    with made.desk as desk:
        (outcome,) = desk.upload_lop([path], wait_seconds=10)
        assert outcome.status is LopOutcome.SUCCESS, outcome.message
        (again,) = desk.upload_lop([path])
        assert again.status is LopOutcome.DUPLICATE
        (record,) = desk.lop_results()
        assert (record.file, record.result, record.account) == (NAME, UploadResult.SUCCESS, "CXYZ001")
        assert record.result_file is not None
        assert record.result_file.startswith("Result.20261124.")
        assert made.facility.file("LOPREPORT", NAME) is not None


def test_lop_templates_are_written_once(tmp_path: Path) -> None:
    desk = Desk.standalone()
    (written,) = desk.lop_templates("LOPBI", tmp_path, "00CFB", "20261120")
    assert written.path.name == "LOPBI_00CFB_20261120.xlsx"
    assert written.sheet == "LOP"
    with pytest.raises(FileExistsError):
        desk.lop_templates("LOPBI", tmp_path, "00CFB", "20261120")
    with pytest.raises(ConfigurationError, match="together"):
        desk.lop_templates("LOPBI", tmp_path, "00CFB")


# -- reports and margin -------------------------------------------------------------------------


def test_report_check_show_and_mstd_from_files(tmp_path: Path) -> None:
    (tmp_path / seed003.CONTROL_NAME).write_bytes(seed003.control_zip())
    (tmp_path / seed003.DATA_NAME).write_bytes(seed003.data_zip())
    (tmp_path / "notes.txt").write_text("hello")
    desk = Desk.standalone()
    found = desk.check_reports([tmp_path])
    assert found.ok
    assert [c.as_dict()["record_count"] for c in found.checks] == [3]
    assert [s.path.name for s in found.skipped] == ["notes.txt"]
    missing = desk.check_reports([tmp_path / "absent.CSV.ZIP"])
    assert not missing.ok
    assert missing.unusable[0].code is ProblemCode.UNREADABLE
    view = desk.show_report(tmp_path / seed003.CONTROL_NAME)  # the data file beside it is shown
    assert view.ok
    assert [row["market"] for row in view.rows] == ["MAMK", "SZMK"]
    mstd = desk.reconcile_mstd(tmp_path / seed003.DATA_NAME)
    assert mstd.ok
    assert [r.recomputed.requirement_cny for r in mstd.results] == [473535, 1498719]


def test_mstd_from_figures() -> None:
    # Seed 003's SZMK row: daily 1,073,766; monthly 1,498,719.
    result = Desk.mstd(
        MstdInputs(
            buy_turnover_cny=Decimal("5965368.27"),
            overdue_short_position_cny=Decimal(0),
            spsa_sell_turnover_cny=Decimal(0),
            average_daily_buy_turnover_cny=Decimal("8326215.81"),
            average_overdue_short_position_cny=Decimal(0),
            average_daily_spsa_sell_turnover_cny=Decimal(0),
            deposit_rate=Decimal("0.18"),
        )
    )
    assert (result.daily_cny, result.monthly_cny, result.requirement_cny) == (1073766, 1498719, 1498719)


def test_margin_from_streams_gives_the_guides_figures(guide_parameters: object) -> None:
    from dataclasses import replace

    from cpdesk.engine.margin import MarginParameters

    assert isinstance(guide_parameters, MarginParameters)
    request = MarginRequest(
        rpf=io.BytesIO(samples.GUIDE_RPF.read_bytes()),
        positions=io.BytesIO(samples.GUIDE_POSITIONS.read_bytes()),
        parameters=replace(guide_parameters, flat_groups=None),
        flat_groups=io.BytesIO(samples.GUIDE_FLAT_GROUPS.read_bytes()),
        lenient=True,
    )
    outcome = Desk.margin(request)
    assert outcome.result is not None
    breakdown = outcome.result.breakdown
    assert (breakdown.portfolio_margin, breakdown.flat_rate_margin, breakdown.aggregated_rounded) == (
        10_000_000,
        15_180_000,
        46_930_000,
    )
    assert breakdown.total == 67_717_169
    strict = Desk.margin(
        MarginRequest(rpf=samples.GUIDE_RPF, positions=samples.GUIDE_POSITIONS, use_cache=False)
    )
    assert strict.result is None
    assert strict.needs_lenient


def test_a_desk_without_configuration_says_how_to_make_one() -> None:
    with pytest.raises(ConfigurationError, match="cpdesk init"):
        Desk.standalone().sync()
