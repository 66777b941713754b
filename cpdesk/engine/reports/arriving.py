"""Inflating a report zip while it arrives, so its check does not wait for the whole file.

A zip's directory is at its end, but its first member starts at its front: a local file header,
then the compressed bytes. :class:`ArrivingMember` is fed the zip's bytes in file order as they
are downloaded, inflates the first member from its local header on, and hands the content to a
consumer (RPF01's record counter) and a CRC-32. What it finds is only a head start, never a
verdict: once the zip is complete, ``read_single_member(..., inflated=...)`` runs every check
from the zip's directory and compares the size and CRC-32 with what was inflated here, and a
zip whose first local header is not its one member's is damaged.

It gives up quietly (``result()`` is None; the check then inflates the whole zip as usual)
whenever the front of the file is not a plain deflated member: not a local header, encrypted,
another method, a damaged stream, or more output than the limits allow. Memory stays bounded:
one piece of input and one of output at a time.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

from cpdesk.engine.reports.zipsafe import (
    DEFAULT_LIMITS,
    Inflated,
    ZipLimits,
    crc32,
    raw_inflater,
)

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_PIECE = 8 << 20  # inflate at most 8 MiB at a time
_INPUT = 1 << 20  # from at most 1 MiB of compressed input at a time


class ArrivingMember:
    """Feed it the zip's bytes from the front (:meth:`feed`), then take :meth:`result`."""

    def __init__(self, consume: Callable[[bytes], None], limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self.consume = consume
        self.limits = limits
        self.gave_up = ""  # why the head start was abandoned, when it was
        self._front = b""  # the local header, until it is complete
        self._data_start = 0
        self._declared: int | None = None  # the local header's size, unless a data descriptor follows
        self._inflater: Any = None
        self._compressed = 0  # compressed bytes given to the inflater
        self._size = 0
        self._crc = 0
        self._ended = False

    def feed(self, data: bytes) -> None:
        if self.gave_up or self._ended or not data:
            return
        if self._inflater is None:
            data = self._header(data)
            if self._inflater is None:
                return
        view = memoryview(data)
        try:
            for start in range(0, len(view), _INPUT):
                self._inflate(view[start : start + _INPUT])
                if self._ended or self.gave_up:
                    return
        except zlib.error as exc:
            self.gave_up = f"the member cannot be inflated ({exc})"

    def result(self) -> Inflated | None:
        """What inflating the first member gave, when its compressed stream ended cleanly."""
        if self.gave_up or not self._ended:
            return None
        return Inflated(self._data_start, self._compressed, self._size, self._crc)

    def _header(self, data: bytes) -> bytes:
        """Takes the local header from the front; returns the bytes after it."""
        self._front += data
        if len(self._front) < _LOCAL_HEADER.size:
            return b""
        fields = _LOCAL_HEADER.unpack_from(self._front)
        signature, _, flags, method = fields[:4]
        usize, name_length, extra_length = fields[8:11]
        if signature != b"PK\x03\x04":
            self.gave_up = "the file does not start with a zip member"
        elif flags & 0x1:
            self.gave_up = "the member is encrypted"
        elif method != 8:
            self.gave_up = "the member is not deflated"
        if self.gave_up:
            return b""
        start = _LOCAL_HEADER.size + name_length + extra_length
        if len(self._front) < start:
            return b""
        self._data_start = start
        self._declared = None if flags & 0x8 else usize
        self._inflater = raw_inflater()
        rest, self._front = self._front[start:], b""
        return rest

    def _inflate(self, compressed: memoryview) -> None:
        inflater = self._inflater
        pending: bytes | memoryview = compressed
        while pending:
            piece = inflater.decompress(pending, _PIECE)
            if inflater.eof:
                self._take(piece + inflater.flush(), len(compressed) - len(inflater.unused_data))
                self._compressed += len(compressed) - len(inflater.unused_data)
                self._ended = not self.gave_up
                return
            pending = inflater.unconsumed_tail
            self._take(piece, len(compressed) - len(pending))
            if self.gave_up:
                return
            if not piece and pending:
                self.gave_up = "inflation made no progress"
                return
        self._compressed += len(compressed)

    def _take(self, piece: bytes, consumed: int) -> None:
        """``consumed``: compressed bytes of the current input used so far (for the ratio)."""
        if not piece:
            return
        self._size += len(piece)
        limits = self.limits
        bound = limits.max_member_bytes
        if self._declared is not None:
            bound = min(self._declared, bound)
        if self._size > bound:
            self.gave_up = "the member inflates past its declared size or the limit"
        elif (
            self._size > limits.ratio_applies_above_bytes
            and self._size / max(self._compressed + consumed, 1) > limits.max_ratio
        ):
            self.gave_up = "the member inflates past the compression ratio limit"
        if self.gave_up:
            return
        self._crc = crc32(piece, self._crc)
        self.consume(piece)
