"""SSH public keys as HKEX wants them (seed 000 §3.2): SSH2 format (RFC 4716) and fingerprints.

Fingerprints are MD5 digests printed as 16 lowercase hex octets separated by colons
(:func:`md5_fingerprint_of`, the one formatter every part of cpdesk uses), or OpenSSH's
``SHA256:`` base64 form.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass

RFC4716_WIDTH = 70
KEY_FILE_LIMIT = 64 * 1024  # a public key or fingerprint file is a few hundred bytes
MD5_FINGERPRINT = re.compile(r"(?:[0-9a-f]{2}:){15}[0-9a-f]{2}")

_BEGIN = re.compile(r"^-{4,5} ?BEGIN SSH2 PUBLIC KEY ?-{4,5}$")
_END = re.compile(r"^-{4,5} ?END SSH2 PUBLIC KEY ?-{4,5}$")
_PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File", "Private-Lines:", "ENCRYPTED")


def md5_fingerprint_of(blob: bytes) -> str:
    """HKEX's fingerprint of a public key's wire encoding: ``aa:bb:...`` (16 octets)."""
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob, usedforsecurity=False).digest())


def sha256_fingerprint_of(blob: bytes) -> str:
    """OpenSSH's fingerprint of a public key's wire encoding: ``SHA256:`` and unpadded base64."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class KeyFormatError(ValueError):
    """A public key that cannot be read, with the reason."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_type: str  # "ssh-rsa", "ssh-dss", ...
    blob: bytes  # the SSH wire encoding (RFC 4253 §6.6)
    comment: str = ""

    @property
    def md5_fingerprint(self) -> str:
        return md5_fingerprint_of(self.blob)

    @property
    def sha256_fingerprint(self) -> str:
        return sha256_fingerprint_of(self.blob)

    @property
    def bits(self) -> int | None:
        """The modulus size of an RSA key (None for other types)."""
        if self.key_type != "ssh-rsa":
            return None
        fields = _ssh_strings(self.blob, 3)
        modulus = fields[2].lstrip(b"\0")
        return (len(modulus) - 1) * 8 + modulus[0].bit_length() if modulus else 0

    def openssh(self) -> str:
        line = f"{self.key_type} {base64.b64encode(self.blob).decode()}"
        return f"{line} {self.comment}" if self.comment else line

    def rfc4716(self, comment: str | None = None) -> str:
        """SSH2 format: header, a quoted comment, base64 wrapped at 70 columns."""
        text = comment if comment is not None else self.comment
        body = base64.b64encode(self.blob).decode()
        lines = ["---- BEGIN SSH2 PUBLIC KEY ----"]
        if text:
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'Comment: "{escaped}"')
        lines += [body[i : i + RFC4716_WIDTH] for i in range(0, len(body), RFC4716_WIDTH)]
        lines.append("---- END SSH2 PUBLIC KEY ----")
        return "\n".join(lines) + "\n"


def _ssh_strings(blob: bytes, count: int) -> list[bytes]:
    out, offset = [], 0
    for _ in range(count):
        if offset + 4 > len(blob):
            raise KeyFormatError("key data is truncated")
        (length,) = struct.unpack(">I", blob[offset : offset + 4])
        if offset + 4 + length > len(blob):
            raise KeyFormatError("key data is truncated")
        out.append(blob[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return out


def looks_private(text: str) -> bool:
    """True when text holds (or is) a private key, whatever the file is called."""
    return any(marker in text for marker in _PRIVATE_MARKERS)


def _from_blob(blob: bytes, comment: str) -> PublicKey:
    (key_type,) = _ssh_strings(blob, 1)
    try:
        name = key_type.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFormatError("key type is not text") from None
    if not re.fullmatch(r"[a-z0-9@.-]{3,64}", name):
        raise KeyFormatError(f"key type {name!r} is not an SSH key type")
    if name == "ssh-rsa":
        _, exponent, modulus = _ssh_strings(blob, 3)  # a truncated key says so here, not later
        if not exponent.strip(b"\0") or not modulus.strip(b"\0"):
            raise KeyFormatError("RSA key has an empty exponent or modulus")
    return PublicKey(name, blob, comment)


def parse_public_key(text: str) -> PublicKey:
    """An RFC 4716 (SSH2) or OpenSSH one-line public key."""
    if looks_private(text):
        raise KeyFormatError("this is a private key, not a public key")
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines:
        raise KeyFormatError("empty key file")
    if _BEGIN.match(lines[0]):
        return _parse_rfc4716(lines)
    parts = lines[0].split(maxsplit=2)
    if len(parts) < 2:
        raise KeyFormatError("neither SSH2 (RFC 4716) nor OpenSSH public key format")
    key = _from_blob(_base64(parts[1]), parts[2] if len(parts) > 2 else "")
    if key.key_type != parts[0]:
        raise KeyFormatError(f"key says {parts[0]} but holds {key.key_type}")
    return key


def _base64(text: str) -> bytes:
    """Key data; anything but base64 (a character outside ASCII too: base64 refuses that with a
    ValueError of its own, not a binascii.Error) is a :class:`KeyFormatError`."""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is one
        raise KeyFormatError("key data is not base64") from None


def _parse_rfc4716(lines: list[str]) -> PublicKey:
    try:
        end = next(i for i, line in enumerate(lines) if _END.match(line))
    except StopIteration:
        raise KeyFormatError("no '---- END SSH2 PUBLIC KEY ----' line") from None
    body: list[str] = []
    headers: dict[str, str] = {}
    index = 1
    while index < end:
        line = lines[index]
        if ":" in line and not body:
            name, _, value = line.partition(":")
            while value.endswith("\\") and index + 1 < end:  # continued header line
                index += 1
                value = value[:-1] + lines[index]
            headers[name.strip().lower()] = value.strip()
        else:
            body.append(line)
        index += 1
    blob = _base64("".join(body))
    comment = headers.get("comment", "")
    if len(comment) >= 2 and comment[0] == comment[-1] == '"':
        comment = comment[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return _from_blob(blob, comment)


def check_registrable(key: PublicKey) -> str | None:
    """Why HKEX would refuse this key (RSA 2048-bit only, guide §3.2.1), or None."""
    if key.key_type != "ssh-rsa":
        return f"key type {key.key_type} is not accepted: HKEX takes RSA 2048-bit keys"
    if key.bits != 2048:
        return f"RSA key of {key.bits} bits is not accepted: HKEX takes RSA 2048-bit keys"
    return None
