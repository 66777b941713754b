"""A signed-on SFTP session: :class:`~cpdesk.connectors.sftp.remote.RemoteFs` over paramiko.

- Listings read names as the server sends them: a name that is not UTF-8 keeps its bytes as
  surrogates (and is then refused as unsafe by the archive) instead of failing the listing.
- Every wait is bounded: the channel times out after the profile's idle timeout and a stalled
  transfer ends as :class:`ConnectionLost` (the partial file resumes next run).
- A write to the local sink that fails (disk full) is a :class:`LocalStoreError`, never a lost
  connection.
- Uploads go only to folders whose profile rule allows them, straight to the final name with an
  exclusive create, and never overwrite.
"""

from __future__ import annotations

import stat as stat_mode
from collections.abc import Callable
from typing import Any, BinaryIO

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

from cpdesk.connectors.errors import ConnectionLost, LocalStoreError, PermissionDenied
from cpdesk.connectors.sftp.errors import translated
from cpdesk.connectors.sftp.profile import Address, FolderRule
from cpdesk.connectors.sftp.reader import close_soon, open_for_reading, read_into
from cpdesk.connectors.sftp.remote import Progress, RemoteEntry, Sink

CONCURRENT_READS = 64
CHUNK = 1 << 20

FolderRules = Callable[[str], FolderRule | None]


class SftpSession:
    """A signed-on connection. ``rules`` gives the profile's rule for a folder (None: not one of
    the profile's folders)."""

    def __init__(
        self,
        transport: paramiko.Transport,
        sftp: paramiko.SFTPClient,
        address: Address,
        account: str,
        read_size: int,
        rules: FolderRules | None = None,
    ) -> None:
        self.transport = transport
        self.sftp = sftp
        self.address = address
        self.account = account
        self.read_size = read_size
        self.rules = rules

    def __enter__(self) -> SftpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()

    def _alive(self) -> bool:
        return bool(self.transport.is_active())

    @staticmethod
    def _entry(folder: str, name: str, attrs: paramiko.SFTPAttributes) -> RemoteEntry:
        mode = attrs.st_mode or 0
        return RemoteEntry(
            folder, name, int(attrs.st_size or 0), float(attrs.st_mtime or 0), stat_mode.S_ISDIR(mode)
        )

    def list(self, folder: str) -> list[RemoteEntry]:
        with translated(f"list /{folder}", self._alive):
            return _read_folder(self.sftp, folder)

    def stat(self, folder: str, name: str) -> RemoteEntry:
        with translated(f"stat /{folder}/{name}", self._alive):
            return self._entry(folder, name, self.sftp.stat(f"/{folder}/{name}"))

    def get(
        self,
        folder: str,
        name: str,
        sink: Sink,
        offset: int = 0,
        progress: Progress | None = None,
        length: int | None = None,
    ) -> int:
        path = f"/{folder}/{name}"
        with translated(f"download {path}", self._alive):
            if length is None:
                length = max(0, int(self.sftp.stat(path).st_size or 0) - offset)

            def write(data: bytes) -> None:
                try:
                    sink.write(data)
                except OSError as exc:
                    why = exc.strerror or exc
                    raise LocalStoreError(f"cannot write {path} here: {why}") from exc
                if progress is not None:
                    progress(len(data))

            handle = open_for_reading(self.sftp, path)
            try:
                return read_into(
                    self.sftp, handle, offset, max(0, length), write, self.read_size, CONCURRENT_READS
                )
            finally:
                close_soon(self.sftp, handle)

    def _exists(self, folder: str, name: str) -> bool:
        try:
            self.sftp.stat(f"/{folder}/{name}")
        except OSError:
            return False
        return True

    def put(self, source: BinaryIO, folder: str, name: str) -> int:
        sent = 0
        what = f"upload /{folder}/{name}"
        if self.rules is not None:
            rule = self.rules(folder)
            if rule is None or not rule.upload:
                raise PermissionDenied(f"{what}: the facility's profile allows no uploads to /{folder}")
        with translated(what, self._alive):
            try:
                remote = self.sftp.open(f"/{folder}/{name}", "wxb")
            except OSError as exc:
                # OpenSSH answers an exclusive create of an existing name with a bare "Failure".
                if not isinstance(exc, PermissionError | FileNotFoundError) and self._exists(folder, name):
                    raise PermissionDenied(f"{what}: {name} exists; never overwritten") from exc
                raise
            with remote:
                remote.set_pipelined(True)
                while chunk := source.read(CHUNK):
                    remote.write(chunk)
                    sent += len(chunk)
                # paramiko's close() swallows errors and flushes its buffer only after waiting for the
                # pipelined writes: flushing first makes close() wait for every write's status and
                # raise the first failure, instead of a dropped upload looking sent.
                remote.flush()
            if not self.transport.is_active():
                raise ConnectionLost(f"{what}: connection lost before the server confirmed the file")
        return sent


def _read_folder(client: paramiko.SFTPClient, folder: str) -> list[RemoteEntry]:
    """paramiko's listdir_attr, reading each name as bytes (it decodes them strictly)."""
    sftp: Any = client  # the request layer paramiko's own listing uses
    kind, message = sftp._request(CMD_OPENDIR, f"/{folder}")
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle")
    handle = message.get_binary()
    entries = []
    try:
        while True:
            try:
                kind, message = sftp._request(CMD_READDIR, handle)
            except EOFError:
                break
            if kind != CMD_NAME:
                raise paramiko.SFTPError("expected a name response")
            for _ in range(message.get_int()):
                name = message.get_binary().decode("utf-8", "surrogateescape")
                message.get_binary()  # the long name, unused
                attrs = paramiko.SFTPAttributes._from_msg(message)
                if name not in (".", ".."):
                    entries.append(SftpSession._entry(folder, name, attrs))
    finally:
        sftp._request(CMD_CLOSE, handle)
    return entries
