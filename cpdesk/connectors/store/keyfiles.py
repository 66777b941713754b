"""SSH key files on disk: RSA 2048 pairs for HKEX accounts (seed 000 §3.2).

``new_key_pair("CXYZ001", folder)`` writes three files and never overwrites any:

- ``CXYZ001``: the private key in OpenSSH format, mode 0600, encrypted when a passphrase is given;
- ``CXYZ001.pub``: the public key in SSH2 format (RFC 4716), as HKEX registers it;
- ``CXYZ001.fpt``: its MD5 fingerprint, 16 lowercase hex octets separated by colons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cpdesk.connectors.errors import ConfigurationError, InputRejected
from cpdesk.engine.keys import KEY_FILE_LIMIT, KeyFormatError, PublicKey, parse_public_key
from cpdesk.engine.sources import read_file
from cpdesk.fileio import write_atomically

RSA_BITS = 2048  # HKEX accepts RSA 2048-bit keys (guide §3.2.1)


def _write_new(path: Path, content: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` in one step; refuse if it exists (FileExistsError)."""
    write_atomically(path, content, overwrite=False, mode=mode)


def write_new_rsa_key(path: Path, passphrase: bytes | None = None, comment: str = "") -> str:
    """Create an RSA 2048 private key at ``path`` (mode 0600, never overwriting); return the
    public key as an OpenSSH line."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new(path, private, 0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode() + (f" {comment}" if comment else "")


@dataclass(frozen=True, slots=True)
class KeyPairFiles:
    private: Path
    public: Path
    fingerprint: Path
    key: PublicKey


def key_pair_paths(account: str, folder: Path) -> tuple[Path, Path, Path]:
    return folder / account, folder / f"{account}.pub", folder / f"{account}.fpt"


def new_key_pair(account: str, folder: Path, passphrase: bytes | None = None) -> KeyPairFiles:
    """Generate the account's key pair and its registration files; refuse to overwrite any."""
    private, public, fingerprint = key_pair_paths(account, folder)
    existing = [p.name for p in (private, public, fingerprint) if p.exists()]
    if existing:
        raise ConfigurationError(
            f"{', '.join(existing)} already exist in {folder}; keys are never overwritten"
        )
    folder.mkdir(parents=True, exist_ok=True)
    line = write_new_rsa_key(private, passphrase)
    key = parse_public_key(line)
    _write_new(public, key.rfc4716(comment=f"{account} RSA {RSA_BITS}").encode(), 0o644)
    _write_new(fingerprint, (key.md5_fingerprint + "\n").encode(), 0o644)
    return KeyPairFiles(private, public, fingerprint, key)


def read_public_key(path: Path) -> PublicKey:
    """Raises InputRejected, naming the file and why."""
    try:
        return parse_public_key(read_file(path, KEY_FILE_LIMIT).decode("utf-8", errors="replace"))
    except OSError as exc:
        raise InputRejected(f"{path}: {exc.strerror or exc}") from None
    except KeyFormatError as exc:
        raise InputRejected(f"{path}: {exc}") from None


def public_key_of_private(path: Path, passphrase: bytes | None = None) -> PublicKey:
    """The public half of a private key file (the private key itself is not kept).

    The RSA consistency check (35 ms a key) is skipped: it guards signing, and this key object
    never signs; only its public half is read (a dashboard reads every account's each refresh)."""
    try:
        private = serialization.load_ssh_private_key(
            read_file(path, KEY_FILE_LIMIT), passphrase, unsafe_skip_rsa_key_validation=True
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the private key ({type(exc).__name__})") from None
    line = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return parse_public_key(line.decode())
