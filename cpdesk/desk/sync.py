"""The daily retrieval: one sign-on, list once, fetch what is new, verify, archive, record.

Every report is fetched once (intraday RPI reports again whenever their size or time changes).
A download goes to a partial file that resumes after a dropped connection; a file enters the
archive only complete and checked, in one rename.
"""

from __future__ import annotations

import hashlib
import io
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial as bind
from pathlib import Path

from cpdesk.connectors.errors import (
    ConfigurationError,
    ConnectionLost,
    FacilityError,
    LocalStoreError,
    OutsideOperationHours,
    PermissionDenied,
    RemoteFailure,
    RemoteFileNotFound,
    SignOnBudgetExhausted,
    SyncInProgress,
)
from cpdesk.connectors.sftp.client import Credentials
from cpdesk.connectors.sftp.remote import RemoteEntry, RemoteFs
from cpdesk.connectors.store.archive import Archive, PartialFile, flush, unsafe_remote_name
from cpdesk.connectors.store.ledger import FileRow, Ledger, SyncRunRow
from cpdesk.connectors.store.runlock import exclusive
from cpdesk.desk.arrival import Arrival, Receiving, count_arriving
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.desk.keystate import note_key_management_file
from cpdesk.desk.sessions import Transport, check_hours, sftp_transport, sign_on
from cpdesk.desk.sync_results import (
    FacilityResult,
    FileOutcome,
    Reporter,
    RetentionWarning,
    SilentReporter,
    SyncReport,
    Tally,
)
from cpdesk.desk.verify import Verdict, business_date_of, check_content, check_pair_files
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import KEY_FOLDER
from cpdesk.engine.problems import Problem, ProblemCode, Severity
from cpdesk.engine.reports.catalogue import Catalogue
from cpdesk.engine.reports.names import PairPart, ReportFileName, parse_report_file_name
from cpdesk.engine.reports.pairs import CountedMember
from cpdesk.engine.status import FileResult, SyncStatus

RESUME_CHECK_BYTES = 64 * 1024  # re-read before resuming: the kept bytes must still be the server's


@dataclass
class _Download:
    entry: RemoteEntry
    partial: PartialFile
    intraday: bool
    verdict: Verdict = field(default_factory=Verdict)
    sha256: str = ""
    check: Future[Verdict] | None = None
    counted: Future[CountedMember | None] | None = None  # RPF01 data: its records, counted as it arrived
    flushed: Future[None] | None = None  # on disk (fsync), before it is checked and archived


def _content_on_disk(flushed: Future[None], path: Path, name: str, size: int) -> Verdict:
    flushed.result()  # an error writing it to disk breaks the check: the file fails
    return check_content(path, name, size)


def _pair_on_disk(
    flushed: list[Future[None]],
    report: ReportFileName,
    control: Path,
    data: Path,
    catalogue: Catalogue,
    counted: Future[CountedMember | None] | None = None,
) -> Verdict:
    for future in flushed:
        future.result()
    # Counted on this same thread before this task (one worker, tasks in turn): done by now.
    head_start = counted.result() if counted is not None and not counted.exception() else None
    return check_pair_files(report, control, data, catalogue, head_start)


def _alone(flushed: Future[None], path: Path, name: str, size: int, report: ReportFileName) -> Verdict:
    """One file of a pair whose partner is not yet published: checked alone, and said so."""
    verdict = _content_on_disk(flushed, path, name, size)
    verdict.notes.append(f"{report.partner()} not yet available; pair not checked")
    return verdict


class FacilitySync:
    def __init__(
        self,
        config: CpdeskConfig,
        facility: FacilityConfig,
        ledger: Ledger,
        catalogue: Catalogue,
        reporter: Reporter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: Transport = sftp_transport,
        refetch: frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        self.refetch = refetch
        self.facility = facility
        self.ledger = ledger
        self.catalogue = catalogue
        self.reporter = reporter or SilentReporter()
        self.clock = clock
        self.sleep = sleep
        self.transport = transport
        self.archive = Archive(config.archive / facility.name)
        self.result = Tally(facility.name)
        self.stop_downloads = ""  # why the rest of the run's downloads wait for the next run

    # -- connecting ------------------------------------------------------------------------

    def _attempting(self, credentials: Credentials) -> None:
        self.result.account = credentials.account
        self.result.sign_ons += 1

    def _connect(self) -> RemoteFs:
        """One sign-on, with the first account that still has budget."""
        return sign_on(
            self.config,
            self.facility,
            self.ledger,
            transport=self.transport,
            clock=self.clock,
            sleep=self.sleep,
            attempting=self._attempting,
            warn=self.reporter.warn,
        ).fs

    # -- the run ---------------------------------------------------------------------------

    def run(self, dry_run: bool = False) -> FacilityResult:
        try:
            check_hours(self.config, self.facility, self.clock())  # before any folder is made
            with exclusive(self.archive.root / ".partial" / "sync.lock"):
                self._run(dry_run)
        except (SyncInProgress, OutsideOperationHours) as exc:
            self._stop(SyncStatus.CONNECTION, str(exc))
        except LocalStoreError as exc:
            self._stop(SyncStatus.CONFIG, f"{self.facility.name}: {exc}")
        except OSError as exc:  # the archive or its lock cannot be made here
            self._stop(SyncStatus.CONFIG, f"{self.facility.name}: archive {self.archive.root}: {exc}")
        result = self.result.frozen()
        if not dry_run:
            self._record_run(result)
        return result

    def _record_run(self, result: FacilityResult) -> None:
        """How the sync ended, for whoever watches (the dashboard's Today)."""
        run = SyncRunRow(
            result.facility,
            self.clock(),
            result.status.value,
            result.downloaded,
            result.verified,
            result.failed,
            result.message,
        )
        self.ledger.record_sync_run(run)

    def _run(self, dry_run: bool) -> None:
        now = datetime.fromtimestamp(self.clock(), HKT)
        try:
            fs = self._connect()
        except SignOnBudgetExhausted as exc:
            self._stop(SyncStatus.BUDGET, str(exc))
            return
        except ConfigurationError as exc:
            self._stop(SyncStatus.CONFIG, str(exc))
            return
        except FacilityError as exc:
            self._stop(SyncStatus.CONNECTION, str(exc))
            return
        try:
            try:
                needed = self._list(fs, now.date())
            except ConnectionLost as exc:
                self._stop(SyncStatus.CONNECTION, str(exc))
                return
            if dry_run:
                for item in needed:
                    entry = item.entry
                    self._finish(
                        FileOutcome(
                            entry.folder, entry.name, entry.size, FileResult.WOULD_DOWNLOAD, "dry run"
                        )
                    )
                if not needed:
                    self.result.status = SyncStatus.NOTHING_NEW
                return
            done = self._download(fs, _largest_first(needed))
        finally:
            fs.close()
        self._verify_and_archive(done)
        r = self.result
        archived = {(o.folder, o.name) for o in r.files if o.archive_path}
        r.retention = [w for w in r.retention if (w.folder, w.name) not in archived]
        if self.stop_downloads:
            r.status, r.message = SyncStatus.PARTIAL, self.stop_downloads
        elif r.failed or r.downloaded < r.new:
            r.status = SyncStatus.PARTIAL
        elif r.new == 0:
            r.status = SyncStatus.NOTHING_NEW

    def _stop(self, status: SyncStatus, message: str) -> None:
        self.result.status, self.result.message = status, message
        self.reporter.warn(message)

    def _list(self, fs: RemoteFs, today: date) -> list[_Download]:
        f = self.facility
        entries: list[RemoteEntry] = []
        oldest = today - timedelta(days=f.profile.retention_days)
        for folder, rule in f.profile.download_folders(f.participant, self.result.account):
            try:
                listed = fs.list(folder)
            except (PermissionDenied, RemoteFileNotFound) as exc:
                self.reporter.warn(str(exc))
                continue
            for entry in listed:
                if entry.is_dir and rule.dated_subfolders and _is_day_folder(entry.name, oldest):
                    entries += [e for e in fs.list(f"{folder}/{entry.name}") if not e.is_dir]
                elif not entry.is_dir:
                    entries.append(entry)
        safe = []
        for entry in entries:
            why = unsafe_remote_name(entry.name)
            if why:
                self.result.skipped_names.append(
                    Problem(
                        entry.folder, None, repr(entry.name), why, Severity.WARNING, ProblemCode.UNSAFE_NAME
                    )
                )
                self.reporter.warn(f"skipped /{entry.folder}/{entry.name!r}: {why}")
            else:
                safe.append(entry)
        self.ledger.mark_seen(f.name, [(e.folder, e.name, e.size, e.mtime) for e in safe], self.clock())
        self.result.files_on_server = len(entries)
        needed = []
        for entry in safe:
            report = self.catalogue.identify(entry.name)
            intraday = self.catalogue.is_intraday(report.report_id if report else entry.name.split("_")[0])
            if not self._wanted(entry, intraday):
                continue
            age = (today - datetime.fromtimestamp(entry.mtime, HKT).date()).days
            self.result.retention.append(
                RetentionWarning(entry.folder, entry.name, f.profile.retention_days - age)
            )
            needed.append(
                _Download(
                    entry, self.archive.partial(entry.folder, entry.name, entry.size, entry.mtime), intraday
                )
            )
        self.result.new = len(needed)
        self.archive.discard_partials_except({item.partial.path for item in needed})
        self.reporter.listed(f.name, len(entries), len(needed))
        return needed

    def _wanted(self, entry: RemoteEntry, intraday: bool) -> bool:
        """Fetch a file not fetched yet; an intraday file again when its size or time changed; a
        file that failed its checks again when the server's copy changed; any file named to
        ``--refetch``."""
        if entry.name in self.refetch:
            return True
        last = self.ledger.latest_file(self.facility.name, entry.folder, entry.name)
        if last is None:
            return True
        changed = (last.size, last.remote_mtime) != (entry.size, entry.mtime)
        if intraday:
            return not self.ledger.has_file(
                self.facility.name, entry.folder, entry.name, entry.size, entry.mtime
            )
        return last.result is FileResult.FAILED and changed

    def _download(self, fs: RemoteFs, needed: list[_Download]) -> list[_Download]:
        """Download in turn; each complete file is checked on a second thread while the next
        one transfers (zlib and hashlib release the GIL). Returns the complete, checked files.

        A file the server will not serve, or that vanished or is still changing, is passed over;
        a lost connection or a full disk leaves the rest for the next run."""
        done: list[_Download] = []
        pairs: dict[tuple[str, str], dict[PairPart, _Download]] = {}
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpdesk-verify") as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpdesk-flush") as flusher,
        ):
            for item in needed:
                if self.stop_downloads:
                    break
                arrival = self._follow(pool, item)
                if not self._fetch(fs, item, arrival):
                    continue
                done.append(item)
                # Written to disk on a thread of its own as soon as it is complete: the checks
                # then find it there instead of each waiting for the disk in turn.
                item.flushed = flusher.submit(flush, item.partial.path)
                report = parse_report_file_name(item.entry.name)
                if report is None:
                    item.check = pool.submit(
                        _content_on_disk, item.flushed, item.partial.path, item.entry.name, item.entry.size
                    )
                    continue
                parts = pairs.setdefault((item.entry.folder, report.stem), {})
                parts[report.part] = item
                if len(parts) == 2:
                    self._check_pair(pool, item.entry.folder, report.stem, parts)
            for (folder, stem), parts in pairs.items():
                if len(parts) == 1:
                    self._check_pair(pool, folder, stem, parts)
        for item in done:
            assert item.check is not None
            item.verdict = _verdict_of(item.check, item.entry.name)
        return done

    def _follow(self, pool: ThreadPoolExecutor, item: _Download) -> Arrival | None:
        """For an RPF01 data file: count its records on the verifying thread as it arrives."""
        report = parse_report_file_name(item.entry.name)
        if report is None or report.part is not PairPart.DATA:
            return None
        info = self.catalogue.get(report.report_id)
        if info is None or info.parser != "rpf01":
            return None
        arrival = Arrival()
        item.counted = pool.submit(count_arriving, item.partial.path, arrival)
        return arrival

    def _fetch(self, fs: RemoteFs, item: _Download, arrival: Arrival | None = None) -> bool:
        """Download one file into its partial file (resuming when the kept bytes still match the
        server's), hashing as it arrives; True when the whole file arrived unchanged."""
        complete = False
        try:
            complete = self._fetched(fs, item, arrival)
        finally:
            if arrival is not None:
                arrival.end(complete)
        return complete

    def _fetched(self, fs: RemoteFs, item: _Download, arrival: Arrival | None) -> bool:
        entry = item.entry
        try:
            start = self._resume_from(fs, item)
            self.reporter.started(entry, start)
            digest = hashlib.sha256()
            if start:
                with item.partial.path.open("rb") as kept:
                    while block := kept.read(1 << 20):
                        digest.update(block)
                if arrival is not None:
                    arrival.advance(start)
            # Unbuffered: what the sink says it wrote is in the file for the follower to read.
            with item.partial.path.open("ab", buffering=0) as sink:
                if start < entry.size:
                    fs.get(
                        entry.folder,
                        entry.name,
                        Receiving(sink, digest, arrival),
                        start,
                        bind(self.reporter.advanced, entry),
                        entry.size - start,  # the listed size: a file that grew is caught below
                    )
            now = fs.stat(entry.folder, entry.name)
        except ConnectionLost as exc:
            kept_bytes = item.partial.size
            self.stop_downloads = (
                f"{self.facility.name}: the connection was lost; the rest wait for the next run"
            )
            return self._passed_over(
                item, FileResult.INTERRUPTED, f"{exc}; {kept_bytes:,} bytes kept, resumes on the next run"
            )
        except LocalStoreError as exc:
            self.stop_downloads = f"{exc}; nothing more is fetched until there is room (the rest wait)"
            return self._passed_over(item, FileResult.INTERRUPTED, str(exc))
        except OSError as exc:  # the partial file itself (a folder in its place, permissions)
            self.stop_downloads = f"cannot write in {item.partial.path.parent}: {exc.strerror or exc}"
            return self._passed_over(item, FileResult.INTERRUPTED, self.stop_downloads)
        except RemoteFileNotFound as exc:
            item.partial.discard()
            return self._passed_over(
                item, FileResult.GONE, f"{exc}: removed from the server after the listing"
            )
        except (PermissionDenied, RemoteFailure) as exc:
            return self._passed_over(item, FileResult.REFUSED, f"{exc}; tried again on the next run")
        if (now.size, now.mtime) != (entry.size, entry.mtime) or item.partial.size != entry.size:
            item.partial.discard()
            return self._passed_over(
                item,
                FileResult.CHANGING,
                f"the server's copy changed while it was fetched ({entry.size:,} -> {now.size:,} bytes); "
                "fetched once it stops changing",
            )
        item.sha256 = digest.hexdigest()
        self.result.downloaded += 1
        return True

    def _resume_from(self, fs: RemoteFs, item: _Download) -> int:
        """Where to resume: the partial file's size, once its last bytes are seen to match the
        server's (a damaged partial file is started over, never trusted)."""
        start = item.partial.size
        if start > item.entry.size:
            item.partial.discard()
            return 0
        if start == 0:
            return 0
        check_from = max(0, start - RESUME_CHECK_BYTES)
        server = io.BytesIO()
        fs.get(item.entry.folder, item.entry.name, server, check_from, None, start - check_from)
        with item.partial.path.open("rb") as kept:
            kept.seek(check_from)
            if kept.read(start - check_from) == server.getvalue():
                return start
        self.reporter.warn(
            f"/{item.entry.folder}/{item.entry.name}: the kept partial download differs from the "
            "server's bytes; starting it over"
        )
        item.partial.path.unlink(missing_ok=True)
        return 0

    def _passed_over(self, item: _Download, result: FileResult, detail: str) -> bool:
        entry = item.entry
        self._finish(FileOutcome(entry.folder, entry.name, entry.size, result, detail))
        return False

    def _check_pair(
        self, pool: ThreadPoolExecutor, folder: str, stem: str, parts: dict[PairPart, _Download]
    ) -> None:
        report = parse_report_file_name(f"{stem}.CSV.ZIP")
        assert report is not None
        control, data = parts.get(PairPart.CONTROL), parts.get(PairPart.DATA)
        control_path = control.partial.path if control else self._archived(folder, f"{stem}.CNTL.ZIP")
        data_path = data.partial.path if data else self._archived(folder, f"{stem}.CSV.ZIP")
        if control_path is None or data_path is None:
            # The partner is not published yet: check this file alone and say so.
            (only,) = parts.values()
            assert only.flushed is not None
            only.check = pool.submit(
                _alone, only.flushed, only.partial.path, only.entry.name, only.entry.size, report
            )
            return
        counted = data.counted if data else None
        flushed = [part.flushed for part in parts.values() if part.flushed is not None]
        check = pool.submit(_pair_on_disk, flushed, report, control_path, data_path, self.catalogue, counted)
        for member in parts.values():
            member.check = check

    def _verify_and_archive(self, done: list[_Download]) -> None:
        self.ledger.record_files([self._archive_one(item) for item in done])

    def _archived(self, folder: str, name: str) -> Path | None:
        stored = self.ledger.archived_path(self.facility.name, folder, name)
        return Path(stored) if stored and Path(stored).exists() else None

    def _archive_one(self, item: _Download) -> FileRow:
        entry, verdict = item.entry, item.verdict
        business_date = verdict.business_date or business_date_of(entry.folder, entry.name, entry.mtime)
        final = self.archive.final_path(business_date, entry.folder, entry.name)
        if item.intraday:
            self.archive.keep_previous_version(final)
        self.archive.commit(item.partial, final, entry.mtime)
        if entry.folder == KEY_FOLDER:
            note_key_management_file(self.ledger, self.facility.name, self.result.account, entry.name, final)
        now = self.clock()
        result = FileResult.VERIFIED if verdict.ok else FileResult.FAILED
        if verdict.ok:
            self.result.verified += 1
        else:
            self.result.failed += 1
        self._finish(FileOutcome(entry.folder, entry.name, entry.size, result, verdict.detail, str(final)))
        return FileRow(
            self.facility.name,
            entry.folder,
            entry.name,
            entry.size,
            entry.mtime,
            item.sha256,
            business_date.isoformat(),
            str(final),
            now,
            now,
            result,
            verdict.detail,
        )

    def _finish(self, outcome: FileOutcome) -> None:
        self.result.files.append(outcome)
        self.reporter.finished(outcome)


def _largest_first(needed: list[_Download]) -> list[_Download]:
    """The order to fetch in: the largest report (a pair counted whole) first, its control file
    before its data, so that the longest check runs beside the other downloads instead of after
    the last one; reports of equal size by folder and name."""
    keyed = []  # (report, data part last, the download): each name parsed once
    report_bytes: dict[tuple[str, str], int] = {}
    for item in needed:
        name = parse_report_file_name(item.entry.name)
        report = (item.entry.folder, name.stem if name else item.entry.name)
        keyed.append((report, name is not None and name.part is PairPart.DATA, item))
        report_bytes[report] = report_bytes.get(report, 0) + item.entry.size
    keyed.sort(key=lambda k: (-report_bytes[k[0]], k[0], k[1]))
    return [item for _, _, item in keyed]


def _verdict_of(check: Future[Verdict], name: str) -> Verdict:
    """A file's verdict; a check that itself broke fails that one file, never the run."""
    try:
        return check.result()
    except (OSError, ValueError, MemoryError, RecursionError, zlib.error, EOFError) as exc:
        return Verdict(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"could not be checked: {type(exc).__name__}: {exc}",
                    code=ProblemCode.UNREADABLE,
                )
            ]
        )


def _is_day_folder(name: str, oldest: date) -> bool:
    try:
        return len(name) == 8 and datetime.strptime(name, "%Y%m%d").date() >= oldest
    except ValueError:
        return False


def sync_all(
    config: CpdeskConfig,
    ledger: Ledger,
    catalogue: Catalogue,
    reporter: Reporter | None = None,
    dry_run: bool = False,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    transport: Transport = sftp_transport,
    refetch: frozenset[str] = frozenset(),
) -> SyncReport:
    """Each configured facility in turn; one facility's failure never stops the others.
    ``refetch`` names files to fetch again even though the ledger has them."""
    return SyncReport(
        tuple(
            FacilitySync(config, f, ledger, catalogue, reporter, clock, sleep, transport, refetch).run(
                dry_run
            )
            for f in config.facilities
        )
    )
