"""The local archive: ``<root>/<business date>/<folder>/<name>``, written atomically, never escaped.

Downloads land in ``<root>/.partial/`` (same file system) with a note of the remote file's name,
size and time, so a dropped transfer resumes where it stopped on the next run; only a complete,
checked file is renamed into place. A partial file is named by a hash of the remote name (a name
of up to 255 bytes plus a suffix would not fit). Remote names are checked before they become part
of any local path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cpdesk.engine.calendar import HKT
from cpdesk.engine.reports.zipsafe import unsafe_member_name

MAX_NAME_LENGTH = 255
_FOLDER_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def unsafe_remote_name(name: str) -> str | None:
    """Why a name from the server may not be used locally, or None when it may."""
    why = unsafe_member_name(name)
    if why is not None:
        return why.replace("member name", "name")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_LENGTH:
        return "name is too long"
    if name != name.strip():
        return "name has leading or trailing spaces"
    return None


def check_folder(folder: str) -> None:
    """Folders come from the profile (and dated sub-folders from the server): keep them plain."""
    parts = folder.split("/")
    if not all(_FOLDER_PART.fullmatch(part) for part in parts):
        raise ValueError(f"folder {folder!r} cannot be used in the archive")


def flush(path: Path) -> None:
    """Make a downloaded file durable before it is renamed into the archive."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


@dataclass(frozen=True, slots=True)
class PartialFile:
    path: Path
    note: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.note.unlink(missing_ok=True)


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ValueError(f"{path} is outside the archive")
        return resolved

    def final_path(self, business_date: date, folder: str, name: str) -> Path:
        check_folder(folder)
        why = unsafe_remote_name(name)
        if why:
            raise ValueError(f"{name!r}: {why}")
        return self._inside(self.root / business_date.isoformat() / folder / name)

    def partial(self, folder: str, name: str, size: int, mtime: float) -> PartialFile:
        """The partial file for a remote file; a leftover for another version is discarded."""
        check_folder(folder)
        why = unsafe_remote_name(name)
        if why:
            raise ValueError(f"{name!r}: {why}")
        base = self._inside(self.root / ".partial" / folder.replace("/", "__"))
        base.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:40]
        partial = PartialFile(base / f"{key}.part", base / f"{key}.part.json")
        expected = {"name": name, "size": size, "mtime": mtime}
        try:
            same = json.loads(partial.note.read_text()) == expected
        except (OSError, ValueError):
            same = False
        if not same:
            partial.path.unlink(missing_ok=True)
            partial.note.write_text(json.dumps(expected))
        return partial

    def discard_partials_except(self, keep: set[Path]) -> int:
        """Remove partial files (and their notes) that are not in ``keep``: files gone from the
        server, archived meanwhile, or of a version since replaced. Returns how many went."""
        removed = 0
        root = self.root / ".partial"
        if not root.is_dir():
            return 0
        for note in root.glob("*/*.part.json"):
            data = note.with_suffix("")  # x.part.json -> x.part
            if data not in keep:
                PartialFile(data, note).discard()
                removed += 1
        return removed

    def commit(self, partial: PartialFile, final: Path, remote_mtime: float) -> None:
        """Move a complete download into place in one rename; the archived file keeps the
        server's modification time. The caller has flushed it to disk (:func:`flush`)."""
        final = self._inside(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.utime(partial.path, (remote_mtime, remote_mtime))
        os.replace(partial.path, final)
        partial.note.unlink(missing_ok=True)

    def keep_previous_version(self, final: Path) -> None:
        """Intraday files: the version being replaced stays beside it, named after its own time
        (``<name>.<yyyymmddHHMMSS>``, HKT)."""
        if final.exists():
            stamp = datetime.fromtimestamp(final.stat().st_mtime, HKT).strftime("%Y%m%d%H%M%S")
            os.replace(final, final.with_name(f"{final.name}.{stamp}"))
