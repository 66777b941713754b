"""The client against OpenSSH's sshd on loopback: connect, list, download, upload, both host-key modes.

sshd comes from tests/support/sshd.py (required in CI, skipped with the reason elsewhere).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpdesk.connectors.errors import PermissionDenied
from cpdesk.connectors.sftp.client import SftpSession
from tests.support.sshd import sshd_session


@pytest.fixture(params=["ssh-rsa", "rsa-sha2"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SftpSession, Path, str]]:
    for folder in ("COMMON", "LOPREPORT"):
        (tmp_path / "remote" / folder).mkdir(parents=True)
    with sshd_session(tmp_path, tmp_path / "remote", sha1_host_key_only=request.param == "ssh-rsa") as fs:
        yield fs, tmp_path, request.param


def test_connect_list_download_upload(session: tuple[SftpSession, Path, str]) -> None:
    fs, folder, mode = session
    assert fs.transport.host_key_type == ("ssh-rsa" if mode == "ssh-rsa" else "rsa-sha2-512")
    assert fs.transport.remote_cipher in ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com")
    remote = folder / "remote" / "COMMON"
    content = os.urandom(3_000_000)
    (remote / "RPF01_HKSCC_20210507210000.CSV.ZIP").write_bytes(content)
    common = str(remote).lstrip("/")
    reports = str(folder / "remote" / "LOPREPORT").lstrip("/")

    listed = fs.list(common)
    assert [(e.name, e.size, e.is_dir) for e in listed] == [
        ("RPF01_HKSCC_20210507210000.CSV.ZIP", 3_000_000, False)
    ]

    sink = io.BytesIO()
    assert fs.get(common, "RPF01_HKSCC_20210507210000.CSV.ZIP", sink) == 3_000_000
    assert sink.getvalue() == content
    tail = io.BytesIO()
    fs.get(common, "RPF01_HKSCC_20210507210000.CSV.ZIP", tail, offset=2_000_000)
    assert tail.getvalue() == content[2_000_000:]

    assert fs.put(io.BytesIO(b"report"), reports, "LOPBI_00CFB_20210507.xlsx") == 6
    uploaded = folder / "remote" / "LOPREPORT" / "LOPBI_00CFB_20210507.xlsx"
    assert uploaded.read_bytes() == b"report"
    with pytest.raises(PermissionDenied, match="never overwritten"):
        fs.put(io.BytesIO(b"again"), reports, "LOPBI_00CFB_20210507.xlsx")
    assert uploaded.read_bytes() == b"report"


def test_the_client_keeps_the_profiles_upload_rules(session: tuple[SftpSession, Path, str]) -> None:
    """sshd lets this user write anywhere; the client itself refuses a download-only folder."""
    fs, folder, _ = session
    common = str(folder / "remote" / "COMMON").lstrip("/")
    with pytest.raises(PermissionDenied, match="allows no uploads"):
        fs.put(io.BytesIO(b"x"), common, "mine.txt")
    assert not (folder / "remote" / "COMMON" / "mine.txt").exists()


@pytest.mark.parametrize("accepted", ["ssh-rsa", "rsa-sha2-512,rsa-sha2-256"])
def test_signs_on_whichever_client_signatures_the_server_accepts(tmp_path: Path, accepted: str) -> None:
    """A server taking only SHA-1 ssh-rsa client signatures, and one refusing them."""
    with sshd_session(tmp_path, accepted_client_signatures=accepted) as fs:
        agreed = fs.transport._agreed_pubkey_algorithm
        assert agreed == accepted.split(",", maxsplit=1)[0]
        assert fs.list(str(tmp_path).lstrip("/")) is not None
