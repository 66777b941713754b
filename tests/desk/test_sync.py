"""``cpdesk sync`` against the simulated facility: a real SSH server on loopback."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import paramiko

from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import load_config
from cpdesk.desk.sync import FacilitySync
from cpdesk.simulator.day import (
    HOSTILE_NAMES,
    publish_hostile_names,
    publish_intraday,
    publish_pair,
)
from tests.support.paths import REPO
from tests.support.sites import (
    CATALOGUE,
    DAY,
    Recorder,
    Site,
    SiteFactory,
    archived_files,
    run_sync,
)


def test_a_full_securities_day_is_synced_and_verified(make_site: SiteFactory) -> None:
    site = make_site("securities-rap", "B00001", "B00001", name="securities")
    result = run_sync(site)
    assert (result.status, result.sign_ons, result.failed) == ("ok", 1, 0)
    assert result.files_on_server == result.new == result.downloaded == result.verified == 36
    files = {f.name: f for f in result.files}
    data = files["RMCNM01_B00001_20210507200000.CSV.ZIP"]
    assert "pair verified" in data.detail
    assert data.archive_path.endswith(
        "archive/securities/2021-05-07/INBOX/20210507/RMCNM01_B00001_20210507200000.CSV.ZIP"
    )
    stored = site.facility.store.get(
        "participant/B00001/INBOX/20210507", "RMCNM01_B00001_20210507200000.CSV.ZIP"
    )
    assert stored is not None
    assert Path(data.archive_path).read_bytes() == stored.content
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        rows = {r.name: r for r in ledger.files()}
        assert rows[data.name].sha256 == hashlib.sha256(stored.content).hexdigest()
        assert rows[data.name].result == "verified"
        assert rows[data.name].business_date == "2021-05-07"
    assert len(archived_files(site)) == 36


def test_the_largest_report_is_fetched_first_with_its_control_file_before_its_data(
    make_site: SiteFactory,
) -> None:
    """The longest check (inflating the largest data file) then runs beside the other downloads."""
    site = make_site("securities-rap", "B00001", "B00001", name="securities")
    recorder = Recorder()
    result = run_sync(site, reporter=recorder)
    order = list(recorder.resumed)
    assert len(order) == result.downloaded == 36
    sizes = {f.name: f.size for f in result.files}

    def stem(name: str) -> str:
        return name.split(".", maxsplit=1)[0]

    report_bytes: dict[str, int] = {}
    for name in order:
        report_bytes[stem(name)] = report_bytes.get(stem(name), 0) + sizes[name]
    biggest = max(report_bytes, key=lambda s: report_bytes[s])
    assert order[:2] == [f"{biggest}.CNTL.ZIP", f"{biggest}.CSV.ZIP"]
    fetched = [report_bytes[stem(name)] for name in order]
    assert fetched == sorted(fetched, reverse=True)
    for name in order:
        if name.endswith(".CSV.ZIP") and f"{stem(name)}.CNTL.ZIP" in order:
            assert order.index(f"{stem(name)}.CNTL.ZIP") < order.index(name)


def test_a_second_run_downloads_nothing(make_site: SiteFactory) -> None:
    site = make_site()
    first = run_sync(site)
    assert (first.status, first.downloaded, first.verified) == ("ok", 7, 7)
    second = run_sync(site)
    assert (second.status, second.new, second.downloaded, second.sign_ons) == ("nothing-new", 0, 0, 1)
    assert len(site.facility.sign_ons) == 2


def test_a_dropped_download_resumes_and_never_leaves_a_partial_file_in_the_archive(
    make_site: SiteFactory,
) -> None:
    site = make_site("securities-rap", "B00001", "B00001", rpf_instruments=400)
    name = "RPF01_HKSCC_20210507210000.CSV.ZIP"
    stored = site.facility.store.get("shared/RPF", name)
    assert stored is not None
    assert len(stored.content) > 1_000_000
    site.facility.faults.drop_after_bytes = 600_000
    first = run_sync(site)
    assert first.status == "partial"
    interrupted = [f for f in first.files if f.result == "interrupted"]
    assert [f.name for f in interrupted] == [name]
    assert not (site.folder / "archive/securities-rap/2021-05-07/RPF" / name).exists()
    (partial,) = (site.folder / "archive/securities-rap/.partial/RPF").glob("*.part")
    kept = partial.stat().st_size
    assert 0 < kept < len(stored.content)

    recorder = Recorder()
    second = run_sync(site, reporter=recorder)
    assert recorder.resumed[name] == kept
    assert second.status == "ok"
    final = site.folder / "archive/securities-rap/2021-05-07/RPF" / name
    assert final.read_bytes() == stored.content
    assert not partial.exists()
    assert len(archived_files(site)) == 36


def test_the_sixth_sign_on_is_never_attempted(make_site: SiteFactory) -> None:
    site = make_site()
    statuses = [run_sync(site).status for _ in range(6)]
    assert statuses == ["ok"] + ["nothing-new"] * 4 + ["budget"]
    assert len(site.facility.sign_ons) == 5
    assert all(s.accepted for s in site.facility.sign_ons)
    site.clock.set(site.clock.now() + timedelta(seconds=306))
    assert run_sync(site).status == "nothing-new"


def sync_command(site: Site, *extra: str) -> list[str]:
    """``cpdesk sync`` in a separate process, on the site's configuration."""
    site.config(check_hours="false")
    return [
        sys.executable,
        "-m",
        "cpdesk.cli.main",
        "sync",
        *extra,
        "--config",
        str(site.folder / "cpdesk.toml"),
    ]


def test_processes_racing_never_make_a_sixth_sign_on(make_site: SiteFactory) -> None:
    site = make_site()
    command = sync_command(site, "--json")
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(7)]
    codes = sorted(p.wait(timeout=120) for p in runs)
    for p in runs:
        assert p.stdout is not None
        assert p.stderr is not None
        p.stdout.close()
        p.stderr.close()
    assert codes.count(5) == 2, codes  # sign-on budget exhausted: not attempted
    assert set(codes) <= {0, 3, 5}
    assert len(site.facility.sign_ons) == 5
    assert all(s.accepted for s in site.facility.sign_ons)


def test_hostile_names_are_skipped_and_nothing_leaves_the_archive(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    site = make_site()
    publish_hostile_names(site.facility, "participant/CXYZ/CXYZ")
    result = run_sync(site)
    skipped = {s.field for s in result.skipped_names}
    assert skipped == {repr(n) for n in HOSTILE_NAMES if n != ".."} | ({"'..'"} if ".." in skipped else set())
    assert result.verified == 7
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all("escape" not in p.name and "dir.csv" not in p.name for p in everything)
    assert not (tmp_path.parent / "escape.csv").exists()


def test_unknown_host_key_is_refused_before_any_sign_on(make_site: SiteFactory) -> None:
    site = make_site(trust=False)
    result = run_sync(site)
    assert result.status == "connection"
    assert "is not in" in result.message
    assert "cpdesk facility trust" in result.message
    assert site.facility.sign_ons == []
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        assert [r.outcome for r in ledger.sign_ons()] == ["released"]


def test_changed_host_key_is_refused(make_site: SiteFactory) -> None:
    site = make_site(trust=False)
    impostor = paramiko.RSAKey.generate(2048)
    KnownHosts(site.folder / "known_hosts").add(site.address, impostor)
    result = run_sync(site)
    assert result.status == "connection"
    assert "host key changed" in result.message
    assert site.facility.sign_ons == []


def test_wrong_private_key_gives_one_clear_error_and_no_retry(make_site: SiteFactory) -> None:
    site = make_site()
    site.facility.accounts[site.account].clear()
    site.facility.authorize(site.account, f"ssh-rsa {paramiko.RSAKey.generate(2048).get_base64()}")
    result = run_sync(site)
    assert result.status == "connection"
    assert "authentication failed" in result.message
    assert len(site.facility.sign_ons) == 1
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        assert [r.outcome for r in ledger.sign_ons()] == ["refused"]


def test_intraday_reports_are_fetched_again_when_they_change(make_site: SiteFactory) -> None:
    site = make_site()
    run_sync(site)
    site.clock.set(site.clock.now() + timedelta(minutes=5))
    publish_intraday(site.facility, "CXYZ", DAY, "HKCC", "14:00")
    again = run_sync(site)
    assert [(f.name, f.result) for f in again.files] == [("RPI03_HKCC_CXYZ_20210507.csv", "verified")]
    folder = site.folder / "archive/derivatives/2021-05-07/CXYZ"
    assert (folder / "RPI03_HKCC_CXYZ_20210507.csv").read_text().splitlines()[1].split(",")[1] == "14:00"
    assert (folder / "RPI03_HKCC_CXYZ_20210507.csv.20210507110000").exists()  # the earlier version is kept


def test_dry_run_and_retention_watch(make_site: SiteFactory) -> None:
    site = make_site()
    site.clock.set(site.clock.now() + timedelta(days=7))
    result = run_sync(site, dry_run=True)
    assert result.downloaded == 0
    assert {f.result for f in result.files} == {"would-download"}
    assert {r.days_left for r in result.retention} == {3}
    assert archived_files(site) == []


def test_a_broken_pair_is_archived_as_failed(make_site: SiteFactory) -> None:
    site = make_site("securities-rap", "B00001", "B00001", publish=False)
    at = site.clock.now().replace(hour=20, minute=0, second=0)
    publish_pair(
        site.facility, "participant/B00001/INBOX/20210507", "RMCNM01", "B00001", DAY, at, b"Batch,IDM\n1,2\n"
    )
    result = run_sync(site)
    assert result.status == "partial"
    assert {f.result for f in result.files} == {"failed"}
    assert any("header lacks field 'Buy Turnover'" in f.detail for f in result.files)


def test_both_host_key_signature_modes(make_site: SiteFactory) -> None:
    from cpdesk.connectors.sftp.client import Credentials, open_session
    from cpdesk.connectors.sftp.governor import SignOnGovernor

    for sha1_only, expected in ((True, "ssh-rsa"), (False, "rsa-sha2-512")):
        site = make_site(sha1_only=sha1_only)
        with Ledger(site.folder / f"l{sha1_only}.sqlite") as ledger:
            fs = open_session(
                "t",
                site.facility.profile,
                [site.address],
                Credentials(site.account, site.key),
                KnownHosts(site.folder / "known_hosts"),
                SignOnGovernor(ledger, 5, 300, site.now),
            )
            assert fs.transport.host_key_type == expected
            assert len(fs.list("CXYZ")) == 6
            fs.close()


def test_addresses_of_a_site_are_tried_in_turn(make_site: SiteFactory) -> None:
    site = make_site()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    result = run_sync(site, hosts=f'["127.0.0.1:{dead}", "{site.address}"]')
    assert (result.status, result.verified) == ("ok", 7)


def test_sync_command_json_and_exit_codes(make_site: SiteFactory) -> None:
    site = make_site()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = sync_command(site, "--json")
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert {k: summary[k] for k in ("files_on_server", "downloaded", "verified", "sign_ons", "status")} == {
        "files_on_server": 7,
        "downloaded": 7,
        "verified": 7,
        "sign_ons": 1,
        "status": "ok",
    }
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 3
    plain = subprocess.run(sync_command(site), capture_output=True, text=True, env=env, check=False)
    assert plain.returncode == 3
    assert "0 new" in plain.stdout


def test_a_passphrase_protected_key_signs_on_and_a_missing_passphrase_is_named(
    make_site: SiteFactory,
) -> None:
    site = make_site()
    key = site.folder / "keys" / site.account
    key.unlink()
    site.facility.accounts[site.account].clear()
    site.facility.authorize(site.account, write_new_rsa_key(key, passphrase=b"correct horse"))
    (site.folder / "keys" / "passphrase").write_text("correct horse\n")
    site.config(check_hours="false")
    toml = site.folder / "cpdesk.toml"
    toml.write_text(toml.read_text() + 'passphrase_file = "keys/passphrase"\n')
    config = load_config(toml)
    with Ledger(config.ledger) as ledger:
        result = FacilitySync(config, config.facilities[0], ledger, CATALOGUE, None, site.now).run()
    assert (result.status, result.verified) == ("ok", 7)

    without = run_sync(site)  # the same key, no passphrase_file
    assert without.status == "config"
    assert without.message == f"{site.account}: private key {key} is encrypted: give its passphrase_file"
    assert len(site.facility.sign_ons) == 1  # never tried to sign on without the key


def test_a_broken_rpf01_pair_is_failed_though_its_records_were_counted_as_it_arrived(
    make_site: SiteFactory,
) -> None:
    site = make_site("securities-rap", "B00001", "B00001", rpf_instruments=400)
    stem = "RPF01_HKSCC_20210507210000"
    wrong_count = b"00,20210507,20210507,RPF01,00000001\n09,0000000000000007\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.CNTL", wrong_count)
    site.facility.store.put("shared/RPF", f"{stem}.CNTL.ZIP", buffer.getvalue())
    stored = site.facility.store.get("shared/RPF", f"{stem}.CSV.ZIP")
    assert stored is not None
    content = zipfile.ZipFile(io.BytesIO(stored.content)).read(f"{stem}.CSV")
    records = sum(1 for line in content.split(b"\n") if line.strip())
    result = run_sync(site)
    files = {f.name: f for f in result.files}
    data = files[f"{stem}.CSV.ZIP"]
    assert data.result == "failed"
    assert data.detail == f"{stem}.CSV.ZIP: control file counts 7 records, data file has {records}"
    assert files["RMCNM01_B00001_20210507200000.CSV.ZIP"].result == "verified"
