"""Open a report zip safely: exactly one member, a harmless name, bounded size, intact data.

Nothing is extracted to disk here; the member's bytes are returned. Sizes are enforced on the
bytes actually inflated (a zip's own header may lie), so a zip bomb stops at the limit.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from isal import isal_zlib

from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity

# ISA-L inflates about twice as fast as zlib and computes CRC-32 several times faster; the results
# are identical.
crc32: Callable[[bytes, int], int] = isal_zlib.crc32


def raw_inflater() -> Any:
    """A decompressor for a zip member's raw deflate stream."""
    return isal_zlib.decompressobj(-15)


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds on one report member. RPF01 is the largest report (~300 MB of CSV)."""

    max_member_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0  # inflated / compressed; CSV compresses 3-20 times
    ratio_applies_above_bytes: int = 16 * 1024**2  # tiny files may compress far better


DEFAULT_LIMITS = ZipLimits()


@dataclass(frozen=True, slots=True)
class Inflated:
    """What inflating a zip's compressed bytes ``[data_start, data_start + compressed_size)`` gave
    before the zip was checked (as it arrived: :mod:`cpdesk.engine.reports.arriving`)."""

    data_start: int
    compressed_size: int
    size: int
    crc: int


_PIECE = 8 << 20  # inflate in pieces of 8 MiB
_INPUT = 1 << 20  # from 1 MiB of compressed input at a time


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
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        return "member name is not UTF-8 text"
    if any(ch in _BIDI_CONTROLS for ch in name):
        return "member name has bidirectional control characters (it would read differently)"
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        return "member name is a Windows device name (CON, NUL, COM1, ...)"
    if name.endswith((" ", ".")):
        return "member name ends in a space or a dot"
    return None


# U+202A-U+202E and U+2066-U+2069 reorder text on screen: "cod\u202Exslx.exe" shows as "codexe.xlsx".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# Names Windows reserves for devices, with any extension ("CON.txt" opens the console).
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{n}" for n in range(10)] + [f"LPT{n}" for n in range(10)]
)


def read_single_member(
    data: bytes,
    source: str,
    expected_member: str | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
    consume: Callable[[bytes], None] | None = None,
    inflated: Inflated | None = None,
) -> Parsed[bytes | None]:
    """The content of the zip's one member, with problems naming ``source``.

    With ``consume`` the content is handed over in pieces as it is inflated (nothing is
    kept: the value is ``b""``), so a ~300 MB RPF01 is checked without holding it in memory.

    With ``inflated`` (the member was inflated and consumed as the zip arrived) every check runs
    as without it, but the size and CRC-32 are compared with what inflating gave then instead of
    inflating again, and ``consume`` is not called. ``inflated`` must cover exactly the member's
    compressed bytes; when it does not, the zip is damaged (its first local header is not its
    one member's).
    """

    def fail(code: ProblemCode, message: str) -> Parsed[bytes | None]:
        return Parsed(None, (Problem(source, None, None, message, Severity.ERROR, code),))

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return fail(ProblemCode.NOT_A_ZIP, "not a complete zip file (truncated or damaged)")
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(archive.infolist()) != 1 or len(members) != 1:
            return fail(
                ProblemCode.MEMBER_COUNT, f"zip holds {len(archive.infolist())} members, expected exactly one"
            )
        member = members[0]
        why = unsafe_member_name(member.filename)
        if why is not None:
            return fail(ProblemCode.UNSAFE_NAME, f"unsafe member name {member.filename!r}: {why}")
        if member.flag_bits & 0x1:
            return fail(ProblemCode.ENCRYPTED, f"member {member.filename!r} is encrypted")
        if member.file_size > limits.max_member_bytes:
            return fail(
                ProblemCode.TOO_LARGE, f"member {member.filename!r} inflates to {member.file_size:,} bytes"
            )
        problems: list[Problem] = []
        if expected_member is not None and member.filename.upper() != expected_member.upper():
            problems.append(
                Problem(
                    source,
                    None,
                    None,
                    f"member is named {member.filename!r}, expected {expected_member!r}",
                    Severity.WARNING,
                    ProblemCode.MEMBER_NAME,
                )
            )
        content = _inflate(data, archive, member, limits, consume, inflated)
    if isinstance(content, str):
        code, _, message = content.partition(":")
        return fail(ProblemCode(code), message.strip())
    return Parsed(content, tuple(problems))


def _inflate(
    data: bytes,
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    limits: ZipLimits,
    consume: Callable[[bytes], None] | None,
    inflated: Inflated | None = None,
) -> bytes | str:
    """The member's bytes (``b""`` when consumed), or ``"code: message"`` when it must not or
    cannot be inflated.

    Declared sizes are checked first and inflation never produces more than the declared size;
    the CRC-32 and the size are then checked. Deflated members are inflated straight from the
    archive's bytes, in pieces (with ISA-L when installed); other methods go through zipfile.
    """
    declared, compressed = member.file_size, max(member.compress_size, 1)
    if declared > limits.ratio_applies_above_bytes and declared / compressed > limits.max_ratio:
        return f"compression-ratio: member inflates more than {limits.max_ratio:g} times (zip bomb?)"
    kept: list[bytes] = []
    sink = consume or kept.append
    size, crc = 0, 0
    try:
        if inflated is not None:
            start, end = _member_range(data, member)
            if (inflated.data_start, inflated.compressed_size) != (start, end - start):
                return "damaged: the zip's first local header is not its one member's"
            size, crc = inflated.size, inflated.crc
        else:
            for piece in _pieces(data, archive, member, declared):
                size += len(piece)
                crc = crc32(piece, crc)
                sink(piece)
    except (zipfile.BadZipFile, struct.error) as exc:
        return f"damaged: member is damaged ({exc})"
    except (zlib.error, EOFError, NotImplementedError) as exc:
        return f"damaged: member cannot be inflated ({exc})"
    if size != declared:
        return f"damaged: member holds {size:,} bytes, its header declares {declared:,}"
    if crc != member.CRC:
        return "damaged: member is damaged (bad CRC-32)"
    return b"".join(kept)


def _pieces(data: bytes, archive: zipfile.ZipFile, member: zipfile.ZipInfo, declared: int) -> Iterator[bytes]:
    """The member's content in pieces of at most ``_PIECE`` bytes, never more than ``declared``."""
    if member.compress_type == zipfile.ZIP_STORED:
        raw = _raw_member(data, member)
        for start in range(0, len(raw), _PIECE):
            yield bytes(raw[start : start + _PIECE])
        return
    if member.compress_type != zipfile.ZIP_DEFLATED:
        with archive.open(member) as stream:
            while piece := stream.read(_PIECE):
                yield piece
        return
    inflater = raw_inflater()
    raw = _raw_member(data, member)
    produced = 0
    for start in range(0, len(raw), _INPUT):  # small inputs: unconsumed_tail copies stay small
        pending: bytes | memoryview = raw[start : start + _INPUT]
        while pending:
            piece = inflater.decompress(pending, _PIECE)
            pending = inflater.unconsumed_tail
            if not piece and pending:
                raise zlib.error("inflation made no progress")
            produced += len(piece)
            yield piece
            if produced > declared:
                return  # more than declared: the caller reports the size
        if inflater.eof:
            break
    yield inflater.flush()


def _raw_member(data: bytes, member: zipfile.ZipInfo) -> memoryview:
    start, end = _member_range(data, member)
    return memoryview(data)[start:end]


def _member_range(data: bytes, member: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the member's compressed bytes start and end, located through its local file header."""
    offset = member.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    local_name = data[offset + 30 : offset + 30 + name_length]
    encoding = "utf-8" if member.flag_bits & 0x800 else "cp437"
    if local_name.decode(encoding, "replace") != member.orig_filename:
        raise zipfile.BadZipFile("file name in the directory and in the local header differ")
    start = offset + 30 + name_length + extra_length
    if start + member.compress_size > len(data):
        raise zipfile.BadZipFile("member data runs past the end of the file")
    return start, start + member.compress_size
