"""The SFTP client (paramiko 4), held to a facility profile.

- Only the profile's algorithms are offered (intersected with what paramiko speaks). paramiko 4
  is pinned because it still verifies SHA-1 ``ssh-rsa`` signatures, which the HKEX guide lists and
  paramiko 5 dropped; ``rsa-sha2-512/256`` are preferred when a server offers them.
- The host key must match the pinned one before any authentication is attempted.
- Each sign-on is reserved with the governor first and recorded whatever its outcome; a refused
  key gives one :class:`AuthenticationFailed` and no retry.
- Within a site, addresses are tried in turn; the site itself comes from the configuration.
- Downloads use pipelined reads of ``read_size`` bytes; uploads go straight to the final name
  and never overwrite.
"""

from __future__ import annotations

import socket
import stat as stat_mode
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import paramiko

from cpdesk.connectors.errors import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionLost,
    FacilityError,
    FacilityUnreachable,
    PermissionDenied,
)
from cpdesk.connectors.sftp.errors import translated
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import Address, Algorithms, FacilityProfile
from cpdesk.connectors.sftp.remote import Progress, RemoteEntry, Sink

WINDOW_BYTES = 1 << 30
CONCURRENT_READS = 64
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Credentials:
    account: str
    key_path: Path
    passphrase: str | None = None

    def load_key(self) -> paramiko.PKey:
        """The private key (its content never appears in errors or logs)."""
        try:
            return paramiko.PKey.from_path(self.key_path, self.passphrase)
        except FileNotFoundError:
            raise ConfigurationError(f"{self.account}: private key file {self.key_path} not found") from None
        except paramiko.PasswordRequiredException:
            raise ConfigurationError(
                f"{self.account}: private key {self.key_path} needs a passphrase"
            ) from None
        except (paramiko.SSHException, ValueError, OSError) as exc:
            raise ConfigurationError(
                f"{self.account}: cannot read private key {self.key_path}: {type(exc).__name__}"
            ) from None


def restrict_algorithms(transport: paramiko.Transport, algorithms: Algorithms) -> None:
    """Offer only the profile's algorithms that paramiko also implements, in the profile's order."""
    options = transport.get_security_options()
    chosen = {
        "kex": [a for a in algorithms.kex if a in transport._kex_info],
        "ciphers": [a for a in algorithms.ciphers if a in transport._cipher_info],
        "digests": [a for a in algorithms.macs if a in transport._mac_info],
        "key_types": [a for a in algorithms.host_keys if a in transport._key_info],
    }
    for field, values in chosen.items():
        if not values:
            raise ConfigurationError(f"none of the profile's {field} algorithms is available")
        setattr(options, field, tuple(values))


def open_transport(
    addresses: Sequence[Address], profile: FacilityProfile, known_hosts: KnownHosts | None, timeout: float
) -> tuple[paramiko.Transport, Address]:
    """TCP to the first address that answers, key exchange, and the host key check."""
    if not addresses:
        raise ConfigurationError(f"profile {profile.name} has no addresses for this site; give `hosts`")
    reasons = []
    for address in addresses:
        try:
            sock = socket.create_connection((address.host, address.port), timeout=timeout)
        except OSError as exc:
            reasons.append(f"{address}: {exc.strerror or exc}")
            continue
        transport = paramiko.Transport(
            sock, default_window_size=WINDOW_BYTES, default_max_packet_size=profile.max_packet
        )
        try:
            restrict_algorithms(transport, profile.algorithms)
            with translated(str(address)):
                transport.start_client(timeout=timeout)
            if known_hosts is not None:
                known_hosts.check(address, transport.get_remote_server_key())
        except BaseException:
            transport.close()
            raise
        return transport, address
    raise FacilityUnreachable("no address answered: " + "; ".join(reasons))


def server_host_key(address: Address, profile: FacilityProfile, timeout: float = 20) -> paramiko.PKey:
    """The host key a server presents (key exchange only; no sign-on)."""
    transport, _ = open_transport([address], profile, None, timeout)
    try:
        return transport.get_remote_server_key()
    finally:
        transport.close()


def open_session(
    facility: str,
    profile: FacilityProfile,
    addresses: Sequence[Address],
    credentials: Credentials,
    known_hosts: KnownHosts,
    governor: SignOnGovernor,
    max_wait_seconds: float = 0.0,
    timeout: float = 20.0,
) -> SftpSession:
    """One sign-on: reserve it, connect, check the host key, authenticate once."""
    problem = profile.check_account(credentials.account)
    if problem:
        raise ConfigurationError(problem)
    key = credentials.load_key()
    ticket = governor.reserve(facility, credentials.account, max_wait_seconds)
    try:
        transport, address = open_transport(addresses, profile, known_hosts, timeout)
    except FacilityError as exc:
        governor.finish(ticket, "released", str(exc))  # never reached authentication
        raise
    try:
        with translated(f"{credentials.account}@{address}"):
            transport.auth_publickey(credentials.account, key)
    except AuthenticationFailed as exc:
        governor.finish(ticket, "refused", str(exc))
        transport.close()
        raise
    except FacilityError as exc:
        governor.finish(ticket, "error", str(exc))
        transport.close()
        raise
    governor.finish(ticket, "ok", str(address))
    with translated(str(address)):
        sftp = paramiko.SFTPClient.from_transport(
            transport, window_size=WINDOW_BYTES, max_packet_size=profile.max_packet
        )
    assert sftp is not None
    return SftpSession(transport, sftp, address, credentials.account, profile.read_size)


class SftpSession:
    """A signed-on connection: the :class:`~cpdesk.connectors.sftp.remote.RemoteFs` over paramiko."""

    def __init__(
        self,
        transport: paramiko.Transport,
        sftp: paramiko.SFTPClient,
        address: Address,
        account: str,
        read_size: int,
    ) -> None:
        self.transport = transport
        self.sftp = sftp
        self.address = address
        self.account = account
        self.read_size = read_size

    def __enter__(self) -> SftpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()

    @staticmethod
    def _entry(folder: str, attrs: paramiko.SFTPAttributes) -> RemoteEntry:
        mode = attrs.st_mode or 0
        return RemoteEntry(
            folder,
            attrs.filename,
            int(attrs.st_size or 0),
            float(attrs.st_mtime or 0),
            stat_mode.S_ISDIR(mode),
        )

    def list(self, folder: str) -> list[RemoteEntry]:
        with translated(f"list /{folder}"):
            return [self._entry(folder, attrs) for attrs in self.sftp.listdir_attr(f"/{folder}")]

    def stat(self, folder: str, name: str) -> RemoteEntry:
        with translated(f"stat /{folder}/{name}"):
            attrs = self.sftp.stat(f"/{folder}/{name}")
        attrs.filename = name
        return self._entry(folder, attrs)

    def get(
        self, folder: str, name: str, sink: Sink, offset: int = 0, progress: Progress | None = None
    ) -> int:
        written = 0
        with translated(f"download /{folder}/{name}"):
            size = int(self.sftp.stat(f"/{folder}/{name}").st_size or 0)
            with self.sftp.open(f"/{folder}/{name}", "rb") as remote:
                remote.MAX_REQUEST_SIZE = self.read_size
                if offset:
                    remote.seek(offset)
                remote.prefetch(size, max_concurrent_requests=CONCURRENT_READS)
                while chunk := remote.read(
                    self.read_size
                ):  # one request at a time: a drop keeps what arrived
                    sink.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
        return written

    def _exists(self, folder: str, name: str) -> bool:
        try:
            self.sftp.stat(f"/{folder}/{name}")
        except OSError:
            return False
        return True

    def put(self, source: BinaryIO, folder: str, name: str) -> int:
        sent = 0
        what = f"upload /{folder}/{name}"
        with translated(what):
            try:
                remote = self.sftp.open(f"/{folder}/{name}", "wxb")
            except OSError as exc:
                # OpenSSH answers an exclusive create of an existing name with a bare "Failure".
                if not isinstance(exc, PermissionError | FileNotFoundError) and self._exists(folder, name):
                    raise PermissionDenied(f"{what}: {name} exists; never overwritten") from exc
                raise
            with remote:
                remote.set_pipelined(True)
                while chunk := source.read(CHUNK):
                    remote.write(chunk)
                    sent += len(chunk)
                # paramiko's close() swallows errors and flushes its buffer only after waiting for the
                # pipelined writes: flushing first makes close() wait for every write's status and
                # raise the first failure, instead of a dropped upload looking sent.
                remote.flush()
            if not self.transport.is_active():
                raise ConnectionLost(f"{what}: connection lost before the server confirmed the file")
        return sent
