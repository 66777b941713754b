"""Open a report zip safely: exactly one member, a harmless name, bounded size, intact data.

Nothing is extracted to disk here; the member's bytes are returned. Sizes are enforced on the
bytes actually inflated (a zip's own header may lie), so a zip bomb stops at the limit.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from cpdesk.engine.problems import Parsed, Problem, Severity

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds on one report member. RPF01 is the largest report (~300 MB of CSV)."""

    max_member_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0  # inflated / compressed; CSV compresses 3-20 times
    ratio_applies_above_bytes: int = 16 * 1024**2  # tiny files may compress far better


DEFAULT_LIMITS = ZipLimits()


def unsafe_member_name(name: str) -> str | None:
    """Why a member name could not safely become a file name, or ``None`` when it could."""
    if not name:
        return "empty member name"
    if "/" in name or "\\" in name:
        return "member name has a path separator"
    if name in (".", "..") or name.startswith("."):
        return "member name starts with a dot"
    if ":" in name:
        return "member name has a drive or stream separator"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "member name has control characters"
    return None


def read_single_member(
    data: bytes, source: str, expected_member: str | None = None, limits: ZipLimits = DEFAULT_LIMITS
) -> Parsed[bytes | None]:
    """The content of the zip's one member, with problems naming ``source``."""

    def fail(code: str, message: str) -> Parsed[bytes | None]:
        return Parsed(None, (Problem(source, None, None, message, Severity.ERROR, code),))

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return fail("not-a-zip", "not a complete zip file (truncated or damaged)")
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(archive.infolist()) != 1 or len(members) != 1:
            return fail("member-count", f"zip holds {len(archive.infolist())} members, expected exactly one")
        member = members[0]
        why = unsafe_member_name(member.filename)
        if why is not None:
            return fail("unsafe-member-name", f"unsafe member name {member.filename!r}: {why}")
        if member.flag_bits & 0x1:
            return fail("encrypted", f"member {member.filename!r} is encrypted")
        if member.file_size > limits.max_member_bytes:
            return fail("too-large", f"member {member.filename!r} inflates to {member.file_size:,} bytes")
        problems: list[Problem] = []
        if expected_member is not None and member.filename.upper() != expected_member.upper():
            problems.append(
                Problem(
                    source,
                    None,
                    None,
                    f"member is named {member.filename!r}, expected {expected_member!r}",
                    Severity.WARNING,
                    "member-name",
                )
            )
        content = _inflate(archive, member, limits)
    if isinstance(content, str):
        code, _, message = content.partition(":")
        return fail(code, message.strip())
    return Parsed(content, tuple(problems))


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ZipLimits) -> bytes | str:
    """The member's bytes, or ``"code: message"`` when inflating must stop."""
    out = bytearray()
    compressed = max(member.compress_size, 1)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > min(member.file_size, limits.max_member_bytes):
                    return "too-large: member inflates beyond the size its header declares"
                if len(out) > limits.ratio_applies_above_bytes and len(out) / compressed > limits.max_ratio:
                    return (
                        f"compression-ratio: member inflates more than {limits.max_ratio:g} times (zip bomb?)"
                    )
    except zipfile.BadZipFile as exc:
        return f"damaged: member is damaged ({exc})"
    except (zlib.error, EOFError, NotImplementedError) as exc:
        return f"damaged: member cannot be inflated ({exc})"
    return bytes(out)
