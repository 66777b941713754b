"""SSH public keys as HKEX wants them, and the rules of their validity (seed 000 §3.2, §6).

- Public keys travel in SSH2 format (RFC 4716); fingerprints are MD5 digests printed as 16
  lowercase hex octets separated by colons.
- A renewed key is valid for 730 days; after a renewal the old and new keys both work for 14
  calendar days, then the old one is removed. Renewal is due at least every two years; cpdesk
  warns from 30 days before expiry, HKEX's expiry warning files start 14 days before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cpdesk.engine.textfields import labelled_field, timestamp

VALIDITY_DAYS = 730
OVERLAP_DAYS = 14
WARN_DAYS = 30
HKEX_WARNING_DAYS = 14
RFC4716_WIDTH = 70

_BEGIN = re.compile(r"^-{4,5} ?BEGIN SSH2 PUBLIC KEY ?-{4,5}$")
_END = re.compile(r"^-{4,5} ?END SSH2 PUBLIC KEY ?-{4,5}$")
_PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File", "Private-Lines:", "ENCRYPTED")


class KeyFormatError(ValueError):
    """A public key that cannot be read, with the reason."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_type: str  # "ssh-rsa", "ssh-dss", ...
    blob: bytes  # the SSH wire encoding (RFC 4253 §6.6)
    comment: str = ""

    @property
    def md5_fingerprint(self) -> str:
        digest = hashlib.md5(self.blob, usedforsecurity=False).digest()
        return ":".join(f"{b:02x}" for b in digest)

    @property
    def sha256_fingerprint(self) -> str:
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

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
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise KeyFormatError("key data is not base64") from None
    key = _from_blob(blob, parts[2] if len(parts) > 2 else "")
    if key.key_type != parts[0]:
        raise KeyFormatError(f"key says {parts[0]} but holds {key.key_type}")
    return key


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
    try:
        blob = base64.b64decode("".join(body), validate=True)
    except binascii.Error:
        raise KeyFormatError("key data is not base64") from None
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


# -- validity --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Renewal:
    """Key B replaced Key A on ``renewed_on`` (the guide's §6.1 example: 1 March 2020)."""

    renewed_on: date

    @property
    def old_key_last_day(self) -> date:
        return self.renewed_on + timedelta(days=OVERLAP_DAYS - 1)  # 1 March -> 14 March

    @property
    def new_key_last_day(self) -> date:
        return self.renewed_on + timedelta(days=VALIDITY_DAYS)  # 1 March 2020 -> 1 March 2022

    def valid_keys(self, day: date) -> tuple[str, ...]:
        """Which of "old" and "new" can sign on on ``day``."""
        valid = []
        if self.renewed_on <= day <= self.old_key_last_day:
            valid.append("old")
        if self.renewed_on <= day <= self.new_key_last_day:
            valid.append("new")
        if day < self.renewed_on:
            valid.append("old")
        return tuple(valid)


@dataclass(frozen=True, slots=True)
class KeyStanding:
    """Where one account's key stands on a given day."""

    expires_on: date  # the last day the key can sign on
    days_left: int
    overlap_until: date | None  # the previous key's last day, while it still works

    @property
    def urgency(self) -> str:
        if self.days_left < 0:
            return "expired"
        if self.days_left <= HKEX_WARNING_DAYS:
            return "urgent"
        if self.days_left <= WARN_DAYS:
            return "due"
        return "ok"


def standing(valid_from: date, today: date, previous_renewal: bool = False) -> KeyStanding:
    """A key registered or renewed on ``valid_from``: its last day and how many days are left."""
    renewal = Renewal(valid_from)
    overlap = renewal.old_key_last_day if previous_renewal and today <= renewal.old_key_last_day else None
    return KeyStanding(renewal.new_key_last_day, (renewal.new_key_last_day - today).days, overlap)


# -- HKEX's files in /KEY_MANAGEMENT ---------------------------------------------------------


RESULT_NAME = re.compile(r"^Result\.(\d{8})\.(\d{6})\.(success|failed)\.txt$", re.IGNORECASE)
WARNING_NAME = re.compile(r"^SSHKeyExpireWarning_(\d{8})\.txt$")


@dataclass(frozen=True, slots=True)
class RenewalResult:
    file_name: str  # the uploaded key's name
    import_date: datetime | None
    file_size: int | None
    success: bool
    error_reason: str
    result_file: str


def parse_renewal_result(name: str, text: str) -> RenewalResult:
    """``Result.yyyymmdd.hhmmss.success.txt`` / ``.failed.txt``: file name, import date, file size,
    result and error reason (guide §6)."""
    match = RESULT_NAME.match(name)
    if match is None:
        raise KeyFormatError(f"{name!r} is not a renewal result file name")
    result = labelled_field(text, "Result") or match.group(3)
    success = result.lower().startswith("success") and match.group(3).lower() == "success"
    when = timestamp(labelled_field(text, "Import date"))
    size = labelled_field(text, "File size")
    return RenewalResult(
        file_name=labelled_field(text, "File name"),
        import_date=when,
        file_size=int(size) if size.isdigit() else None,
        success=success,
        error_reason=labelled_field(text, "Error reason") if not success else "",
        result_file=name,
    )


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    notice_date: date
    account: str | None
    expires_on: date | None
    fingerprint: str | None
    file_name: str


def parse_expiry_warning(name: str, text: str) -> ExpiryWarning:
    """``SSHKeyExpireWarning_yyyymmdd.txt``. Its content is not specified in the guide; cpdesk reads
    the account (CXXX001/002), the first date after the notice date, and an MD5 fingerprint."""
    match = WARNING_NAME.match(name)
    if match is None:
        raise KeyFormatError(f"{name!r} is not an SSHKeyExpireWarning file name")
    notice = datetime.strptime(match.group(1), "%Y%m%d").date()
    account = re.search(r"\bC[A-Z0-9]{3}00[12]\b", text)
    fingerprint = re.search(r"\b(?:[0-9a-f]{2}:){15}[0-9a-f]{2}\b", text)
    expires = None
    for found in re.finditer(r"\b(\d{4})[-./](\d{2})[-./](\d{2})\b|\b(\d{2})/(\d{2})/(\d{4})\b", text):
        y, m, d = (
            (found.group(1), found.group(2), found.group(3))
            if found.group(1)
            else (found.group(6), found.group(5), found.group(4))
        )
        try:
            candidate = date(int(y), int(m), int(d))
        except ValueError:
            continue
        if candidate >= notice:
            expires = candidate
            break
    return ExpiryWarning(
        notice,
        account.group(0) if account else None,
        expires,
        fingerprint.group(0) if fingerprint else None,
        name,
    )
