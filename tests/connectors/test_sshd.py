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
    with sshd_session(tmp_path, sha1_host_key_only=request.param == "ssh-rsa") as fs:
        yield fs, tmp_path, request.param


def test_connect_list_download_upload(session: tuple[SftpSession, Path, str]) -> None:
    fs, folder, mode = session
    assert fs.transport.host_key_type == ("ssh-rsa" if mode == "ssh-rsa" else "rsa-sha2-512")
    assert fs.transport.remote_cipher in ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com")
    remote = folder / "remote" / "COMMON"
    remote.mkdir(parents=True)
    content = os.urandom(3_000_000)
    (remote / "RPF01_HKSCC_20210507210000.CSV.ZIP").write_bytes(content)
    relative = str(remote).lstrip("/")

    listed = fs.list(relative)
    assert [(e.name, e.size, e.is_dir) for e in listed] == [
        ("RPF01_HKSCC_20210507210000.CSV.ZIP", 3_000_000, False)
    ]

    sink = io.BytesIO()
    assert fs.get(relative, "RPF01_HKSCC_20210507210000.CSV.ZIP", sink) == 3_000_000
    assert sink.getvalue() == content
    tail = io.BytesIO()
    fs.get(relative, "RPF01_HKSCC_20210507210000.CSV.ZIP", tail, offset=2_000_000)
    assert tail.getvalue() == content[2_000_000:]

    assert fs.put(io.BytesIO(b"report"), relative, "LOPBI_00CFB_20210507.xlsx") == 6
    assert (remote / "LOPBI_00CFB_20210507.xlsx").read_bytes() == b"report"
    with pytest.raises(PermissionDenied, match="never overwritten"):
        fs.put(io.BytesIO(b"again"), relative, "LOPBI_00CFB_20210507.xlsx")
    assert (remote / "LOPBI_00CFB_20210507.xlsx").read_bytes() == b"report"
