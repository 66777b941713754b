"""OpenSSH's sshd on loopback with a signed-on cpdesk session, for the interoperability tests.

CI installs openssh-server (.ci/run) and sets CPDESK_REQUIRE_SSHD=1, so there these tests can only
pass or fail. Elsewhere, a machine without sshd skips them and says why.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cpdesk.connectors.sftp.client import Credentials, SftpSession, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import parse_profile
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.simulator.openssh import OpenSshServer, find_sshd, local_profile_text


def require_sshd() -> None:
    if find_sshd() is None:
        if os.environ.get("CPDESK_REQUIRE_SSHD"):
            pytest.fail("OpenSSH sshd is required here (CPDESK_REQUIRE_SSHD) but not installed")
        pytest.skip("OpenSSH sshd is not installed on this machine (CI installs openssh-server)")


@contextmanager
def sshd_session(
    folder: Path,
    remote_root: Path | None = None,
    sha1_host_key_only: bool = False,
    accepted_client_signatures: str = "rsa-sha2-512,rsa-sha2-256,ssh-rsa",
) -> Iterator[SftpSession]:
    """sshd running as this user in ``folder``, and one cpdesk sign-on to it (the profile's folders
    under ``remote_root`` when given)."""
    require_sshd()
    profile = parse_profile(local_profile_text(getpass.getuser(), remote_root), "derivatives for sshd")
    server = OpenSshServer(
        folder / "sshd",
        profile.algorithms,
        sha1_host_key_only=sha1_host_key_only,
        accepted_client_signatures=accepted_client_signatures,
    )
    server.authorize(write_new_rsa_key(folder / "client_key"))
    address = server.start()
    try:
        KnownHosts(folder / "known_hosts").add(address, server.host_public_key())
        with Ledger(folder / "ledger.sqlite") as ledger:
            fs = open_session(
                "sshd",
                profile,
                [address],
                Credentials(server.user, folder / "client_key"),
                KnownHosts(folder / "known_hosts"),
                SignOnGovernor(ledger, 5, 300),
            )
            with fs:
                yield fs
    finally:
        server.stop()
