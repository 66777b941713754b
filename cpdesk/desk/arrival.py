"""Checking a download while it arrives: the sink that writes, hashes and tells how far it got,
and a reader on the verifying thread that follows the file as it grows.

RPF01's data zip is ~120 MB and inflates to ~290 MB; inflating it after the download put half a
second of work behind the last byte. Its records are now counted from the partial file while the
rest of it is still on the wire (:class:`~cpdesk.engine.reports.pairs.ArrivingRecordCount`), and
the pair check confirms the count against the zip's directory once both files are complete.
"""

from __future__ import annotations

import hashlib
import threading
from io import FileIO
from pathlib import Path

from cpdesk.engine.reports.pairs import ArrivingRecordCount, CountedMember

FOLLOW_BYTES = 1 << 20  # read the growing file 1 MiB at a time


class Arrival:
    """How many bytes of a download are in its partial file, and whether it ended complete."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._written = 0
        self._ended = False
        self.complete = False

    def advance(self, size: int) -> None:
        with self._changed:
            self._written += size
            self._changed.notify_all()

    def end(self, complete: bool) -> None:
        """Always called, however the download ended: the follower stops waiting."""
        with self._changed:
            self._ended, self.complete = True, complete
            self._changed.notify_all()

    def beyond(self, position: int) -> int:
        """The bytes written once more than ``position`` are, or once the download ended."""
        with self._changed:
            self._changed.wait_for(lambda: self._written > position or self._ended)
            return self._written


class Receiving:
    """The download's sink: writes every byte (an unbuffered file may take part of a write),
    hashes it, then tells the arrival (if any), so a follower only reads what is in the file."""

    def __init__(self, sink: FileIO, digest: hashlib._Hash, arrival: Arrival | None) -> None:
        self.sink = sink
        self.digest = digest
        self.arrival = arrival

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = self.sink.write(view)
            if not written:  # a regular file takes at least a byte or raises (ENOSPC)
                raise OSError(f"{self.sink.name}: the file took none of the bytes")
            view = view[written:]
        self.digest.update(data)
        if self.arrival is not None:
            self.arrival.advance(len(data))
        return len(data)


def count_arriving(path: Path, arrival: Arrival) -> CountedMember | None:
    """Count an RPF01 data zip's records from its partial file while it downloads; None when the
    download did not complete or the zip was not one the head start applies to."""
    counting = ArrivingRecordCount()
    position = 0
    growing = None
    try:
        while (written := arrival.beyond(position)) > position:
            if growing is None:  # opened once there are bytes: the download made the file by then
                growing = path.open("rb")
            data = growing.read(min(written - position, FOLLOW_BYTES))
            if not data:
                return None  # the file is shorter than what was written to it: not ours to trust
            counting.feed(data)
            position += len(data)
    finally:
        if growing is not None:
            growing.close()
    return counting.result() if arrival.complete else None
