"""The client against OpenSSH's sshd on loopback: connect, list, download, upload, both host-key modes.

CI installs openssh-server (.ci/run) and sets CPDESK_REQUIRE_SSHD=1, so there these tests can only
pass or fail. Elsewhere, a machine without sshd skips them and says why.
"""

from __future__ import annotations

import getpass
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpdesk.connectors.errors import PermissionDenied
from cpdesk.connectors.sftp.client import Credentials, SftpSession, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import parse_profile
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.simulator.openssh import OpenSshServer, find_sshd, local_profile_text


@pytest.fixture(params=["ssh-rsa", "rsa-sha2"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SftpSession, Path, str]]:
    if find_sshd() is None:
        if os.environ.get("CPDESK_REQUIRE_SSHD"):
            pytest.fail("OpenSSH sshd is required here (CPDESK_REQUIRE_SSHD) but not installed")
        pytest.skip("OpenSSH sshd is not installed on this machine (CI installs openssh-server)")
    sha1_only = request.param == "ssh-rsa"
    profile = parse_profile(local_profile_text(getpass.getuser()), "derivatives for sshd")
    server = OpenSshServer(tmp_path / "sshd", profile.algorithms, sha1_host_key_only=sha1_only)
    server.authorize(write_new_rsa_key(tmp_path / "client_key"))
    address = server.start()
    try:
        KnownHosts(tmp_path / "known_hosts").add(address, server.host_public_key())
        with Ledger(tmp_path / "ledger.sqlite") as ledger:
            fs = open_session(
                "sshd",
                profile,
                [address],
                Credentials(server.user, tmp_path / "client_key"),
                KnownHosts(tmp_path / "known_hosts"),
                SignOnGovernor(ledger, 5, 300),
            )
            with fs:
                yield fs, tmp_path, request.param
    finally:
        server.stop()


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
