"""Keys end to end: files and fingerprints (against ssh-keygen), the registration package, and
self-service renewal against the simulated facility (its clock decides validity)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from cpdesk.connectors.errors import AuthenticationFailed, PermissionDenied, UploadLimitReached
from cpdesk.connectors.sftp.profile import HKT
from cpdesk.connectors.store.keyfiles import new_key_pair, public_key_of_private
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk import Desk
from cpdesk.desk.config import load_config
from cpdesk.desk.renewal import RenewalOutcome, renew_key
from cpdesk.engine.keys import KeyUrgency, parse_public_key
from cpdesk.engine.status import UploadKind
from tests.support.paths import REPO
from tests.support.sites import Site, SiteFactory, probe_session
from tests.support.sites import run_sync as sync_run

SEED_000 = REPO.parent / "shared" / "seeds" / "000_a2862eb1aee961bd.txt"
SEED_KEY = """----- BEGIN SSH2 PUBLIC KEY -----
Comment: SSH KEY
AAAAB3NzaC1kc3MAAACBAPY8ZOHY2yFSJA6XYC9HRwNHxaehvx5wOJ0rzZdzoSOXxbET
W6ToHv8D1UJ/z+zHo9Fiko5XybZnDIaBDHtblQ+Yp7StxyltHnXF1YLfKD1G4T6JYrdH
YI14Om1eg9e4NnCRleaqqZPF3UGfZia6bXrGTQf3gJq2e7Yisk/gF+1VAAAAFQDb8D5c
vwHWTZDPfX0D2s9Rd7NBvQAAAIEA1N92+Bb7D4KLYk3IwRbXblwXdkPggA4pfdtW9vGf
J0/RHd+NjB4eo1D+0dix6tXwYGN7PKS5R/FXPNwxHPapcj9uL1Jn2AWQ2dsknf+i/FAA
vioUPkmdMc0zuWoSOEsSNhVDtX3WdvVcGcBq9cetzrtOKWOocJmJ80qadxTRHtUAAACB
AN7CY+KKv1gHpRzFwdQm7HK9bb1LAo2KwaoXnadFgeptNBQeSXG1vO+JsvphVMBJc9HS
n24VYtYtsMu74qXviYjziVucWKjjKEb11juqnF0GD1B3VvmxHLmxnAz643WK42Z7dLM5
sY29ouezv4Xz2PuMch5VGPP+CDqzCM41oWgV
----- END SSH2 PUBLIC KEY -----
"""


def ssh_keygen_md5(openssh_line: str, tmp_path: Path) -> str:
    tool = shutil.which("ssh-keygen")
    if tool is None:
        if os.environ.get("CPDESK_REQUIRE_SSHD"):
            pytest.fail("ssh-keygen is required here but not installed")
        pytest.skip("ssh-keygen (openssh-client) is not installed on this machine")
    path = tmp_path / "key.openssh.pub"
    path.write_text(openssh_line + "\n")
    out = subprocess.run(
        [tool, "-l", "-E", "md5", "-f", str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[1].removeprefix("MD5:")


# -- files and fingerprints ------------------------------------------------------------------


def test_new_key_pair_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "new", "CXYZ001", "--dir", str(tmp_path)]) == 0
    private, public, fpt = tmp_path / "CXYZ001", tmp_path / "CXYZ001.pub", tmp_path / "CXYZ001.fpt"
    assert private.stat().st_mode & 0o777 == 0o600
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    lines = public.read_text().splitlines()
    assert (lines[0], lines[-1]) == ("---- BEGIN SSH2 PUBLIC KEY ----", "---- END SSH2 PUBLIC KEY ----")
    assert lines[1].startswith("Comment: ")
    assert all(len(line) <= 70 for line in lines[2:-1])
    key = parse_public_key(public.read_text())
    assert (key.key_type, key.bits) == ("ssh-rsa", 2048)
    assert fpt.read_text() == key.md5_fingerprint + "\n"
    assert len(key.md5_fingerprint.split(":")) == 16
    assert key.md5_fingerprint == key.md5_fingerprint.lower()
    assert public_key_of_private(private).blob == key.blob
    assert key.md5_fingerprint in capsys.readouterr().out


def test_generated_fingerprints_equal_ssh_keygens(tmp_path: Path) -> None:
    pair = new_key_pair("CXYZ002", tmp_path)
    assert ssh_keygen_md5(pair.key.openssh(), tmp_path) == pair.key.md5_fingerprint
    tool = shutil.which("ssh-keygen")
    assert tool is not None
    converted = subprocess.run(
        [tool, "-i", "-f", str(pair.public)], capture_output=True, text=True, check=True
    )
    assert parse_public_key(converted.stdout).blob == pair.key.blob  # ssh-keygen reads our SSH2 file


def test_the_seeds_example_key_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if SEED_000.exists():
        assert all(
            line.strip() in SEED_000.read_text().replace("  \n", "\n") for line in SEED_KEY.splitlines()
        )
    (tmp_path / "seed.pub").write_text(SEED_KEY)
    key = parse_public_key(SEED_KEY)
    assert (key.key_type, key.comment) == ("ssh-dss", "SSH KEY")
    assert (
        ssh_keygen_md5(key.openssh(), tmp_path)
        == key.md5_fingerprint
        == "f9:55:fc:e1:ba:82:5a:1d:1e:1e:76:d8:ba:59:c9:61"
    )
    assert main(["keys", "fingerprint", str(tmp_path / "seed.pub"), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["md5"], shown["type"]) == (key.md5_fingerprint, "ssh-dss")


def test_keys_new_refuses_bad_names_and_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "new", "cxyz001", "--dir", str(tmp_path)]) == 2
    assert "capitals" in capsys.readouterr().err
    assert main(["keys", "new", "CXYZ001", "--dir", str(tmp_path)]) == 0
    before = (tmp_path / "CXYZ001").read_bytes()
    assert main(["keys", "new", "CXYZ001", "--dir", str(tmp_path)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert (tmp_path / "CXYZ001").read_bytes() == before


def test_passphrase_protected_key(tmp_path: Path) -> None:
    (tmp_path / "pass").write_text("correct horse\n")
    assert (
        main(["keys", "new", "CXYZ001", "--dir", str(tmp_path), "--passphrase-file", str(tmp_path / "pass")])
        == 0
    )
    from cpdesk.connectors.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="cannot read the private key"):
        public_key_of_private(tmp_path / "CXYZ001")  # encrypted: useless without the passphrase
    public_key_of_private(tmp_path / "CXYZ001", b"correct horse")


# -- the registration package ----------------------------------------------------------------


@pytest.fixture
def key_folder(tmp_path: Path) -> Path:
    for account in ("CXYZ001", "CXYZ002"):
        new_key_pair(account, tmp_path / "keys")
    return tmp_path / "keys"


def test_registration_zip(key_folder: Path) -> None:
    assert (
        main(["keys", "register", "CXYZ", "--ip", "10.1.2.3", "--ip", "10.1.2.4", "--dir", str(key_folder)])
        == 0
    )
    with zipfile.ZipFile(key_folder / "CXYZ.zip") as package:
        assert sorted(package.namelist()) == [
            "CXYZ001.fpt",
            "CXYZ001.pub",
            "CXYZ002.fpt",
            "CXYZ002.pub",
            "CXYZ_IP_address_template.xlsx",
        ]
        contents = {name: package.read(name) for name in package.namelist()}
    assert contents["CXYZ001.pub"] == (key_folder / "CXYZ001.pub").read_bytes()
    with zipfile.ZipFile(io.BytesIO(contents["CXYZ_IP_address_template.xlsx"])) as workbook:
        xml = b"".join(workbook.read(n) for n in workbook.namelist())
    assert b"10.1.2.3" in xml
    assert b"10.1.2.4" in xml
    assert b"CXYZ002.pub" in xml
    everything = b"".join(contents.values()) + xml
    assert b"PRIVATE KEY" not in everything
    assert (key_folder / "CXYZ001").read_bytes()[:40] not in everything


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing-fpt", "CXYZ002.fpt missing"),
        ("wrong-fpt", "CXYZ001.fpt says"),
        ("private-in-pub", "a private key is in CXYZ001.pub"),
        ("not-a-key", "CXYZ002.pub: neither SSH2"),
        ("ips-apart", "are not in the same subnet"),
        ("one-ip", "exactly two workstation IP addresses"),
        ("bad-ip", "'10.1.2.300' is not an IPv4 address"),
        ("exists", "already exists; not overwritten"),
    ],
)
def test_registration_refusals(
    key_folder: Path, damage: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ips = ["10.1.2.3", "10.1.2.4"]
    if damage == "missing-fpt":
        (key_folder / "CXYZ002.fpt").unlink()
    elif damage == "wrong-fpt":
        (key_folder / "CXYZ001.fpt").write_text("00:" * 15 + "00\n")
    elif damage == "private-in-pub":
        (key_folder / "CXYZ001.pub").write_bytes((key_folder / "CXYZ001").read_bytes())
    elif damage == "not-a-key":
        (key_folder / "CXYZ002.pub").write_text("hello")
    elif damage == "ips-apart":
        ips = ["10.1.2.3", "10.1.3.4"]
    elif damage == "one-ip":
        ips = ["10.1.2.3"]
    elif damage == "bad-ip":
        ips = ["10.1.2.3", "10.1.2.300"]
    elif damage == "exists":
        (key_folder / "CXYZ.zip").write_bytes(b"earlier")
    args = ["keys", "register", "CXYZ", "--dir", str(key_folder)] + [f"--ip={ip}" for ip in ips]
    assert main(args) == 1
    assert message in capsys.readouterr().err
    if damage != "exists":
        assert not (key_folder / "CXYZ.zip").exists()
    else:
        assert (key_folder / "CXYZ.zip").read_bytes() == b"earlier"


# -- renewal against the simulated facility ----------------------------------------------------


def renew(site: Site) -> RenewalOutcome:
    """``renew_key`` on the simulator's clock: waiting for the result file moves that clock on."""

    def sleep(seconds: float) -> None:
        site.clock.advance(seconds=seconds)

    config = load_config(site.folder / "cpdesk.toml")
    with Ledger(config.ledger) as ledger:
        return renew_key(config, site.account, ledger, clock=site.now, sleep=sleep)


def test_a_full_renewal(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config(check_hours="false")
    old_key = site.key
    outcome = renew(site)
    assert outcome.success, outcome.message
    config = load_config(site.folder / "cpdesk.toml")
    new_key = config.facilities[0].accounts[0].key_path
    assert new_key != old_key
    assert new_key.name == "CXYZ001"
    assert "previous key CXYZ001 works until 2021-05-20" in (site.folder / "cpdesk.toml").read_text()
    (event,) = site.facility.uploads
    assert (event.folder, event.name) == ("KEY_MANAGEMENT", "CXYZ001.pub")
    assert event.content == (new_key.parent / "CXYZ001.pub").read_bytes()
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        state = ledger.key_state("CXYZ001")
        (upload,) = ledger.uploads(UploadKind.KEY)
    assert state is not None
    assert (state["valid_from"], state["expires_on"], state["overlap_until"]) == (
        "2021-05-07",
        "2023-05-07",
        "2021-05-20",
    )
    assert state["fingerprint"] == public_key_of_private(new_key).md5_fingerprint
    assert state["previous_fingerprint"] == public_key_of_private(old_key).md5_fingerprint
    assert (upload.result, upload.result_file.endswith(".success.txt")) == ("success", True)

    with probe_session(site, new_key):  # the new key works at once
        pass
    site.clock.set(datetime(2021, 5, 20, 10, 0, tzinfo=HKT))  # day 14: the old key still works
    with probe_session(site, old_key):
        pass
    site.clock.set(datetime(2021, 5, 21, 10, 0, tzinfo=HKT))  # day 15: it is refused
    with pytest.raises(AuthenticationFailed):
        probe_session(site, old_key)
    with probe_session(site, new_key):
        pass
    site.clock.set(datetime(2023, 5, 8, 10, 0, tzinfo=HKT))  # 731 days on: no key works
    with pytest.raises(AuthenticationFailed):
        probe_session(site, new_key)


def test_a_failed_import_leaves_the_old_key_in_use(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(publish=False)
    site.config(check_hours="false")
    before = (site.folder / "cpdesk.toml").read_text()
    site.facility.faults.reject_key_imports = "key already registered to another account"
    outcome = renew(site)
    assert not outcome.success
    assert "HKEX refused the key: key already registered to another account" in outcome.message
    assert (site.folder / "cpdesk.toml").read_text() == before
    site.clock.set(datetime(2021, 6, 9, 10, 0, tzinfo=HKT))  # a month on, a Wednesday
    with probe_session(site, site.key):
        pass
    with Ledger(site.folder / "ledger.sqlite") as ledger:
        state = ledger.key_state("CXYZ001")
    assert state is not None
    assert state["last_renewal_result"] == "failed"


def test_the_sixth_key_upload_within_an_hour_is_never_attempted(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config(check_hours="false")
    for _ in range(5):
        assert renew(site).success
        site.clock.advance(minutes=6)  # keeps within the sign-on control
    with pytest.raises(UploadLimitReached, match="not attempted"):
        renew(site)
    assert len(site.facility.upload_attempts) == 5
    assert len(site.facility.sign_ons) == 5
    site.clock.advance(minutes=31)
    assert renew(site).success


def test_the_facility_blocks_a_sixth_key_upload(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    with probe_session(site, site.key) as fs:
        for n in range(5):
            fs.put(io.BytesIO(b"not a key"), "KEY_MANAGEMENT", "CXYZ001.pub")
            site.clock.advance(seconds=1 + n)
        with pytest.raises(PermissionDenied):
            fs.put(io.BytesIO(b"not a key"), "KEY_MANAGEMENT", "CXYZ001.pub")
        results = [e.name for e in fs.list("KEY_MANAGEMENT")]
    assert len(results) == 5
    assert all(name.endswith(".failed.txt") for name in results)


def test_expiry_warnings_reach_the_ledger_and_status(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(publish=False)
    (entry,) = site.facility.accounts["CXYZ001"]
    entry.valid_until = datetime(2021, 5, 17, 0, 0, tzinfo=HKT)  # last day 16 May: ten days away
    site.config(check_hours="false")
    result = sync_run(site)
    assert "SSHKeyExpireWarning_20210507.txt" in [f.name for f in result.files]
    with Desk.open(site.folder / "cpdesk.toml") as desk:
        (row,) = desk.key_status(today=date(2021, 5, 7))
    assert row.expiry_warning == "SSHKeyExpireWarning_20210507.txt"
    assert row.expires_on == date(2021, 5, 16)
    assert main(["keys", "status", "--config", str(site.folder / "cpdesk.toml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["account"] == "CXYZ001"


def test_status_from_a_registration_date(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.config()
    text = (
        (site.folder / "cpdesk.toml")
        .read_text()
        .replace('key = "keys/CXYZ001"', 'key = "keys/CXYZ001"\nregistered = "2020-03-01"')
    )
    (site.folder / "cpdesk.toml").write_text(text)
    with Desk.open(site.folder / "cpdesk.toml") as desk:
        (row,) = desk.key_status(today=date(2022, 2, 1))
    assert (row.expires_on, row.days_left, row.urgency) == (date(2022, 3, 1), 28, KeyUrgency.DUE)
    assert row.fingerprint == public_key_of_private(site.key).md5_fingerprint


def test_after_a_renewal_hkex_warning_about_the_old_key_is_not_held_against_the_new(
    make_site: SiteFactory,
) -> None:
    site = make_site(publish=False)
    site.config(check_hours="false")
    old = public_key_of_private(site.key).md5_fingerprint
    assert renew(site).success
    with Desk.open(site.folder / "cpdesk.toml", clock=site.now) as desk:
        (result,) = desk.sync().facilities  # HKEX warns daily about the old key: 14 days are left
        (warning_file,) = [f.name for f in result.files if f.name.startswith("SSHKeyExpireWarning_")]
        (row,) = desk.key_status(today=date(2021, 5, 7))
    assert row.urgency is KeyUrgency.OK
    assert row.expires_on == date(2023, 5, 7)
    assert row.expiry_warning == f"{warning_file} (about the replaced key {old}, not the key in use)"
