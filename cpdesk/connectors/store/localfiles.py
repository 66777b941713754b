"""Writing a finished file locally: all of it or nothing, and never over an existing one."""

from __future__ import annotations

import os
from pathlib import Path


def write_new_file(target: Path, content: bytes) -> None:
    """Write ``content`` to a temporary name beside ``target``, flush it to disk, then link it into
    place; raise FileExistsError, rather than replace, when ``target`` exists (or appears meanwhile)."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwritten")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise FileExistsError(f"{target} already exists; not overwritten") from None
    finally:
        temporary.unlink(missing_ok=True)
