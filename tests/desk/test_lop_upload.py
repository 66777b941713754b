"""LOP upload against the simulated facility (real SSH on loopback, real SQLite ledger, real xlsx)."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from cpdesk.connectors.errors import OutsideOperationHours, PermissionDenied
from cpdesk.connectors.sftp.profile import HKT
from cpdesk.connectors.store.ledger import Ledger, UploadRow
from cpdesk.desk.config import load_config
from cpdesk.desk.lop import LopUpload, fetch_results, upload_reports
from cpdesk.engine.lop.results import parse_lop_result
from cpdesk.engine.lop.schema import load_schema
from cpdesk.engine.status import UploadKind
from cpdesk.simulator import lop as simulated_lop
from tests.support.lop_books import book, future_row
from tests.support.sites import Site, SiteFactory, probe_session

TRADE_DATE = "20210507"  # the simulator's day (a Friday)
NAME = f"LOPBI_00CFB_{TRADE_DATE}.xlsx"


def write_report(folder: Path, name: str = NAME, **changes: object) -> Path:
    path = folder / "reports" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(book([future_row(Trade_Date=TRADE_DATE, **changes)]))
    return path


def upload(site: Site, *paths: Path, wait: float = 30.0) -> list[LopUpload]:
    """``upload_reports`` on the simulator's clock: waiting moves that clock on."""

    def sleep(seconds: float) -> None:
        site.clock.advance(seconds=seconds)

    config = load_config(site.folder / "cpdesk.toml")
    with Ledger(config.ledger) as ledger:
        return upload_reports(
            config, list(paths), ledger, load_schema(), wait_seconds=wait, clock=site.now, sleep=sleep
        )


def ledger_rows(site: Site) -> list[UploadRow]:
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        return ledger.uploads(UploadKind.LOP)


def test_a_valid_report_is_uploaded_once_and_its_success_recorded(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    path = write_report(site.folder)
    [outcome] = upload(site, path)
    assert outcome.status == "success", outcome.message
    assert outcome.result is not None
    assert outcome.result.file_name == NAME
    assert outcome.result.file_size == path.stat().st_size
    [sent] = site.facility.uploads
    assert (sent.folder, sent.name, sent.content) == ("LOPREPORT", NAME, path.read_bytes())
    assert len(site.facility.sign_ons) == 1
    [row] = ledger_rows(site)
    assert (row.name, row.folder, row.result, row.size) == (NAME, "LOPREPORT", "success", path.stat().st_size)
    assert row.result_file == outcome.result.result_file
    assert row.result_file.startswith("Result.20210507.2130")


def test_a_re_upload_of_the_same_name_is_refused_before_any_network_traffic(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    path = write_report(site.folder)
    assert upload(site, path)[0].status == "success"
    site.clock.advance(minutes=10)
    path.write_bytes(book([future_row(Trade_Date=TRADE_DATE, Long_Position=900)]))  # corrected, same name
    [again] = upload(site, path)
    assert again.status == "duplicate"
    assert "already uploaded to /LOPREPORT at 2021-05-07 21:30 HKT, result success" in again.message
    assert len(site.facility.sign_ons) == 1  # no second sign-on
    assert len(site.facility.upload_attempts) == 1
    assert len(ledger_rows(site)) == 1


def test_an_invalid_report_is_never_uploaded(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    bad = write_report(site.folder, Long_Position=-5)
    [outcome] = upload(site, bad)
    assert outcome.status == "invalid"
    assert outcome.validation is not None
    assert [p.cell for p in outcome.validation.problems] == ["L2"]
    assert site.facility.uploads == []
    assert site.facility.upload_attempts == []
    assert site.facility.sign_ons == []  # nothing to send, so no sign-on at all
    assert ledger_rows(site) == []


def test_only_the_valid_reports_of_a_batch_are_sent_in_one_sign_on(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    good = write_report(site.folder)
    sol = site.folder / "reports" / f"SOLBI_SBCFB_{TRADE_DATE}.xlsx"
    sol.write_bytes(b"a CSV saved with the wrong extension")
    other = write_report(site.folder, f"LOPTO_00CFB_{TRADE_DATE}.xlsx")  # LOPBI's columns: wrong header
    outcomes = upload(site, good, sol, other)
    assert [o.status for o in outcomes] == ["success", "invalid", "invalid"]
    assert [u.name for u in site.facility.uploads] == [NAME]
    assert len(site.facility.sign_ons) == 1


def test_a_failed_result_is_recorded(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    site.facility.faults.fail_lop_reports = True
    [outcome] = upload(site, write_report(site.folder))
    assert outcome.status == "failed"
    assert "REJECTED by HKEX" in outcome.message
    assert ledger_rows(site)[0].result == "failed"


def test_a_late_result_is_fetched_afterwards(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    site.facility.upload_hooks.remove(simulated_lop.answer_upload)  # HKEX is slow today
    [outcome] = upload(site, write_report(site.folder), wait=10)
    assert outcome.status == "sent"
    assert "no result file in /LOPRESULT within 10 s" in outcome.message
    assert ledger_rows(site)[0].result == "sent"

    [event] = site.facility.uploads
    site.clock.advance(minutes=5)
    simulated_lop.answer_upload(site.facility, event)  # the answer arrives later
    config = load_config(site.folder / "cpdesk.toml")
    with Ledger(config.ledger) as ledger:
        [result] = fetch_results(config, ledger, clock=site.now)
        assert (result.file_name, result.success) == (NAME, True)
        assert fetch_results(config, ledger, clock=site.now) == []  # nothing waits: no sign-on
    assert ledger_rows(site)[0].result == "success"
    assert len(site.facility.sign_ons) == 2


def test_outside_operation_hours_nothing_is_sent_and_the_name_stays_free(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    site.clock.set(datetime(2021, 5, 8, 4, 0, tzinfo=HKT))  # Saturday 04:00, after the 03:30 close
    with pytest.raises(OutsideOperationHours, match="nothing sent"):
        upload(site, write_report(site.folder))
    assert site.facility.sign_ons == []
    assert [r.result for r in ledger_rows(site)] == ["released"]
    site.clock.set(datetime(2021, 5, 10, 9, 0, tzinfo=HKT))  # Monday morning: the name is still free
    assert upload(site, write_report(site.folder))[0].status == "success"


def test_the_facility_refuses_to_modify_or_delete_lop_reports(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    with probe_session(site, site.key) as fs:
        fs.put(io.BytesIO(book([future_row(Trade_Date=TRADE_DATE)])), "LOPREPORT", NAME)
        with pytest.raises(PermissionDenied):
            fs.put(io.BytesIO(b"again"), "LOPREPORT", NAME)
        with pytest.raises(PermissionError):
            fs.sftp.remove(f"/LOPREPORT/{NAME}")
        with pytest.raises(PermissionError):
            fs.sftp.rename(f"/LOPREPORT/{NAME}", "/LOPREPORT/other.xlsx")
        with pytest.raises(PermissionError):
            fs.sftp.open("/LOPREPORT/LOPBI_00CFB_20210507.xlsx.part", "w").close()  # no temporary names
        results = fs.list("LOPRESULT")
    assert len(results) == 1
    assert list(site.facility.store.files(f"participant/{site.participant}/LOPREPORT")) == [NAME]


def test_the_facility_answers_failed_for_a_bad_name_or_a_non_xlsx(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    with probe_session(site, site.key) as fs:
        fs.put(io.BytesIO(b"not a workbook"), "LOPREPORT", NAME)
        site.clock.advance(seconds=1)
        fs.put(io.BytesIO(book([future_row()])), "LOPREPORT", "positions.xlsx")
        verdicts = {}
        for entry in fs.list("LOPRESULT"):
            sink = io.BytesIO()
            fs.get("LOPRESULT", entry.name, sink)
            result = parse_lop_result(entry.name, sink.getvalue().decode())
            verdicts[result.file_name] = result.success
    assert verdicts == {NAME: False, "positions.xlsx": False}


def test_concurrent_ledgers_on_a_fresh_file_claim_a_name_once(tmp_path: Path) -> None:
    """Eight connections open a new ledger at once (each switching it to WAL) and race for one name."""
    claims: list[int | UploadRow] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(8, timeout=30)

    def claim() -> None:
        try:
            barrier.wait()
            with Ledger(tmp_path / "ledger.sqlite") as ledger:
                row = UploadRow(
                    None, "derivatives", "CXYZ001", UploadKind.LOP, "LOPREPORT", NAME, 10, "", 1.0
                )
                claims.append(ledger.claim_upload_name(row))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(isinstance(c, int) for c in claims) == 1
    assert len(claims) == 8


def test_the_command_line_upload_and_results(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(publish=False)
    site.config(check_hours=False)  # the command runs on the machine's clock, not the simulator's
    path = write_report(site.folder)
    config = str(site.folder / "cpdesk.toml")
    assert main(["lop", "upload", str(path), "--config", config, "--wait", "30"]) == 0
    assert "accepted by HKEX" in capsys.readouterr().out
    assert main(["lop", "upload", str(path), "--config", config]) == 1
    assert "not sent again" in capsys.readouterr().err
    assert main(["lop", "results", "--config", config, "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["file"], listed["result"]) == (NAME, "success")
    assert listed["result_file"].startswith("Result.")
    assert len(site.facility.uploads) == 1


def test_the_command_line_refuses_an_invalid_report_with_its_cells(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(publish=False)
    site.config(check_hours=False)
    path = write_report(site.folder, Country="Hong Kong")
    assert main(["lop", "upload", str(path), "--config", str(site.folder / "cpdesk.toml")]) == 1
    err = capsys.readouterr().err
    assert f"{NAME}: LOP!F2: Country 'Hong Kong' is not a two-letter ISO country code" in err
    assert "not sent" in err
    assert site.facility.sign_ons == []


def test_a_connection_drop_mid_upload_keeps_the_name_taken_and_frees_the_rest(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    first = write_report(site.folder)
    second = write_report(site.folder, f"LOPTO_00CFB_{TRADE_DATE}.xlsx")
    second.write_bytes(book([_originator(future_row(Trade_Date=TRADE_DATE))], kind="LOPTO"))
    site.facility.faults.drop_upload_after_bytes = 1000
    outcomes = upload(site, first, second)
    assert [o.status for o in outcomes] == ["sent", "not-sent"]
    assert "upload interrupted" in outcomes[0].message
    assert [r.result for r in ledger_rows(site)] == ["sent", "released"]
    [cut] = site.facility.uploads  # what reached the server before the drop, kept there
    assert cut.content != first.read_bytes()
    site.clock.advance(minutes=6)
    again = upload(site, first, second)
    assert [o.status for o in again] == ["duplicate", "success"]  # the cut one may be on the server


def test_the_same_file_twice_in_one_command_is_sent_once(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    path = write_report(site.folder)
    outcomes = upload(site, path, path)
    assert [o.status for o in outcomes] == ["success", "duplicate"]
    assert outcomes[1].message == f"{NAME} is named twice; it is sent once"
    assert len(site.facility.uploads) == 1


def _originator(row: dict[str, object]) -> dict[str, object]:
    row["Transaction Originator Name"] = row.pop("Beneficial Owner Name")
    return row


def test_a_name_another_process_is_uploading_is_refused_with_that_reason(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    config = site.config()
    with Ledger(config.ledger) as ledger:
        row = UploadRow(None, site.name, "CXYZ002", UploadKind.LOP, "LOPREPORT", NAME, 10, "", site.now())
        assert isinstance(ledger.claim_upload_name(row), int)
    [outcome] = upload(site, write_report(site.folder))
    assert outcome.status == "duplicate"
    assert "is being uploaded since 2021-05-07 21:30 HKT (another cpdesk now" in outcome.message
    assert site.facility.sign_ons == []
