"""A facility held in memory: the :class:`RemoteFs` contract without a network, for fast tests.

:class:`MemoryFacility` keeps files per folder and follows a facility profile's folder rules
(list, download, upload, no overwrite); :meth:`MemoryFacility.connect` signs an account on through
the governor, as the real client does, and hands out a :class:`MemoryFs`. Uploads can be answered
by hooks (a result file, say) and a download can be cut after N bytes, like the simulator's faults.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from cpdesk.connectors.errors import (
    AuthenticationFailed,
    ConnectionLost,
    LocalStoreError,
    PermissionDenied,
    RemoteFileNotFound,
)
from cpdesk.connectors.sftp.client import Credentials
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import FacilityProfile, FolderRule
from cpdesk.connectors.sftp.remote import Progress, RemoteEntry, Sink
from cpdesk.engine.status import SignOnOutcome

CHUNK = 256 * 1024


@dataclass
class MemoryFile:
    content: bytes
    mtime: float


class _Named(Protocol):
    @property
    def name(self) -> str: ...


UploadHook = Callable[
    ["MemoryFacility", str, str, str, bytes], None
]  # facility, account, folder, name, bytes


@dataclass
class MemoryFacility:
    """One participant's view of a facility, in memory."""

    profile: FacilityProfile
    participant: str
    clock: Callable[[], float] = time.time
    accounts: set[str] = field(default_factory=set)
    upload_hooks: list[UploadHook] = field(default_factory=list)
    drop_after_bytes: int | None = None  # one-shot: the next download stops after this many bytes
    _files: dict[tuple[str, str], dict[str, MemoryFile]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what the tests arrange ------------------------------------------------------------------

    def put_file(
        self, folder: str, name: str, content: bytes, mtime: float | None = None, account: str = ""
    ) -> None:
        """Publish a file (``account`` for account-scoped folders such as KEY_MANAGEMENT)."""
        with self._lock:
            self._files.setdefault((account, folder), {})[name] = MemoryFile(
                content, self.clock() if mtime is None else mtime
            )

    def file(self, folder: str, name: str, account: str = "") -> MemoryFile | None:
        return self._files.get((account, folder), {}).get(name)

    def remove_file(self, folder: str, name: str, account: str = "") -> None:
        with self._lock:
            self._files.get((account, folder), {}).pop(name, None)

    # -- signing on -----------------------------------------------------------------------------

    def connect(
        self,
        facility: _Named,
        credentials: Credentials,
        known_hosts: KnownHosts,
        governor: SignOnGovernor,
        max_wait_seconds: float,
    ) -> MemoryFs:
        """A :class:`~cpdesk.desk.sessions.Transport`: one attempt through the governor."""
        ticket = governor.reserve(facility.name, credentials.account, max_wait_seconds)
        if credentials.account not in self.accounts:
            governor.finish(ticket, SignOnOutcome.REFUSED, "unknown account")
            raise AuthenticationFailed(f"{credentials.account}@memory: authentication failed")
        governor.finish(ticket, SignOnOutcome.OK, "memory")
        return self.session(credentials.account)

    def session(self, account: str) -> MemoryFs:
        """A session for ``account`` without the governor (tests of the file system alone)."""
        return MemoryFs(self, account)

    # -- the rules ------------------------------------------------------------------------------

    def rule(self, folder: str, account: str) -> tuple[FolderRule, str]:
        """The rule for ``folder`` (its first component) and the account key it is stored under."""
        top = folder.split("/", 1)[0]
        found = self.profile.folder(top, self.participant, account)
        if found is None:
            raise RemoteFileNotFound(f"/{folder}: no such folder")
        return found, account if found.scope == "account" else ""


class MemoryFs:
    """A signed-on session on a :class:`MemoryFacility`."""

    def __init__(self, facility: MemoryFacility, account: str) -> None:
        self.facility = facility
        self.account = account
        self.closed = False

    def __enter__(self) -> MemoryFs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True

    def _open(self, folder: str) -> tuple[FolderRule, dict[str, MemoryFile]]:
        if self.closed:
            raise ConnectionLost(f"/{folder}: the session is closed")
        rule, owner = self.facility.rule(folder, self.account)
        files = self.facility._files.get((owner, folder))
        if files is None and "/" in folder:
            raise RemoteFileNotFound(f"/{folder}: no such folder")
        return rule, files if files is not None else {}

    def list(self, folder: str) -> list[RemoteEntry]:
        rule, files = self._open(folder)
        if not rule.list:
            raise PermissionDenied(f"list /{folder}: permission denied")
        entries = [RemoteEntry(folder, name, len(f.content), f.mtime, False) for name, f in files.items()]
        _, owner = self.facility.rule(folder, self.account)
        prefix = folder + "/"
        subfolders = {
            key[1][len(prefix) :].split("/", 1)[0]
            for key in self.facility._files
            if key[0] == owner and key[1].startswith(prefix)
        }
        entries += [RemoteEntry(folder, name, 0, 0.0, True) for name in sorted(subfolders)]
        return entries

    def stat(self, folder: str, name: str) -> RemoteEntry:
        _, files = self._open(folder)
        found = files.get(name)
        if found is None:
            raise RemoteFileNotFound(f"stat /{folder}/{name}: no such file")
        return RemoteEntry(folder, name, len(found.content), found.mtime, False)

    def get(
        self,
        folder: str,
        name: str,
        sink: Sink,
        offset: int = 0,
        progress: Progress | None = None,
        length: int | None = None,
    ) -> int:
        rule, files = self._open(folder)
        if not rule.download:
            raise PermissionDenied(f"download /{folder}/{name}: permission denied")
        found = files.get(name)
        if found is None:
            raise RemoteFileNotFound(f"download /{folder}/{name}: no such file")
        limit, self.facility.drop_after_bytes = self.facility.drop_after_bytes, None
        end = len(found.content) if length is None else min(len(found.content), offset + length)
        written = 0
        for start in range(offset, end, CHUNK):
            piece = found.content[start : min(start + CHUNK, end)]
            if limit is not None and written + len(piece) > limit:
                piece = piece[: limit - written]
                _write(sink, piece, folder, name)
                self.closed = True
                raise ConnectionLost(f"download /{folder}/{name}: connection lost (after {limit} bytes)")
            _write(sink, piece, folder, name)
            written += len(piece)
            if progress is not None:
                progress(len(piece))
        return written

    def put(self, source: BinaryIO, folder: str, name: str) -> int:
        rule, files = self._open(folder)
        if not rule.upload or name in files:
            raise PermissionDenied(f"upload /{folder}/{name}: permission denied")
        content = source.read()
        _, owner = self.facility.rule(folder, self.account)
        self.facility.put_file(folder, name, content, account=owner)
        for hook in self.facility.upload_hooks:
            hook(self.facility, self.account, folder, name, content)
        return len(content)


def _write(sink: Sink, piece: bytes, folder: str, name: str) -> None:
    try:
        sink.write(piece)
    except OSError as exc:
        raise LocalStoreError(f"cannot write /{folder}/{name} here: {exc.strerror or exc}") from exc
