"""One way to write a finished file: all of it or nothing, durable, in one step.

Every layer writes some file it must never leave half-written (the RPF01 cache, known_hosts,
``cpdesk.toml`` after a renewal, a registration zip, a LOP template), so this small module sits
outside the layers and every layer may use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], object]


def write_atomically(
    target: Path, content: bytes | Writer, *, overwrite: bool = True, mode: int = 0o644
) -> None:
    """Write ``content`` (bytes, or a function that writes to the open file) to a temporary name
    beside ``target``, flush it to disk, then put it in place in one step.

    With ``overwrite`` the target is replaced; without, an existing target (or one that appears
    meanwhile) raises FileExistsError and is left untouched. The file is created with ``mode``
    (0o600 for a private key: never readable by others, not even for a moment). The temporary file
    never outlives a failure."""
    if not overwrite and target.exists():
        raise FileExistsError(f"{target} already exists; not overwritten")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            else:
                content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, target)
            return
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise FileExistsError(f"{target} already exists; not overwritten") from None
    finally:
        temporary.unlink(missing_ok=True)
