"""OpenSSH's sshd on loopback, configured with the facility's algorithm lists (tests, benchmarks).

It runs as the current user with its own configuration, host key and authorized_keys in a
private folder; SFTP is sshd's ``internal-sftp``. The guide's MAC hmac-sha2-512-96 is not in
OpenSSH, so sshd is given the guide's lists minus what it does not implement.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import paramiko

from cpdesk.connectors.sftp.profile import Address, Algorithms
from cpdesk.connectors.store.keyfiles import write_new_rsa_key

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd")


def find_sshd() -> str | None:
    found = shutil.which("sshd")
    return found or next((c for c in SSHD_CANDIDATES if os.path.exists(c)), None)


def local_profile_text(user: str, remote_root: Path | None = None) -> str:
    """The derivatives profile for sshd on this machine: the local user as the account (sshd
    needs a real user) and, with ``remote_root``, every folder under that directory."""
    text = resources.files("cpdesk.connectors.sftp.profiles").joinpath("derivatives.toml").read_text("utf-8")
    text = re.sub(r'pattern = ".*"', f'pattern = "^{re.escape(user)}$"', text)
    # sshd's one user is not a CXXX001 account: the participant is whatever the configuration says.
    text = re.sub(r'participant_of_account = ".*"', 'participant_of_account = "whole"', text)
    if remote_root is not None:
        base = str(remote_root).lstrip("/")
        for folder in ("COMMON", "{participant}", "KEY_MANAGEMENT", "LOPREPORT", "LOPRESULT"):
            text = text.replace(f'path = "{folder}"', f'path = "{base}/{folder}"')
    return text


def _supported(kind: str, wanted: tuple[str, ...]) -> list[str]:
    ssh = shutil.which("ssh")
    if ssh is None:
        return list(wanted)
    listed = subprocess.run([ssh, "-Q", kind], capture_output=True, text=True, check=False).stdout.split()
    return [a for a in wanted if a in listed]


@dataclass
class OpenSshServer:
    folder: Path
    algorithms: Algorithms
    sha1_host_key_only: bool = False
    accepted_client_signatures: str = "rsa-sha2-512,rsa-sha2-256,ssh-rsa"  # PubkeyAcceptedAlgorithms
    process: subprocess.Popen[bytes] | None = None
    address: Address | None = None

    @property
    def user(self) -> str:
        return getpass.getuser()

    @property
    def host_key_path(self) -> Path:
        return self.folder / "ssh_host_rsa_key"

    def host_public_key(self) -> paramiko.PKey:
        """The public half of sshd's host key, to pin in known_hosts."""
        private = paramiko.PKey.from_path(self.host_key_path)
        return paramiko.PKey.from_type_string(private.get_name(), private.asbytes())

    def authorize(self, public_key_line: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "authorized_keys").open("a") as handle:
            handle.write(public_key_line.strip() + "\n")
        os.chmod(self.folder / "authorized_keys", 0o600)

    def start(self) -> Address:
        sshd = find_sshd()
        if sshd is None:
            raise FileNotFoundError("OpenSSH sshd is not installed (Debian: apt-get install openssh-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.host_key_path.exists():
            write_new_rsa_key(self.host_key_path)
        (self.folder / "authorized_keys").touch(mode=0o600)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        host_keys = "ssh-rsa" if self.sha1_host_key_only else "rsa-sha2-512,rsa-sha2-256"
        config = (
            "\n".join(
                [
                    f"Port {port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key_path}",
                    f"PidFile {self.folder / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "UsePAM no",
                    "StrictModes no",
                    "Subsystem sftp internal-sftp",
                    f"KexAlgorithms {','.join(_supported('kex', self.algorithms.kex))}",
                    f"Ciphers {','.join(_supported('cipher', self.algorithms.ciphers))}",
                    f"MACs {','.join(_supported('mac', self.algorithms.macs))}",
                    f"HostKeyAlgorithms {host_keys}",
                    f"PubkeyAcceptedAlgorithms {self.accepted_client_signatures}",
                    "LogLevel ERROR",
                ]
            )
            + "\n"
        )
        (self.folder / "sshd_config").write_text(config)
        if os.geteuid() == 0:  # sshd started by root wants its privilege separation folder
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(self.folder / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "sshd.log").open("wb"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    self.address = Address("127.0.0.1", port)
                    return self.address
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not start: {(self.folder / 'sshd.log').read_text()[-500:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def __enter__(self) -> OpenSshServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
