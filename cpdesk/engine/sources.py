"""Where a loader's bytes come from: a path, or anything already open (Strata's ``CharSource``).

Loaders take a :data:`Source` so a front can hand them what it has — a file on disk, an upload
held in memory, a zip member, a live Excel range written to a buffer — without a temporary file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

Source = str | os.PathLike[str] | BinaryIO


def source_name(source: Source, name: str | None = None) -> str:
    """How problems name the source: ``name`` if given, else the path, else the stream's name."""
    if name is not None:
        return name
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def read_source(source: Source) -> bytes:
    """All the source's bytes (raises OSError when a path cannot be read)."""
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    return source.read()
