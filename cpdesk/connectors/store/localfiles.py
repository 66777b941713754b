"""Writing a finished file locally: all of it or nothing, and never over an existing one."""

from __future__ import annotations

from pathlib import Path

from cpdesk.fileio import write_atomically


def write_new_file(target: Path, content: bytes) -> None:
    """``content`` at ``target`` in one step, flushed to disk; FileExistsError, rather than a
    replacement, when ``target`` exists (or appears meanwhile)."""
    write_atomically(target, content, overwrite=False)
