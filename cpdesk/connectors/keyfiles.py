"""SSH key files: RSA key pairs in OpenSSH format, written with owner-only permissions."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

RSA_BITS = 2048  # HKEX accepts RSA 2048-bit keys (guide §3.2.1)


def write_new_rsa_key(path: Path, passphrase: bytes | None = None, comment: str = "") -> str:
    """Create an RSA 2048 private key at ``path`` (mode 0600, never overwriting); return the
    public key as an OpenSSH line."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode() + (f" {comment}" if comment else "")
