"""What a sync tells its front: events while it runs (:class:`Reporter`) and, per facility, a frozen
:class:`FacilityResult` once it is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.engine.problems import Problem
from cpdesk.engine.status import FileResult, SyncStatus


@dataclass(frozen=True, slots=True)
class FileOutcome:
    folder: str
    name: str
    size: int
    result: FileResult
    detail: str
    archive_path: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "folder": self.folder,
            "name": self.name,
            "size": self.size,
            "result": self.result.value,
            "detail": self.detail,
            "archive_path": self.archive_path,
        }


@dataclass(frozen=True, slots=True)
class RetentionWarning:
    """A file on the server that is not archived, and the days before HKEX deletes it."""

    folder: str
    name: str
    days_left: int

    def as_dict(self) -> dict[str, object]:
        return {"folder": self.folder, "name": self.name, "days_left": self.days_left}


class Reporter(Protocol):
    """Events of a running sync (a progress bar, a log, a dashboard's messages)."""

    def listed(self, facility: str, files: int, new: int) -> None: ...
    def started(self, entry: RemoteEntry, resume_from: int) -> None: ...
    def advanced(self, entry: RemoteEntry, nbytes: int) -> None: ...
    def finished(self, outcome: FileOutcome) -> None: ...
    def warn(self, text: str) -> None: ...


class SilentReporter:
    def listed(self, facility: str, files: int, new: int) -> None:
        pass

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        pass

    def advanced(self, entry: RemoteEntry, nbytes: int) -> None:
        pass

    def finished(self, outcome: FileOutcome) -> None:
        pass

    def warn(self, text: str) -> None:
        pass


@dataclass(frozen=True, slots=True)
class FacilityResult:
    """One facility's sync: how it ended, the counts, and every file's outcome."""

    facility: str
    status: SyncStatus = SyncStatus.OK
    message: str = ""
    account: str = ""
    files_on_server: int = 0
    new: int = 0
    downloaded: int = 0
    verified: int = 0
    failed: int = 0
    sign_ons: int = 0
    skipped_names: tuple[Problem, ...] = ()  # names from the server cpdesk will not use locally
    retention: tuple[RetentionWarning, ...] = ()
    files: tuple[FileOutcome, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "facility": self.facility,
            "status": self.status.value,
            "message": self.message,
            "account": self.account,
            "files_on_server": self.files_on_server,
            "new": self.new,
            "downloaded": self.downloaded,
            "verified": self.verified,
            "failed": self.failed,
            "sign_ons": self.sign_ons,
            "skipped_names": [
                {"folder": p.source, "name": p.field, "reason": p.message} for p in self.skipped_names
            ],
            "retention": [w.as_dict() for w in self.retention],
            "files": [o.as_dict() for o in self.files],
        }


@dataclass
class Tally:
    """A facility's result while its sync runs (frozen into :class:`FacilityResult` at the end)."""

    facility: str
    status: SyncStatus = SyncStatus.OK
    message: str = ""
    account: str = ""
    files_on_server: int = 0
    new: int = 0
    downloaded: int = 0
    verified: int = 0
    failed: int = 0
    sign_ons: int = 0
    skipped_names: list[Problem] = field(default_factory=list)
    retention: list[RetentionWarning] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)

    def frozen(self) -> FacilityResult:
        return FacilityResult(
            self.facility,
            self.status,
            self.message,
            self.account,
            self.files_on_server,
            self.new,
            self.downloaded,
            self.verified,
            self.failed,
            self.sign_ons,
            tuple(self.skipped_names),
            tuple(self.retention),
            tuple(self.files),
        )


@dataclass(frozen=True, slots=True)
class SyncReport:
    """Every facility's sync, and the worst status among them."""

    facilities: tuple[FacilityResult, ...]

    @property
    def status(self) -> SyncStatus:
        if not self.facilities:
            return SyncStatus.NOTHING_NEW
        return min((r.status for r in self.facilities), key=lambda s: s.severity)

    def total(self, name: str) -> int:
        return sum(int(getattr(r, name)) for r in self.facilities)

    def as_dict(self) -> dict[str, object]:
        totals = {
            key: self.total(key)
            for key in ("files_on_server", "new", "downloaded", "verified", "failed", "sign_ons")
        }
        return {**totals, "status": self.status.value, "facilities": [r.as_dict() for r in self.facilities]}
