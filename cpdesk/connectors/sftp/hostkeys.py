"""Pinned host keys: an OpenSSH-format known_hosts file that cpdesk checks and never bypasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import paramiko

from cpdesk.connectors.errors import HostKeyChanged, HostKeyUnknown
from cpdesk.connectors.sftp.profile import Address
from cpdesk.engine.keys import md5_fingerprint_of, sha256_fingerprint_of
from cpdesk.fileio import write_atomically


def host_entry(address: Address) -> str:
    """known_hosts' name for an address: ``host`` on port 22, ``[host]:port`` otherwise."""
    return address.host if address.port == 22 else f"[{address.host}]:{address.port}"


def sha256_fingerprint(key: paramiko.PKey) -> str:
    return sha256_fingerprint_of(key.asbytes())


def md5_fingerprint(key: paramiko.PKey) -> str:
    return md5_fingerprint_of(key.asbytes())


@dataclass(frozen=True, slots=True)
class KnownHosts:
    path: Path

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.exists():
            keys.load(str(self.path))
        return keys

    def check(self, address: Address, key: paramiko.PKey) -> None:
        """Return quietly when ``key`` is the pinned key for ``address``; raise otherwise."""
        known = self._load().lookup(host_entry(address))
        if not known:
            raise HostKeyUnknown(
                f"{address}: host key {sha256_fingerprint(key)} is not in {self.path}; "
                "check it with HKEX and run `cpdesk facility trust`"
            )
        pinned = known.get(key.get_name())
        if pinned is None or pinned.asbytes() != key.asbytes():
            shown = sha256_fingerprint(pinned) if pinned is not None else "a key of another type"
            raise HostKeyChanged(
                f"{address}: host key changed: server offers {sha256_fingerprint(key)}, pinned is {shown}. "
                "Refusing to connect. Ask HKEX whether it changed its key; if it did, pin the new one with "
                "`cpdesk facility trust --replace`"
            )

    def pinned(self, address: Address) -> list[paramiko.PKey]:
        known = self._load().lookup(host_entry(address))
        return list(known.values()) if known else []

    def add(self, address: Address, key: paramiko.PKey) -> None:
        """Pin ``key`` for ``address`` (replacing any key of the same type), written atomically."""
        keys = self._load()
        keys.add(host_entry(address), key.get_name(), key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # HostKeys.save writes only to a path in place; its entries' own lines (hashed names and
        # markers kept) go through the one atomic writer instead.
        lines = [entry.to_line() for entry in keys._entries]
        write_atomically(self.path, "".join(line for line in lines if line).encode())
