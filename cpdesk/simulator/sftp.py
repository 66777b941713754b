"""The simulated facility's SFTP subsystem: a virtual tree with the profile's folder permissions.

``/`` shows the account's folders (COMMON, CXXX, KEY_MANAGEMENT, ...). Reads need a download
folder, writes an upload folder, and overwriting, deleting or renaming a folder that forbids
modification is "Permission denied", as is any temporary-looking upload name (the guide's
"endurance" remark). Nothing here touches the local disk: every other operation is refused.
"""

from __future__ import annotations

import asyncio
import io
import posixpath
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncssh

from cpdesk.connectors.sftp.profile import FolderRule
from cpdesk.simulator.events import UploadEvent

if TYPE_CHECKING:
    from cpdesk.simulator.server import SimulatedFacility

DIRECTORY = 0o040755
REGULAR = 0o100644
_TEMPORARY = re.compile(r"(^\.|\.(filepart|part|partial|tmp|temp)$|~$)", re.IGNORECASE)
_DENIED = "Permission denied"


@dataclass
class _Reading:
    content: bytes


@dataclass
class _Writing:
    top: str
    store_folder: str
    name: str
    buffer: io.BytesIO = field(default_factory=io.BytesIO)


def store_folder(rule: FolderRule, top: str, participant: str, account: str) -> str:
    """Where a visible top-level folder lives in the store, by the rule's scope."""
    if rule.scope == "shared":
        return f"shared/{top}"
    if rule.scope == "participant":
        return f"participant/{participant}/{top}"
    return f"account/{account}/{top}"


class FacilitySftp(asyncssh.SFTPServer):
    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], facility: SimulatedFacility) -> None:
        super().__init__(chan)
        self.facility = facility
        self.account = str(chan.get_extra_info("username"))
        self.participant = facility.participant_of(self.account)
        self.served_bytes = 0

    # -- paths -----------------------------------------------------------------------------

    def _parts(self, path: bytes) -> list[str]:
        text = posixpath.normpath("/" + path.decode("utf-8", "surrogateescape"))
        return [p for p in text.split("/") if p]

    def _top(self, top: str) -> tuple[FolderRule, str]:
        rule = self.facility.profile.folder(top, self.participant, self.account)
        if rule is None:
            raise asyncssh.SFTPNoSuchFile(f"no folder {top}")
        return rule, store_folder(rule, top, self.participant, self.account)

    def _locate(self, path: bytes) -> tuple[FolderRule, str, str, str]:
        """(rule, top, store folder, file name) of a file path like /COMMON/x or /INBOX/20210507/x."""
        parts = self._parts(path)
        if len(parts) < 2 or len(parts) > 3:
            raise asyncssh.SFTPNoSuchFile("no such file")
        rule, folder = self._top(parts[0])
        if len(parts) == 3:
            if not rule.dated_subfolders:
                raise asyncssh.SFTPNoSuchFile("no such file")
            folder = f"{folder}/{parts[1]}"
        return rule, parts[0], folder, parts[-1]

    def _visible_tops(self) -> list[tuple[str, FolderRule]]:
        return [(r.resolve(self.participant, self.account), r) for r in self.facility.profile.folders]

    def _purge(self) -> None:
        self.facility.store.purge(self.facility.profile.retention_days)

    # -- reading the tree ------------------------------------------------------------------

    def realpath(self, path: bytes) -> bytes:
        return ("/" + "/".join(self._parts(path))).encode("utf-8", "surrogateescape")

    def _attrs_of(self, path: bytes) -> asyncssh.SFTPAttrs:
        self._purge()
        parts = self._parts(path)
        if not parts:
            return asyncssh.SFTPAttrs(permissions=DIRECTORY)
        rule, folder = self._top(parts[0])
        if len(parts) == 1:
            return asyncssh.SFTPAttrs(permissions=DIRECTORY)
        if len(parts) == 2 and rule.dated_subfolders and parts[1] in self.facility.store.subfolders(folder):
            return asyncssh.SFTPAttrs(permissions=DIRECTORY)
        _, _, folder, name = self._locate(path)
        stored = self.facility.store.get(folder, name)
        if stored is None:
            raise asyncssh.SFTPNoSuchFile("no such file")
        return asyncssh.SFTPAttrs(
            size=len(stored.content),
            permissions=REGULAR,
            mtime=int(stored.mtime.timestamp()),
            atime=int(stored.mtime.timestamp()),
        )

    def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return self._attrs_of(path)

    def lstat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return self._attrs_of(path)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        self._purge()
        parts = self._parts(path)
        if not parts:
            for top, _ in self._visible_tops():
                yield asyncssh.SFTPName(top.encode(), attrs=asyncssh.SFTPAttrs(permissions=DIRECTORY))
            return
        rule, folder = self._top(parts[0])
        if not rule.list:
            raise asyncssh.SFTPPermissionDenied(_DENIED)
        if len(parts) == 2:
            if not rule.dated_subfolders:
                raise asyncssh.SFTPNoSuchFile("no such folder")
            folder = f"{folder}/{parts[1]}"
        elif len(parts) > 2:
            raise asyncssh.SFTPNoSuchFile("no such folder")
        elif rule.dated_subfolders:
            for day in self.facility.store.subfolders(folder):
                yield asyncssh.SFTPName(day.encode(), attrs=asyncssh.SFTPAttrs(permissions=DIRECTORY))
        for name, stored in self.facility.store.files(folder).items():
            yield asyncssh.SFTPName(
                name.encode("utf-8", "surrogateescape"),
                attrs=asyncssh.SFTPAttrs(
                    size=len(stored.content),
                    permissions=REGULAR,
                    mtime=int(stored.mtime.timestamp()),
                    atime=int(stored.mtime.timestamp()),
                ),
            )

    # -- files -----------------------------------------------------------------------------

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        self._purge()
        rule, top, folder, name = self._locate(path)
        if not pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_CREAT):
            if not rule.download:
                raise asyncssh.SFTPPermissionDenied(_DENIED)
            stored = self.facility.store.get(folder, name)
            if stored is None:
                raise asyncssh.SFTPNoSuchFile("no such file")
            faults = self.facility.faults
            if name in faults.fail_reads:
                raise asyncssh.SFTPFailure("Failure")  # what a server says of, say, a folder's link
            if name in faults.grow_on_read:  # HKEX still writing it: the next stat sees it larger
                faults.grow_on_read.discard(name)
                self.facility.store.put(folder, name, stored.content + b"\n", generated=stored.generated)
            return _Reading(stored.content)
        if not rule.upload or _TEMPORARY.search(name):
            raise asyncssh.SFTPPermissionDenied(_DENIED)
        if self.facility.store.get(folder, name) is not None:
            if not rule.modify:
                raise asyncssh.SFTPPermissionDenied(_DENIED)
            if pflags & asyncssh.FXF_EXCL:
                raise asyncssh.SFTPFileAlreadyExists("file exists")
        attempt = UploadEvent(self.account, self.participant, top, folder, name, b"", self.facility.clock())
        reason = self.facility.refuse_upload(attempt)  # the upload controls act when an upload starts
        if reason:
            raise asyncssh.SFTPPermissionDenied(f"{_DENIED}: {reason}")
        return _Writing(top, folder, name)

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        assert isinstance(file_obj, _Reading)
        chunk = file_obj.content[offset : offset + size]
        stall = self.facility.faults.stall_after_bytes
        if stall is not None and self.served_bytes + len(chunk) > stall:
            self.facility.faults.stall_after_bytes = None  # one stall per injection
            while not self.channel.is_closing():  # silent until the client gives up and closes
                await asyncio.sleep(0.05)
            raise asyncssh.SFTPConnectionLost("the client went away during a stall (fault injected)")
        limit = self.facility.faults.drop_after_bytes
        if limit is not None and self.served_bytes + len(chunk) > limit:
            self.facility.faults.drop_after_bytes = None  # one drop per injection
            await self._delivered()
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("connection dropped (fault injected)")
        self.served_bytes += len(chunk)
        faults = self.facility.faults
        if faults.short_reads is not None:
            chunk = chunk[: faults.short_reads]
        if faults.oversized_reads and chunk:
            chunk += b"-more than was asked for-"
        return chunk

    async def _delivered(self) -> None:
        """Let the bytes already served reach the client before the drop.

        An abort discards whatever still sits in the channel's buffer, and a reset can discard what sits
        in the client's socket: the drop would then fall at a random point before the limit instead of at
        it. asyncssh answers requests one at a time, so nothing more is served while this waits.
        """
        for _ in range(200):
            if not self.channel.get_write_buffer_size():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # for the client to take the last responses off its socket

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if not isinstance(file_obj, _Writing):
            raise asyncssh.SFTPPermissionDenied(_DENIED)
        limit = self.facility.faults.drop_upload_after_bytes
        if limit is not None and offset + len(data) > limit:
            self.facility.faults.drop_upload_after_bytes = None  # one drop per injection
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("connection dropped (fault injected)")
        file_obj.buffer.seek(offset)
        file_obj.buffer.write(data)
        return len(data)

    def close(self, file_obj: object) -> None:
        if not isinstance(file_obj, _Writing):
            return
        event = UploadEvent(
            self.account,
            self.participant,
            file_obj.top,
            file_obj.store_folder,
            file_obj.name,
            file_obj.buffer.getvalue(),
            self.facility.clock(),
        )
        self.facility.store.put(event.store_folder, event.name, event.content, keep=True)
        self.facility.uploaded(event)

    def fstat(self, file_obj: object) -> asyncssh.SFTPAttrs:
        if isinstance(file_obj, _Reading):
            return asyncssh.SFTPAttrs(size=len(file_obj.content), permissions=REGULAR)
        assert isinstance(file_obj, _Writing)
        return asyncssh.SFTPAttrs(size=len(file_obj.buffer.getvalue()), permissions=REGULAR)

    # -- everything that modifies or reaches outside is refused ------------------------------

    def _modify(self, path: bytes) -> None:
        rule, _, _, _ = self._locate(path)
        if not rule.modify:
            raise asyncssh.SFTPPermissionDenied(_DENIED)
        raise asyncssh.SFTPOpUnsupported("not supported by the simulated facility")

    def remove(self, path: bytes) -> None:
        self._modify(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._modify(oldpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._modify(oldpath)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._modify(path)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._modify(path)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        if not isinstance(file_obj, _Writing):
            raise asyncssh.SFTPPermissionDenied(_DENIED)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise asyncssh.SFTPPermissionDenied(_DENIED)

    mkdir = rmdir = symlink = link = readlink = statvfs = fstatvfs = lock = unlock = fsync = open56 = _refuse
