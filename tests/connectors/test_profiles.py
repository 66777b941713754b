"""Facility profiles: the derivatives guide's values, account names, operation hours."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cpdesk.connectors.sftp.profile import (
    HKT,
    Address,
    ProfileError,
    TradingDays,
    load_profile,
    parse_profile,
)


def test_derivatives_profile_carries_the_guide() -> None:
    p = load_profile("derivatives")
    assert p.sites["primary"] == (Address("10.151.14.121", 10022), Address("10.151.14.122", 10022))
    assert p.sites["secondary"] == (Address("10.152.14.121", 10022), Address("10.152.14.122", 10022))
    assert p.algorithms.kex == (
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp521",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp256",
        "diffie-hellman-group-exchange-sha256",
    )
    assert p.algorithms.macs == ("hmac-sha2-512-96", "hmac-sha2-256")
    assert p.algorithms.ciphers == (
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-ctr",
        "aes192-ctr",
        "aes128-ctr",
    )
    assert "ssh-rsa" in p.algorithms.host_keys
    rules = {r.path: r for r in p.folders}
    assert (rules["COMMON"].download, rules["COMMON"].upload) == (True, False)
    assert (rules["{participant}"].download, rules["{participant}"].upload) == (True, False)
    assert (
        rules["KEY_MANAGEMENT"].upload,
        rules["KEY_MANAGEMENT"].download,
        rules["KEY_MANAGEMENT"].modify,
    ) == (True, True, False)
    assert (rules["LOPREPORT"].upload, rules["LOPREPORT"].download) == (True, False)
    assert (rules["LOPRESULT"].upload, rules["LOPRESULT"].download) == (False, True)
    assert (p.retention_days, p.sign_on_max, p.sign_on_window_seconds) == (10, 5, 300)
    assert (p.key_uploads_per_hour, p.key_uploads_per_day) == (5, 120)
    assert p.configurable == ()


def test_securities_profile_marks_its_unknowns() -> None:
    p = load_profile("securities-rap")
    assert "sites" in p.configurable
    assert "accounts.pattern" in p.configurable
    assert [r.path for r in p.folders] == ["INBOX", "COMMON", "RPF"]
    assert [r.dated_subfolders for r in p.folders] == [True, True, False]


@pytest.mark.parametrize(
    ("account", "ok"),
    [
        ("CXYZ001", True),
        ("CXYZ002", True),
        ("cxyz001", False),
        ("CXYZ003", False),
        ("CXYZ01", False),
        ("CXYZ0011", False),
    ],
)
def test_account_names(account: str, ok: bool) -> None:
    assert (load_profile("derivatives").check_account(account) is None) is ok


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2021, 5, 7, 7, 29, 59), False),  # Friday before opening
        (datetime(2021, 5, 7, 7, 30), True),
        (datetime(2021, 5, 7, 23, 59), True),
        (datetime(2021, 5, 8, 3, 29, 59), True),  # Saturday early morning: Friday's session
        (datetime(2021, 5, 8, 3, 30), False),
        (datetime(2021, 5, 8, 10, 0), False),  # Saturday
        (datetime(2021, 5, 10, 2, 0), False),  # Monday early morning: Sunday had no session
        (datetime(2021, 5, 11, 9, 0), False),  # a holiday
    ],
)
def test_operation_hours(moment: datetime, open_: bool) -> None:
    days = TradingDays([date(2021, 5, 11)])
    assert load_profile("derivatives").is_open(moment.replace(tzinfo=HKT), days) is open_


def test_latest_trading_day() -> None:
    assert TradingDays().latest_on_or_before(date(2021, 5, 9)) == date(2021, 5, 7)


def test_bad_profiles() -> None:
    with pytest.raises(ProfileError, match="not built in"):
        load_profile("moon")
    with pytest.raises(ProfileError, match="missing or bad entry"):
        parse_profile('name = "x"\n', "x.toml")
    with pytest.raises(ProfileError, match="is not host:port"):
        Address.parse("10.0.0.1")
