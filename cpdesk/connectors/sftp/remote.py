"""The small file-system protocol every facility connection offers (rclone's ``Fs``, fsspec).

Implementations: :class:`~cpdesk.connectors.sftp.client.SftpSession` (paramiko, the real
facility and OpenSSH's sshd) and :class:`~cpdesk.connectors.sftp.memory.MemoryFs` (in memory, for
fast tests). One contract suite (tests/connectors/test_remote_contract.py) runs against each, the
asyncssh simulator and sshd included. Every method raises only :mod:`cpdesk.connectors.errors`:

- :class:`~cpdesk.connectors.errors.RemoteFileNotFound`: the folder or file does not exist;
- :class:`~cpdesk.connectors.errors.PermissionDenied`: the facility refuses the operation there
  (a write to a download folder, an overwrite, a read of an upload-only folder);
- :class:`~cpdesk.connectors.errors.ConnectionLost`: the connection dropped or failed mid-way.

Folders are given without a leading slash (``"COMMON"``, ``"INBOX/20210507"``); names are single
path components as the server gives them, never trusted as local paths.
"""

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
    def list(self, folder: str) -> list[RemoteEntry]:
        """Every entry of ``/folder`` (files and sub-folders, not ``.``/``..``), in no set order.

        Raises RemoteFileNotFound (no such folder), PermissionDenied (not listable),
        ConnectionLost."""
        ...

    def stat(self, folder: str, name: str) -> RemoteEntry:
        """One entry. Raises RemoteFileNotFound, PermissionDenied, ConnectionLost."""
        ...

    def get(
        self,
        folder: str,
        name: str,
        sink: Sink,
        offset: int = 0,
        progress: Progress | None = None,
        length: int | None = None,
    ) -> int:
        """Write the remote file from byte ``offset`` on (at most ``length`` bytes) to ``sink``,
        calling ``progress`` with each piece's size; return the bytes written. What arrived before
        a drop has been written.

        Raises RemoteFileNotFound, PermissionDenied (e.g. an upload-only folder), RemoteFailure,
        ConnectionLost, and LocalStoreError when ``sink`` cannot take the bytes."""
        ...

    def put(self, source: BinaryIO, folder: str, name: str) -> int:
        """Upload ``source`` straight to its final name (no temporary name, no rename) and return
        the bytes sent. Never overwrites: an existing name is refused.

        Raises PermissionDenied (not an upload folder, or the name exists), RemoteFileNotFound
        (no such folder), ConnectionLost (the upload did not complete: it may be partly there)."""
        ...

    def close(self) -> None:
        """End the session; closing twice is harmless. Raises nothing."""
        ...

    def __enter__(self) -> RemoteFs: ...

    def __exit__(self, *exc: object) -> None: ...
