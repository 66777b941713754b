"""Signing on to a facility with paramiko 4, held to its profile (the session is in ``session``).

- Only the profile's algorithms are offered (intersected with what paramiko speaks). paramiko 4
  is pinned because it still verifies SHA-1 ``ssh-rsa`` signatures, which the HKEX guide lists and
  paramiko 5 dropped; ``rsa-sha2-512/256`` are preferred when a server offers them.
- The account's RSA key signs with each of the profile's ``client_signatures`` in turn within the
  one sign-on, so a server taking only SHA-1 ``ssh-rsa`` client signatures is signed on too.
- The host key must match the pinned one before any authentication is attempted.
- Each sign-on is reserved with the governor first and recorded whatever its outcome; a refused
  key gives one :class:`AuthenticationFailed` and no new connection.
- Within a site, addresses are tried in turn; the site itself comes from the configuration.
- Connecting, key exchange and authentication each wait at most the profile's connect timeout; an
  established session sends keepalives and cuts any wait past the idle timeout.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cryptography.exceptions
import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cpdesk.connectors.errors import (
    AuthenticationFailed,
    ConfigurationError,
    FacilityError,
    FacilityUnreachable,
)
from cpdesk.connectors.sftp.errors import translated
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.pipe import open_sftp
from cpdesk.connectors.sftp.profile import Address, Algorithms, FacilityProfile, FolderRule
from cpdesk.connectors.sftp.session import SftpSession
from cpdesk.engine.keys import KEY_FILE_LIMIT
from cpdesk.engine.sources import read_file

__all__ = ["Credentials", "SftpSession", "open_session", "open_transport", "server_host_key"]

WINDOW_BYTES = 1 << 30


@dataclass(frozen=True, slots=True)
class Credentials:
    account: str
    key_path: Path
    passphrase: str | None = None

    def load_key(self) -> paramiko.PKey:
        """The account's RSA private key, read and validated once (paramiko's own loader reads
        and validates it twice: 35 ms a sign-on). Its content never appears in errors or logs.

        Raises ConfigurationError naming the account and the file: not found or unreadable, not
        a private key or a wrong passphrase, a passphrase missing or given for a key without one,
        a key that is not RSA (HKEX registers RSA keys, seed 000 §3.2)."""
        where = f"{self.account}: private key {self.key_path}"
        password = self.passphrase.encode() if self.passphrase is not None else None
        try:
            data = read_file(self.key_path, KEY_FILE_LIMIT)
        except OSError as exc:  # FileRefused: missing, a folder, a device, too large
            raise ConfigurationError(f"{where}: cannot read it: {exc.strerror or exc}") from None
        try:
            loaded: object
            try:
                loaded = serialization.load_ssh_private_key(data, password)
            except ValueError:  # not OpenSSH's format: PEM (PKCS#1 or PKCS#8)
                loaded = serialization.load_pem_private_key(data, password)
        except TypeError:  # how cryptography says a passphrase is missing, or not wanted
            if password is None:
                raise ConfigurationError(f"{where} is encrypted: give its passphrase_file") from None
            raise ConfigurationError(f"{where} is not encrypted: remove its passphrase_file") from None
        except (ValueError, cryptography.exceptions.UnsupportedAlgorithm):
            raise ConfigurationError(
                f"{where}: not a private key this can read, or the passphrase is wrong"
            ) from None
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ConfigurationError(f"{where} is not an RSA key; HKEX registers RSA keys")
        return paramiko.RSAKey(key=loaded)


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


def server_host_key(address: Address, profile: FacilityProfile) -> paramiko.PKey:
    """The host key a server presents (key exchange only; no sign-on)."""
    transport, _ = open_transport([address], profile, None, profile.connect_timeout_seconds)
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
    participant: str | None = None,
) -> SftpSession:
    """One sign-on: reserve it, connect, check the host key, authenticate (each of the profile's
    client signature algorithms in turn, on the one connection). ``participant`` (default: as the
    profile derives it from the account) resolves the folders whose rules uploads follow."""
    problem = profile.check_account(credentials.account)
    if problem:
        raise ConfigurationError(problem)
    key = credentials.load_key()
    ticket = governor.reserve(facility, credentials.account, max_wait_seconds)
    timeout = profile.connect_timeout_seconds
    try:
        transport, address = open_transport(addresses, profile, known_hosts, timeout)
    except FacilityError as exc:
        governor.finish(ticket, "released", str(exc))  # never reached authentication
        raise
    transport.auth_timeout = timeout
    try:
        _authenticate(
            transport, credentials.account, key, profile.algorithms, f"{credentials.account}@{address}"
        )
    except AuthenticationFailed as exc:
        governor.finish(ticket, "refused", str(exc))
        transport.close()
        raise
    except FacilityError as exc:
        governor.finish(ticket, "error", str(exc))
        transport.close()
        raise
    governor.finish(ticket, "ok", str(address))
    transport.set_keepalive(profile.keepalive_seconds)
    try:
        with translated(str(address)):
            sftp = open_sftp(transport, WINDOW_BYTES, profile.max_packet)
            sftp.get_channel().settimeout(profile.idle_timeout_seconds)
    except FacilityError:
        transport.close()
        raise
    owner = participant or profile.participant_of(credentials.account)

    def rules(folder: str) -> FolderRule | None:
        return profile.rule_for(folder, owner, credentials.account)

    return SftpSession(transport, sftp, address, credentials.account, profile.read_size, rules)


EXT_INFO_WAIT_SECONDS = 2.0


def _server_signature_algorithms(transport: paramiko.Transport) -> set[str] | None:
    """The server's ``server-sig-algs`` (RFC 8308) when it sends them, else None. A server that
    announced ext-info sends them right after the key exchange: wait for them briefly."""
    announced = getattr(transport, "_remote_ext_info", None) == "ext-info-s"
    deadline = time.monotonic() + (EXT_INFO_WAIT_SECONDS if announced else 0.0)
    while True:
        raw = transport.server_extensions.get("server-sig-algs")
        if raw is not None:
            text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
            return set(text.split(","))
        if time.monotonic() >= deadline or not transport.is_active():
            return None
        time.sleep(0.01)


def _authenticate(
    transport: paramiko.Transport, username: str, key: paramiko.PKey, algorithms: Algorithms, where: str
) -> None:
    """Sign with each client signature algorithm in turn until the server accepts one (an RSA key);
    other keys sign as their type does. Raises AuthenticationFailed with every refusal."""
    refusals: dict[str, list[str]] = {}  # the server's reason -> the signature algorithms it refused
    candidates = algorithms.client_signatures if key.get_name() == "ssh-rsa" else (key.get_name(),)
    accepted = _server_signature_algorithms(transport)
    if accepted is not None:
        # paramiko gives up the whole connection when the server lists none of ours: ask only for
        # what the server says it accepts (it may still refuse: then the next is tried).
        candidates = tuple(a for a in candidates if a in accepted) or candidates[-1:]
    for algorithm in candidates:
        if not transport.is_active():
            break
        transport.disabled_algorithms = {
            "pubkeys": [a for a in transport._preferred_pubkeys if a != algorithm],
        }
        try:
            with translated(where):
                transport.auth_publickey(username, key)
            return
        except AuthenticationFailed as exc:
            refusals.setdefault(str(exc.__cause__ or exc), []).append(algorithm)
    reasons = "; ".join(f"{', '.join(tried)}: {why}" for why, tried in refusals.items())
    raise AuthenticationFailed(f"{where}: authentication failed ({reasons or 'connection closed'})")
