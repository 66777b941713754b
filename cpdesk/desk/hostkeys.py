"""A facility's host key as ``cpdesk facility trust`` shows it before pinning."""

from __future__ import annotations

from dataclasses import dataclass

import paramiko

from cpdesk.connectors.sftp.hostkeys import md5_fingerprint, sha256_fingerprint
from cpdesk.connectors.sftp.profile import Address


@dataclass(frozen=True, slots=True)
class HostKeyCheck:
    facility: str
    address: Address
    key: paramiko.PKey | None  # None when the server could not be reached (see problem)
    pinned: tuple[paramiko.PKey, ...]  # what known_hosts holds for the address
    problem: str

    @property
    def sha256(self) -> str:
        return sha256_fingerprint(self.key) if self.key is not None else ""

    @property
    def md5(self) -> str:
        return md5_fingerprint(self.key) if self.key is not None else ""

    @property
    def trusted(self) -> bool:
        return self.key is not None and any(p.asbytes() == self.key.asbytes() for p in self.pinned)

    @property
    def changed(self) -> bool:
        """Something else is pinned for the address."""
        return self.key is not None and bool(self.pinned) and not self.trusted
