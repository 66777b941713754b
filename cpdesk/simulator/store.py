"""The simulated facility's files: in memory, so that even hostile names (``../x``) can exist."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cpdesk.connectors.sftp.profile import HKT


@dataclass(frozen=True, slots=True)
class StoredFile:
    content: bytes
    mtime: datetime  # when last written (HKT)
    generated: datetime  # when HKEX generated it: the 10-day retention counts from here


class SimClock:
    """A settable clock for tests; ``now()`` is what the facility believes the time is."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(HKT)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(HKT)

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class VirtualStore:
    """Folders (``shared/COMMON``, ``participant/CXYZ/LOPREPORT``, ``INBOX/20210507`` ...) of files."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._files: dict[str, dict[str, StoredFile]] = {}
        self._kept: set[tuple[str, str]] = set()  # written by clients or in answer to them
        self._lock = threading.RLock()
        self.clock = clock
        self.written_hooks: list[Callable[[str, str], None]] = []  # hear of each kept file written

    def put(
        self,
        folder: str,
        name: str,
        content: bytes,
        mtime: datetime | None = None,
        generated: datetime | None = None,
        keep: bool = False,
    ) -> StoredFile:
        """Store a file; ``keep`` marks what a restart with ``--state`` must still have (uploads and
        the facility's answers to them), unlike the published day, which is made again."""
        when = mtime or self.clock()
        stored = StoredFile(content, when, generated or when)
        with self._lock:
            self._files.setdefault(folder, {})[name] = stored
            if keep:
                self._kept.add((folder, name))
        if keep:
            for hook in self.written_hooks:
                hook(folder, name)
        return stored

    def kept(self) -> list[tuple[str, str, StoredFile]]:
        with self._lock:
            return [
                (folder, name, self._files[folder][name])
                for folder, name in sorted(self._kept)
                if name in self._files.get(folder, {})
            ]

    def get(self, folder: str, name: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(folder, {}).get(name)

    def remove(self, folder: str, name: str) -> None:
        with self._lock:
            self._files.get(folder, {}).pop(name, None)

    def files(self, folder: str) -> dict[str, StoredFile]:
        with self._lock:
            return dict(self._files.get(folder, {}))

    def folders(self) -> list[str]:
        """Every folder holding a file, by its full path."""
        with self._lock:
            return sorted(folder for folder, files in self._files.items() if files)

    def subfolders(self, folder: str) -> list[str]:
        prefix = folder + "/"
        with self._lock:
            names = {key[len(prefix) :].split("/")[0] for key in self._files if key.startswith(prefix)}
        return sorted(names)

    def purge(self, older_than_days: int) -> int:
        """Delete what was generated more than ``older_than_days`` calendar days ago."""
        cutoff = (self.clock() - timedelta(days=older_than_days)).date()
        removed = 0
        with self._lock:
            for files in self._files.values():
                for name in [n for n, f in files.items() if f.generated.astimezone(HKT).date() < cutoff]:
                    del files[name]
                    removed += 1
        return removed

    def count(self) -> int:
        with self._lock:
            return sum(len(files) for files in self._files.values())
