"""The client against OpenSSH's sshd on loopback: connect, list, download, upload, both host-key modes.

CI installs openssh-server (.ci/run) and sets CPDESK_REQUIRE_SSHD=1, so there these tests can only
pass or fail. Elsewhere, a machine without sshd skips them and says why.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import paramiko
import pytest

from cpdesk.connectors.governor import SignOnGovernor
from cpdesk.connectors.hostkeys import KnownHosts
from cpdesk.connectors.keyfiles import write_new_rsa_key
from cpdesk.connectors.ledger import Ledger
from cpdesk.connectors.profile import FacilityProfile, parse_profile
from cpdesk.connectors.sftp_client import Credentials, SftpSession, open_session
from cpdesk.connectors.simulator.openssh import OpenSshServer, find_sshd


def profile_for(user: str) -> FacilityProfile:
    """The derivatives profile, with the local user as its account (sshd needs a real user)."""
    text = resources.files("cpdesk.connectors.profiles").joinpath("derivatives.toml").read_text()
    text = re.sub(r'pattern = ".*"', f'pattern = "^{re.escape(user)}$"', text)
    return parse_profile(text, "derivatives for sshd")


@pytest.fixture(params=["ssh-rsa", "rsa-sha2"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SftpSession, Path, str]]:
    if find_sshd() is None:
        if os.environ.get("CPDESK_REQUIRE_SSHD"):
            pytest.fail("OpenSSH sshd is required here (CPDESK_REQUIRE_SSHD) but not installed")
        pytest.skip("OpenSSH sshd is not installed on this machine (CI installs openssh-server)")
    sha1_only = request.param == "ssh-rsa"
    profile = profile_for(OpenSshServer(tmp_path, profile_for("x").algorithms).user)
    server = OpenSshServer(tmp_path / "sshd", profile.algorithms, sha1_host_key_only=sha1_only)
    server.authorize(write_new_rsa_key(tmp_path / "client_key"))
    address = server.start()
    try:
        host_key = paramiko.PKey.from_path(server.host_key_path)
        KnownHosts(tmp_path / "known_hosts").add(
            address, paramiko.PKey.from_type_string(host_key.get_name(), host_key.asbytes())
        )
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
    with pytest.raises(Exception, match="upload"):  # never overwrites
        fs.put(io.BytesIO(b"again"), relative, "LOPBI_00CFB_20210507.xlsx")
    assert (remote / "LOPBI_00CFB_20210507.xlsx").read_bytes() == b"report"
