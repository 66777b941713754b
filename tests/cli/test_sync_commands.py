"""``cpdesk init``, ``cpdesk facility trust``, ``cpdesk demo`` and configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.sftp.hostkeys import KnownHosts, sha256_fingerprint
from cpdesk.connectors.store.archive import Archive, unsafe_remote_name
from cpdesk.desk.config import load_config, render_template
from tests.support.sites import SiteFactory


def test_init_writes_a_commented_config_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cpdesk.toml"
    assert main(["init", "--participant", "CXYZ", "--config", str(path)]) == 0
    text = path.read_text()
    for word in ("participant", "accounts", "key", "profile", "site", "known_hosts", "archive", "ledger"):
        assert word in text
    assert text.count("#") > 10
    config = load_config(path)
    facility = config.facilities[0]
    assert [a.account for a in facility.accounts] == ["CXYZ001", "CXYZ002"]
    assert str(facility.addresses[0]) == "10.151.14.121:10022"
    assert config.known_hosts == tmp_path / "known_hosts"
    assert main(["init", "--config", str(path)]) == 2  # never overwritten
    assert "not overwritten" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("CXYZ001", "cxyz001"), "does not match"),
        (('site = "primary"', 'site = "tertiary"'), "site 'tertiary' is not one of"),
        (('profile = "derivatives"', 'profile = "moon"'), "not built in"),
        (('participant = "CXYZ"', 'participant = ""'), "participant: must be the participant code"),
        (('participant = "CXYZ"', "participant = 123"), r"cpdesk.toml:\d+: \[\[facility\]\] #1 participant"),
        (('archive = "archive"', 'archvie = "archive"'), r"cpdesk.toml:5: archvie: not a key cpdesk knows"),
        (("holidays = []", "holidays = 5"), r"cpdesk.toml:\d+: holidays: must be a list of dates"),
        (("check_hours = true", 'check_hours = "false"'), "check_hours: must be true or false"),
        (("max_wait_seconds = 0", 'max_wait_seconds = "abc"'), "max_wait_seconds: must be a number"),
        (('name = "derivatives"', 'name = "../../x"'), "name: must be letters, digits"),
        (('name = "derivatives"', 'name = "/tmp/x"'), "name: must be letters, digits"),
        (('archive = "archive"', "archive = { path = 'x' }"), "archive: must be text"),
        (('name = "CXYZ002"', 'name = "CABC002"'), "account CABC002 does not belong to participant CXYZ"),
    ],
)
def test_configuration_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "cpdesk.toml"
    path.write_text(render_template("CXYZ").replace(*change))
    with pytest.raises(ConfigurationError, match=message):
        load_config(path)


def test_sync_with_a_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "cpdesk init" in capsys.readouterr().err


def test_trust_pins_only_the_confirmed_fingerprint(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(trust=False, publish=False)
    site.config()
    config = str(site.folder / "cpdesk.toml")
    assert main(["facility", "trust", "--config", config, "--fingerprint", "SHA256:wrong"]) == 1
    assert "not trusted (fingerprint differs)" in capsys.readouterr().err
    assert KnownHosts(site.folder / "known_hosts").pinned(site.address) == []
    fingerprint = sha256_fingerprint(site.facility.host_public_key())
    assert main(["facility", "trust", "--config", config, "--fingerprint", fingerprint]) == 0
    out = capsys.readouterr().out
    assert fingerprint in out
    assert "MD5:" in out
    assert "pinned" in out
    assert main(["facility", "trust", "--config", config]) == 0
    assert "already trusted" in capsys.readouterr().out
    assert len(site.facility.sign_ons) == 0  # trusting needs no sign-on


def test_trust_refuses_a_changed_key_without_replace(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    import paramiko

    site = make_site(trust=False, publish=False)
    site.config()
    KnownHosts(site.folder / "known_hosts").add(site.address, paramiko.RSAKey.generate(2048))
    assert (
        main(
            [
                "facility",
                "trust",
                "--config",
                str(site.folder / "cpdesk.toml"),
                "--fingerprint",
                sha256_fingerprint(site.facility.host_public_key()),
            ]
        )
        == 1
    )
    assert "differs from the pinned key" in capsys.readouterr().err


def test_demo_headless_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--headless", "--json", "--rpf-instruments", "50"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files_on_server"] == summary["downloaded"] == summary["verified"] == 43
    assert summary["second_run_downloaded"] == 0
    assert summary["sign_ons"] == 4  # two facilities, two runs, one sign-on each
    assert summary["failed"] == 0


def test_archive_never_writes_outside_its_root(tmp_path: Path) -> None:
    from datetime import date

    archive = Archive(tmp_path / "archive")
    for bad in ("../x", ".x", "a/b", "a\\b", "c:d", "tab\there", " padded ", "x" * 300):
        assert unsafe_remote_name(bad), bad
        with pytest.raises(ValueError, match="name"):
            archive.final_path(date(2021, 5, 7), "COMMON", bad)
    with pytest.raises(ValueError, match="cannot be used in the archive"):
        archive.final_path(date(2021, 5, 7), "../COMMON", "x.csv")
    assert archive.final_path(date(2021, 5, 7), "INBOX/20210507", "x.csv") == (
        tmp_path / "archive/2021-05-07/INBOX/20210507/x.csv"
    )


def test_a_configuration_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cpdesk.toml"
    path.write_bytes(render_template("CXYZ").encode("utf-16"))
    with pytest.raises(ConfigurationError, match="not UTF-8 text"):
        load_config(path)


def test_every_wrong_key_is_named_at_once(tmp_path: Path) -> None:
    path = tmp_path / "cpdesk.toml"
    text = render_template("CXYZ").replace('archive = "archive"', 'archvie = "archive"')
    path.write_text(text.replace("check_hours = true", "check_hours = 1"))
    with pytest.raises(ConfigurationError) as caught:
        load_config(path)
    assert len(str(caught.value).splitlines()) == 2


def test_history_lists_the_ledger_by_date_and_facility(
    make_site: SiteFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site()
    site.config(check_hours="false")
    config = str(site.folder / "cpdesk.toml")
    assert main(["sync", "--config", config, "--json"]) == 0
    capsys.readouterr()
    assert main(["history", "--config", config, "--date", "2021-05-07", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 7
    assert {row["result"] for row in rows} == {"verified"}
    assert main(["history", "--config", config, "--date", "2021-05-06", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["history", "--config", config, "--facility", "moon"]) == 2
    assert "no facility 'moon'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["history", "--config", config, "--date", "7 May"])
    assert usage.value.code == 2


def test_init_writes_a_working_block_for_each_facility_asked_for(tmp_path: Path) -> None:
    both = tmp_path / "both.toml"
    args = ["init", "--config", str(both), "--facility", "both", "--participant", "CXYZ"]
    assert main([*args, "--rap-participant", "B01234", "--rap-host", "10.1.2.3:22"]) == 0
    config = load_config(both)
    assert [(f.name, f.participant, f.profile.name) for f in config.facilities] == [
        ("derivatives", "CXYZ", "derivatives"),
        ("securities", "B01234", "securities-rap"),
    ]
    assert [a.account for a in config.facilities[1].accounts] == ["B01234"]
    rap = tmp_path / "rap.toml"
    assert (
        main(["init", "--config", str(rap), "--facility", "securities", "--rap-participant", "B01234"]) == 2
    )
    assert not rap.exists()  # no RAP address: nothing written
    assert main(["init", "--config", str(rap), "--participant", "cxyz"]) == 2
    assert main(["init", "--config", str(rap), "--participant", "../x"]) == 2
    assert not rap.exists()
