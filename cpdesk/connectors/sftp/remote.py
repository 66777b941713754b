"""The small file-system protocol every facility connection offers (rclone's ``Fs``, fsspec)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    folder: str  # "COMMON", "INBOX/20210507"
    name: str  # as the server gives it: never trusted as a local path
    size: int
    mtime: float  # epoch seconds
    is_dir: bool

    @property
    def path(self) -> str:
        return f"/{self.folder}/{self.name}"


Progress = Callable[[int], None]


class Sink(Protocol):
    """Where downloaded bytes go: a binary file, or anything that writes bytes."""

    def write(self, data: bytes, /) -> int: ...


class RemoteFs(Protocol):
    def list(self, folder: str) -> list[RemoteEntry]: ...

    def stat(self, folder: str, name: str) -> RemoteEntry: ...

    def get(
        self, folder: str, name: str, sink: Sink, offset: int = 0, progress: Progress | None = None
    ) -> int:
        """Write the remote file from ``offset`` to ``sink``; return the bytes written."""
        ...

    def put(self, source: BinaryIO, folder: str, name: str) -> int:
        """Upload straight to the final name (no temporary name, no rename); return bytes sent."""
        ...

    def close(self) -> None: ...
