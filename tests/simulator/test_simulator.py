"""The simulated facility follows the guide: sign-on lock, hours, retention, folder permissions."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cpdesk.connectors.errors import AuthenticationFailed, PermissionDenied
from cpdesk.connectors.sftp.client import Credentials, SftpSession, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import HKT
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.simulator.server import next_five_minute_mark
from tests.support.sites import Site, SiteFactory


def session(site: Site, account: str | None = None) -> SftpSession:
    ledger = Ledger(site.folder / "ledger.sqlite")
    governor = SignOnGovernor(ledger, 1000, 300, site.now)
    return open_session(
        "test",
        site.facility.profile,
        [site.address],
        Credentials(account or site.account, site.key),
        KnownHosts(site.folder / "known_hosts"),
        governor,
    )


def at(hhmmss: str) -> datetime:
    return datetime.fromisoformat(f"2021-05-07T{hhmmss}").replace(tzinfo=HKT)


def test_unlock_is_at_the_next_five_minute_mark() -> None:
    assert next_five_minute_mark(at("12:47:31")) == at("12:50:00")
    assert next_five_minute_mark(at("12:50:00")) == at("12:55:00")


def test_locked_at_the_sixth_sign_on_until_the_next_mark(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    for moment in ("12:45:10", "12:45:40", "12:46:10", "12:46:40", "12:47:10"):
        site.clock.set(at(moment))
        assert site.facility.sign_on(site.account) is None
    site.clock.set(at("12:47:31"))
    assert site.facility.sign_on(site.account) == "sixth sign-on within five minutes: locked until 12:50:00"
    site.clock.set(at("12:49:59"))
    assert site.facility.sign_on(site.account) == "account locked until 12:50:00"
    site.clock.set(at("12:50:00"))
    assert site.facility.sign_on(site.account) is None


def test_a_locked_account_cannot_log_in(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    for _ in range(5):
        session(site).close()
    with pytest.raises(AuthenticationFailed):
        session(site)
    assert [s.accepted for s in site.facility.sign_ons] == [True] * 5 + [False]
    site.clock.set(next_five_minute_mark(site.clock.now()))
    session(site).close()


def test_no_sign_on_outside_operation_hours(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.clock.set(datetime(2021, 5, 8, 10, 0, tzinfo=HKT))  # Saturday
    with pytest.raises(AuthenticationFailed):
        session(site)
    assert site.facility.sign_ons[-1].reason == "outside operation hours"


def test_files_are_purged_ten_days_after_generation(make_site: SiteFactory) -> None:
    site = make_site()
    with session(site) as fs:
        assert fs.list("CXYZ")
    site.clock.set(site.clock.now() + timedelta(days=10))
    with session(site) as fs:
        assert fs.list("CXYZ"), "still there on the tenth day"
    site.clock.set(site.clock.now() + timedelta(days=1))
    with session(site) as fs:
        assert fs.list("CXYZ") == []


def test_folder_permissions(make_site: SiteFactory) -> None:
    site = make_site()
    with session(site) as fs:
        for folder in ("COMMON", "CXYZ", "LOPRESULT"):
            with pytest.raises(PermissionDenied):
                fs.put(io.BytesIO(b"x"), folder, "upload.txt")
        assert fs.put(io.BytesIO(b"xlsx"), "LOPREPORT", "LOPBI_00CFB_20210507.xlsx") == 4
        with pytest.raises(PermissionDenied):  # no overwrite
            fs.put(io.BytesIO(b"again"), "LOPREPORT", "LOPBI_00CFB_20210507.xlsx")
        with pytest.raises(PermissionDenied):  # upload only
            fs.get("LOPREPORT", "LOPBI_00CFB_20210507.xlsx", io.BytesIO())
        for temporary in ("CXYZ001.pub.filepart", ".CXYZ001.pub", "CXYZ001.pub.tmp"):
            with pytest.raises(PermissionDenied):
                fs.put(io.BytesIO(b"k"), "KEY_MANAGEMENT", temporary)
        fs.put(io.BytesIO(b"k"), "KEY_MANAGEMENT", "CXYZ001.pub")
        sftp = fs.sftp
        with pytest.raises(PermissionError):
            sftp.rename("/KEY_MANAGEMENT/CXYZ001.pub", "/KEY_MANAGEMENT/other.pub")
        with pytest.raises(PermissionError):
            sftp.remove("/KEY_MANAGEMENT/CXYZ001.pub")
        with pytest.raises(PermissionError):
            sftp.mkdir("/COMMON/new")
    stored = site.facility.store.get("participant/CXYZ/LOPREPORT", "LOPBI_00CFB_20210507.xlsx")
    assert stored is not None
    assert stored.content == b"xlsx"
    accepted = [e.name for e in site.facility.uploads if not e.name.endswith(("filepart", "tmp"))]
    assert "LOPBI_00CFB_20210507.xlsx" in accepted
    assert "CXYZ001.pub" in accepted


def test_each_account_sees_its_own_key_folder(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(publish=False)
    with session(site) as fs:
        fs.put(io.BytesIO(b"k"), "KEY_MANAGEMENT", "CXYZ001.pub")
        (result,) = [e.name for e in fs.list("KEY_MANAGEMENT")]
    assert result.startswith("Result.20210507.")
    assert result.endswith(".failed.txt")
    assert list(site.facility.store.files("account/CXYZ001/KEY_MANAGEMENT")) == [result]
    assert site.facility.store.files("account/CXYZ002/KEY_MANAGEMENT") == {}


def test_refused_logins_fault(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.facility.faults.refuse_logins = True
    with pytest.raises(AuthenticationFailed, match="authentication failed"):
        session(site)
    assert site.facility.sign_ons[-1].reason == "logins refused (fault injected)"
    site.facility.faults.refuse_logins = False
    session(site).close()


def test_with_a_state_folder_the_host_key_renewed_keys_and_uploads_survive_a_restart(tmp_path: Path) -> None:
    from cpdesk.connectors.sftp.profile import load_profile
    from cpdesk.connectors.store.keyfiles import write_new_rsa_key
    from cpdesk.simulator.server import SimulatedFacility
    from cpdesk.simulator.state import console_log

    state = tmp_path / "state"
    said: list[str] = []
    first = SimulatedFacility(load_profile("derivatives"), state_dir=state)
    console_log(first, said.append)
    first.authorize("CXYZ001", write_new_rsa_key(tmp_path / "CXYZ001"))
    first.store.put("account/CXYZ001/KEY_MANAGEMENT", "Result.20210507.213000.success.txt", b"ok", keep=True)
    first.store.put("participant/CXYZ/COMMON", "published.csv", b"day")  # made again at each start
    from cpdesk.simulator.state import save

    save(first, state)
    assert first.sign_on("CXYZ999") == "unknown account"
    assert any("sign-on CXYZ999: refused (unknown account)" in line for line in said)
    assert any(
        "wrote /account/CXYZ001/KEY_MANAGEMENT/Result.20210507.213000.success.txt" in line for line in said
    )

    again = SimulatedFacility(load_profile("derivatives"), state_dir=state)
    assert again.host_key.public_data == first.host_key.public_data
    assert [e.fingerprint for e in again.accounts["CXYZ001"]] == [
        e.fingerprint for e in first.accounts["CXYZ001"]
    ]
    kept = again.store.get("account/CXYZ001/KEY_MANAGEMENT", "Result.20210507.213000.success.txt")
    assert kept is not None
    assert kept.content == b"ok"
    assert again.store.get("participant/CXYZ/COMMON", "published.csv") is None
