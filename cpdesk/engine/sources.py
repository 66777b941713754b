"""Where a loader's bytes come from: a path, or anything already open (Strata's ``CharSource``).

Loaders take a :data:`Source` so a front can hand them what it has — a file on disk, an upload
held in memory, a zip member, a live Excel range written to a buffer — without a temporary file.

Reading a path is bounded: only a regular file (never a folder, a FIFO that would block, or a
device such as ``/dev/zero`` behind a link) and only up to a size limit, each refusal an
:class:`OSError` whose message names the file and says why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

Source = str | os.PathLike[str] | BinaryIO

DEFAULT_LIMIT_BYTES = 2 << 30  # 2 GiB: four times the largest RPF01 (~300 MB) cpdesk reads


class FileRefused(OSError):
    """A path cpdesk will not read, and why (its ``strerror`` is the reason)."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(reason)
        self.strerror = reason
        self.filename = str(path)

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def source_name(source: Source, name: str | None = None) -> str:
    """How problems name the source: ``name`` if given, else the path, else the stream's name."""
    if name is not None:
        return name
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def read_file(path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT_BYTES) -> bytes:
    """A regular file's bytes, at most ``limit`` of them; FileRefused (an OSError) otherwise."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileRefused(path, exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused(path, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, "is not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise FileRefused(path, f"is {info.st_size:,} bytes; cpdesk reads at most {limit:,} here")
    try:
        with Path(path).open("rb") as handle:
            # As many bytes as the file holds, and one more to see it grow: read(limit + 1) would
            # reserve 2 GiB of address space for every small file.
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += handle.read(limit + 1 - len(data))
    except OSError as exc:
        raise FileRefused(path, exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise FileRefused(path, f"grew past {limit:,} bytes while it was read")
    return data


def read_source(source: Source, limit: int = DEFAULT_LIMIT_BYTES) -> bytes:
    """All the source's bytes, at most ``limit`` (raises OSError saying why when it cannot)."""
    if isinstance(source, str | os.PathLike):
        return read_file(source, limit)
    data = source.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(source_name(source), f"holds more than {limit:,} bytes")
    return data
