"""Key formats, fingerprints and validity rules (seed 000 §3.2, §6): pure engine functions."""

from __future__ import annotations

import base64
import struct
from datetime import date

import pytest

from cpdesk.engine.keys import (
    KeyFormatError,
    Renewal,
    check_registrable,
    looks_private,
    parse_expiry_warning,
    parse_public_key,
    parse_renewal_result,
    standing,
)

# The guide's §6.1 example: Key A renewed by Key B on 1 March 2020.
TIMELINE = [
    (date(2020, 2, 29), ("old",)),
    (date(2020, 3, 1), ("old", "new")),
    (date(2020, 3, 14), ("old", "new")),  # "1 March 2020 to 14 March 2020: both"
    (date(2020, 3, 15), ("new",)),  # "15 March 2020 to 1 March 2022: only Key B"
    (date(2021, 6, 30), ("new",)),
    (date(2022, 3, 1), ("new",)),
    (date(2022, 3, 2), ()),  # "2 March 2022: no key can be used"
]


@pytest.mark.parametrize(("day", "valid"), TIMELINE)
def test_the_guides_key_a_key_b_timeline(day: date, valid: tuple[str, ...]) -> None:
    assert Renewal(date(2020, 3, 1)).valid_keys(day) == valid


def test_renewal_dates() -> None:
    renewal = Renewal(date(2020, 3, 1))
    assert (renewal.old_key_last_day, renewal.new_key_last_day) == (date(2020, 3, 14), date(2022, 3, 1))


@pytest.mark.parametrize(
    ("today", "days_left", "urgency"),
    [
        (date(2020, 3, 1), 730, "ok"),
        (date(2022, 1, 31), 29, "due"),
        (date(2022, 2, 15), 14, "urgent"),
        (date(2022, 3, 1), 0, "urgent"),
        (date(2022, 3, 2), -1, "expired"),
    ],
)
def test_standing_and_the_30_day_warning(today: date, days_left: int, urgency: str) -> None:
    position = standing(date(2020, 3, 1), today)
    assert (position.expires_on, position.days_left, position.urgency) == (
        date(2022, 3, 1),
        days_left,
        urgency,
    )


def test_overlap_is_shown_only_while_it_lasts() -> None:
    assert standing(date(2020, 3, 1), date(2020, 3, 14), previous_renewal=True).overlap_until == date(
        2020, 3, 14
    )
    assert standing(date(2020, 3, 1), date(2020, 3, 15), previous_renewal=True).overlap_until is None


def rsa_blob(bits: int) -> bytes:
    def string(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    modulus = b"\x00" + b"\xc3" + b"\x01" * (bits // 8 - 1)
    return string(b"ssh-rsa") + string(b"\x01\x00\x01") + string(modulus)


def test_rfc4716_round_trip_and_layout() -> None:
    key = parse_public_key("ssh-rsa " + base64.b64encode(rsa_blob(2048)).decode() + " desk key")
    assert (key.key_type, key.bits, key.comment) == ("ssh-rsa", 2048, "desk key")
    text = key.rfc4716()
    lines = text.splitlines()
    assert lines[0] == "---- BEGIN SSH2 PUBLIC KEY ----"
    assert lines[1] == 'Comment: "desk key"'
    assert lines[-1] == "---- END SSH2 PUBLIC KEY ----"
    assert all(len(line) <= 70 for line in lines[2:-1])
    assert all(len(line) == 70 for line in lines[2:-2])
    assert parse_public_key(text) == key


def test_rfc4716_header_continuation_and_the_guides_five_dashes() -> None:
    body = base64.b64encode(rsa_blob(2048)).decode()
    text = (
        '----- BEGIN SSH2 PUBLIC KEY -----\nSubject: someone\nComment: "a long \\\ncomment"\n'
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n----- END SSH2 PUBLIC KEY -----\n"
    )
    key = parse_public_key(text)
    assert key.comment == "a long comment"
    assert key.blob == rsa_blob(2048)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn==\n-----END OPENSSH PRIVATE KEY-----", "private key"),
        ("PuTTY-User-Key-File-3: ssh-rsa\n", "private key"),
        ("", "empty"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n", "END SSH2"),
        ("ssh-rsa not!base64", "not base64"),
        ("ssh-rsa AAAA\ufffd\ufffdB3Nz comment", "not base64"),  # bytes read with errors="replace"
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\u00e9\n---- END SSH2 PUBLIC KEY ----", "not base64"),
        ("ssh-dss " + base64.b64encode(rsa_blob(2048)).decode(), "holds ssh-rsa"),
        ("hello", "neither"),
    ],
)
def test_bad_public_keys(text: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        parse_public_key(text)


def test_what_hkex_accepts() -> None:
    assert check_registrable(parse_public_key("ssh-rsa " + base64.b64encode(rsa_blob(2048)).decode())) is None
    small = parse_public_key("ssh-rsa " + base64.b64encode(rsa_blob(1024)).decode())
    assert check_registrable(small) == "RSA key of 1024 bits is not accepted: HKEX takes RSA 2048-bit keys"
    assert looks_private("-----BEGIN RSA PRIVATE KEY-----")
    assert not looks_private("---- BEGIN SSH2 PUBLIC KEY ----")


def test_renewal_result_files() -> None:
    success = parse_renewal_result(
        "Result.20200301.101502.success.txt",
        "= File name:      CXYZ001.pub =\n= Import date:    2020.03.01 10:15:02 =\n= File size:      460 =\n"
        "Result: Success\n",
    )
    assert (success.file_name, success.file_size, success.success, success.error_reason) == (
        "CXYZ001.pub",
        460,
        True,
        "",
    )
    assert success.import_date is not None
    assert success.import_date.isoformat() == "2020-03-01T10:15:02"
    failed = parse_renewal_result(
        "Result.20200301.101502.failed.txt",
        "File name: CXYZ001.pub\nResult: Failed\nError reason: key is not RSA 2048\n",
    )
    assert (failed.success, failed.error_reason) == (False, "key is not RSA 2048")
    with pytest.raises(KeyFormatError):
        parse_renewal_result("notes.txt", "")


def test_expiry_warning_files() -> None:
    warning = parse_expiry_warning(
        "SSHKeyExpireWarning_20220216.txt",
        "SSH key expiry warning for SFTP user account CXYZ001\n"
        "Key 8b:42:19:ae:67:09:83:cb:27:dc:66:8b:89:e3:e2:b0 expires on 2022-03-01; renew it (section 6).\n",
    )
    assert (warning.notice_date, warning.account, warning.expires_on) == (
        date(2022, 2, 16),
        "CXYZ001",
        date(2022, 3, 1),
    )
    assert warning.fingerprint == "8b:42:19:ae:67:09:83:cb:27:dc:66:8b:89:e3:e2:b0"
    terse = parse_expiry_warning("SSHKeyExpireWarning_20220216.txt", "Your key expires on 01/03/2022")
    assert (terse.account, terse.expires_on) == (None, date(2022, 3, 1))
