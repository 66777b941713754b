"""The SQLite ledger: every sign-on attempt and every file fetched, shared by all cpdesk processes.

Write-ahead logging lets one process write while others read; ``BEGIN IMMEDIATE`` makes the
sign-on check-and-record atomic across processes, so two ``cpdesk sync`` runs cannot both take the
last sign-on slot of a five-minute window.

Statuses are stored by their ``StrEnum`` value (:mod:`cpdesk.engine.status`) and read back as
members. The schema's version is SQLite's ``user_version``: a ledger from an older cpdesk is
migrated in place when opened; one from a newer cpdesk is refused rather than misread.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cpdesk.connectors.errors import ConfigurationError
from cpdesk.engine.status import FileResult, SignOnOutcome, UploadKind, UploadResult

SCHEMA_VERSION = 6

# What each version adds to the one before (applied in order, each in one transaction). Version 1
# had sign_on, file and seen; version 2 added upload and key_state (both in _SCHEMA, created when
# missing); version 3 indexes files by business date for the history and the day's status;
# version 4 adds account_lock; version 6 adds sync_run.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (),
    3: ("CREATE INDEX IF NOT EXISTS file_by_day ON file (business_date, facility)",),
    4: (),  # account_lock (in _SCHEMA): accounts another sign-on has locked, and until when
    5: ("key_state ADD warning_fingerprint TEXT NOT NULL DEFAULT ''",),
    6: (),  # sync_run (in _SCHEMA): how each facility's sync ended, for the dashboard's Today
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sign_on (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    account TEXT NOT NULL,
    at REAL NOT NULL,              -- epoch seconds when the attempt was reserved
    outcome TEXT NOT NULL,         -- pending, ok, refused, error, released (never reached the server)
    detail TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_on_window ON sign_on (account, at);
CREATE TABLE IF NOT EXISTS file (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    remote_mtime REAL NOT NULL,
    sha256 TEXT NOT NULL,
    business_date TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    downloaded_at REAL NOT NULL,
    verified_at REAL NOT NULL,
    result TEXT NOT NULL,          -- verified, failed
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (facility, folder, name, size, remote_mtime)
);
CREATE TABLE IF NOT EXISTS upload (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,            -- key, lop
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,              -- epoch seconds when the upload was reserved
    result TEXT NOT NULL,          -- pending, released, refused, sent, success, failed
    detail TEXT NOT NULL DEFAULT '',
    result_file TEXT NOT NULL DEFAULT '',
    result_at REAL
);
CREATE INDEX IF NOT EXISTS upload_window ON upload (account, kind, at);
CREATE TABLE IF NOT EXISTS key_state (
    account TEXT PRIMARY KEY,
    facility TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    key_path TEXT NOT NULL DEFAULT '',
    valid_from TEXT NOT NULL DEFAULT '',       -- registered or renewed (ISO date)
    expires_on TEXT NOT NULL DEFAULT '',
    overlap_until TEXT NOT NULL DEFAULT '',    -- the previous key's last day
    previous_fingerprint TEXT NOT NULL DEFAULT '',
    previous_key_path TEXT NOT NULL DEFAULT '',
    last_renewal_at REAL,
    last_renewal_result TEXT NOT NULL DEFAULT '',
    last_renewal_detail TEXT NOT NULL DEFAULT '',
    warning_notice TEXT NOT NULL DEFAULT '',
    warning_expires_on TEXT NOT NULL DEFAULT '',
    warning_file TEXT NOT NULL DEFAULT '',
    warning_fingerprint TEXT NOT NULL DEFAULT ''  -- the key the warning is about, when it says
);
CREATE TABLE IF NOT EXISTS sync_run (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    at REAL NOT NULL,              -- epoch seconds when the sync ended
    status TEXT NOT NULL,          -- ok, nothing-new, partial, budget, connection, config
    downloaded INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sync_run_by_facility ON sync_run (facility, at);
CREATE TABLE IF NOT EXISTS account_lock (
    account TEXT PRIMARY KEY,
    facility TEXT NOT NULL,
    until REAL NOT NULL,           -- epoch seconds: no sign-on with the account before this
    reason TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    facility TEXT NOT NULL,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    remote_mtime REAL NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (facility, folder, name)
);
"""


@dataclass(frozen=True, slots=True)
class SignOnRow:
    id: int
    facility: str
    account: str
    at: float
    outcome: SignOnOutcome
    detail: str
    pid: int


@dataclass(frozen=True, slots=True)
class UploadRow:
    id: int | None
    facility: str
    account: str
    kind: UploadKind
    folder: str
    name: str
    size: int
    sha256: str
    at: float
    result: UploadResult = UploadResult.PENDING
    detail: str = ""
    result_file: str = ""
    result_at: float | None = None


@dataclass(frozen=True, slots=True)
class FileRow:
    facility: str
    folder: str
    name: str
    size: int
    remote_mtime: float
    sha256: str
    business_date: str
    archive_path: str
    downloaded_at: float
    verified_at: float
    result: FileResult
    detail: str


@dataclass(frozen=True, slots=True)
class SyncRunRow:
    """How one facility's sync ended."""

    facility: str
    at: float
    status: str
    downloaded: int
    verified: int
    failed: int
    message: str


@dataclass(frozen=True, slots=True)
class SeenRow:
    facility: str
    folder: str
    name: str
    size: int
    remote_mtime: float
    first_seen: float
    last_seen: float


def _where(**conditions: object) -> tuple[str, tuple[object, ...]]:
    """`` WHERE a = ? AND b = ?`` for the conditions that are not None (names are ours, not input)."""
    given = {name: value for name, value in conditions.items() if value is not None}
    if not given:
        return "", ()
    return " WHERE " + " AND ".join(f"{name} = ?" for name in given), tuple(given.values())


class LedgerTooNew(ConfigurationError):
    """The ledger was written by a newer cpdesk (its schema version is higher than ours)."""


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise ConfigurationError(f"ledger {path} is a folder; give a file name for the ledger")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._open()
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"ledger {path}: not a cpdesk ledger ({exc})") from None
        except OSError as exc:
            raise ConfigurationError(f"ledger {path}: {exc.strerror or exc}") from None

    def _open(self) -> None:
        self._db.execute("PRAGMA busy_timeout=30000")
        deadline = time.monotonic() + 30
        while True:
            try:
                self._prepare()
                break
            except sqlite3.OperationalError as exc:
                # Switching a new file to WAL takes an exclusive lock that SQLite does not wait
                # for with the busy timeout: several processes opening a fresh ledger at once
                # see "database is locked" here. Retry briefly; every step is idempotent.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    self._db.close()
                    raise
                time.sleep(0.01)
            except BaseException:
                self._db.close()
                raise

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across processes and crashes
        with self.transaction() as db:
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found > SCHEMA_VERSION:
                raise LedgerTooNew(
                    f"{self.path}: ledger schema version {found} is newer than this cpdesk's "
                    f"({SCHEMA_VERSION}); upgrade cpdesk rather than risk misreading it"
                )
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            for version in range(max(found, 1) + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    _migrate(db, statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction: check-then-write is atomic across processes."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- sign-ons ---------------------------------------------------------------------------

    def reserve_sign_on(
        self, facility: str, account: str, now: float, window_seconds: float, limit: int
    ) -> int | float:
        """Record a pending attempt and return its id, or, when ``limit`` attempts already fall in
        the window, record nothing and return the time the oldest of them leaves it."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT at FROM sign_on WHERE account = ? AND at > ? AND outcome != 'released' ORDER BY at",
                (account, now - window_seconds),
            ).fetchall()
            if len(rows) >= limit:
                return float(rows[len(rows) - limit][0]) + window_seconds
            cursor = db.execute(
                "INSERT INTO sign_on (facility, account, at, outcome, pid) VALUES (?, ?, ?, 'pending', ?)",
                (facility, account, now, os.getpid()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def finish_sign_on(self, attempt: int, outcome: str, detail: str = "") -> None:
        """``outcome`` is a :class:`SignOnOutcome` value (the governor's protocol takes text)."""
        outcome = SignOnOutcome(outcome)
        with self.transaction() as db:
            db.execute("UPDATE sign_on SET outcome = ?, detail = ? WHERE id = ?", (outcome, detail, attempt))

    def sign_ons(self, since: float = 0.0) -> list[SignOnRow]:
        rows = self._db.execute(
            "SELECT id, facility, account, at, outcome, detail, pid FROM sign_on "
            "WHERE at >= ? ORDER BY at, id",
            (since,),
        ).fetchall()
        return [
            SignOnRow(
                int(row[0]),
                str(row[1]),
                str(row[2]),
                float(row[3]),
                SignOnOutcome(row[4]),
                str(row[5]),
                int(row[6]),
            )
            for row in rows
        ]

    # -- files -----------------------------------------------------------------------------

    def has_file(
        self,
        facility: str,
        folder: str,
        name: str,
        size: int | None = None,
        remote_mtime: float | None = None,
    ) -> bool:
        """Fetched already: by name (once a day), or by name, size and time (intraday files)."""
        if size is None or remote_mtime is None:
            query = "SELECT 1 FROM file WHERE facility = ? AND folder = ? AND name = ? LIMIT 1"
            args: tuple[object, ...] = (facility, folder, name)
        else:
            query = (
                "SELECT 1 FROM file WHERE facility = ? AND folder = ? AND name = ? AND size = ? "
                "AND remote_mtime = ? LIMIT 1"
            )
            args = (facility, folder, name, size, remote_mtime)
        return self._db.execute(query, args).fetchone() is not None

    def record_files(self, rows: list[FileRow]) -> None:
        """Record fetched files, all in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO file (facility, folder, name, size, remote_mtime, sha256, "
                "business_date, archive_path, downloaded_at, verified_at, result, detail) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.facility,
                        r.folder,
                        r.name,
                        r.size,
                        r.remote_mtime,
                        r.sha256,
                        r.business_date,
                        r.archive_path,
                        r.downloaded_at,
                        r.verified_at,
                        r.result,
                        r.detail,
                    )
                    for r in rows
                ],
            )

    def files(self, facility: str | None = None, business_date: str | None = None) -> list[FileRow]:
        """Files fetched, in the order they were recorded (``business_date`` as YYYY-MM-DD)."""
        query = (
            "SELECT facility, folder, name, size, remote_mtime, sha256, business_date, archive_path, "
            "downloaded_at, verified_at, result, detail FROM file"
        )
        conditions, args = _where(facility=facility, business_date=business_date)
        rows = self._db.execute(query + conditions + " ORDER BY id", args).fetchall()
        return [_file_row(row) for row in rows]

    def latest_download_at(self) -> float | None:
        """When the latest file was archived (epoch seconds), None when there is none."""
        (at,) = self._db.execute("SELECT MAX(downloaded_at) FROM file").fetchone()
        return float(at) if at is not None else None

    def seen(self, facility: str | None = None) -> list[SeenRow]:
        """Files the server listed (by name, the latest listing of each)."""
        conditions, args = _where(facility=facility)
        rows = self._db.execute(
            "SELECT facility, folder, name, size, remote_mtime, first_seen, last_seen FROM seen"
            + conditions
            + " ORDER BY facility, folder, name",
            args,
        ).fetchall()
        return [SeenRow(*row) for row in rows]

    def record_sync_run(self, run: SyncRunRow) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sync_run (facility, at, status, downloaded, verified, failed, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run.facility, run.at, run.status, run.downloaded, run.verified, run.failed, run.message),
            )

    def last_sync_runs(self) -> list[SyncRunRow]:
        """Each facility's latest sync, by facility name."""
        rows = self._db.execute(
            "SELECT facility, at, status, downloaded, verified, failed, message FROM sync_run r "
            "WHERE id = (SELECT MAX(id) FROM sync_run WHERE facility = r.facility) ORDER BY facility"
        ).fetchall()
        return [SyncRunRow(*row) for row in rows]

    def seen_not_archived(self) -> list[SeenRow]:
        """Files the server listed that were never archived (verified or failed)."""
        rows = self._db.execute(
            "SELECT s.facility, s.folder, s.name, s.size, s.remote_mtime, s.first_seen, s.last_seen "
            "FROM seen s WHERE NOT EXISTS (SELECT 1 FROM file f WHERE f.facility = s.facility "
            "AND f.folder = s.folder AND f.name = s.name) ORDER BY s.facility, s.folder, s.name"
        ).fetchall()
        return [SeenRow(*row) for row in rows]

    def latest_file(self, facility: str, folder: str, name: str) -> FileRow | None:
        """The last time this name was fetched, whatever its size, time or result."""
        row = self._db.execute(
            "SELECT facility, folder, name, size, remote_mtime, sha256, business_date, archive_path, "
            "downloaded_at, verified_at, result, detail FROM file WHERE facility = ? AND folder = ? "
            "AND name = ? ORDER BY verified_at DESC, id DESC LIMIT 1",
            (facility, folder, name),
        ).fetchone()
        return None if row is None else _file_row(row)

    def archived_path(self, facility: str, folder: str, name: str) -> str | None:
        row = self._db.execute(
            "SELECT archive_path FROM file WHERE facility = ? AND folder = ? AND name = ? "
            "ORDER BY id DESC LIMIT 1",
            (facility, folder, name),
        ).fetchone()
        return None if row is None else str(row[0])

    # -- uploads ---------------------------------------------------------------------------

    def reserve_upload(
        self, upload: UploadRow, window_seconds: float, per_window: int, day_start: float, per_day: int
    ) -> int | float:
        """Record a pending upload and return its id; or, when ``per_window`` uploads of that kind
        by that account fall in the window (or ``per_day`` since ``day_start``), record nothing and
        return when the next one is allowed."""
        with self.transaction() as db:
            times = [
                row[0]
                for row in db.execute(
                    "SELECT at FROM upload WHERE account = ? AND kind = ? AND at > ? "
                    "AND result != 'released' ORDER BY at",
                    (upload.account, upload.kind, min(upload.at - window_seconds, day_start)),
                ).fetchall()
            ]
            in_window = [t for t in times if t > upload.at - window_seconds]
            if len(in_window) >= per_window:
                return float(in_window[len(in_window) - per_window]) + window_seconds
            if len([t for t in times if t >= day_start]) >= per_day:
                return day_start + 86_400
            return _insert_pending(db, upload)

    def claim_upload_name(self, upload: UploadRow) -> int | UploadRow:
        """Record a pending upload and return its id, unless the same name already went (or is
        going) to that folder of that facility: then record nothing and return that earlier upload.

        Uploads that were never sent (released) or that the facility refused do not count.
        Checked and written in one transaction, so two processes cannot both claim a name."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, facility, account, kind, folder, name, size, sha256, at, result, detail, "
                "result_file, result_at FROM upload WHERE facility = ? AND folder = ? AND name = ? "
                "AND result NOT IN ('released', 'refused') ORDER BY at LIMIT 1",
                (upload.facility, upload.folder, upload.name),
            ).fetchone()
            if row is not None:
                return _upload_row(row)
            return _insert_pending(db, upload)

    def finish_upload(
        self,
        upload_id: int,
        result: UploadResult,
        detail: str = "",
        result_file: str = "",
        result_at: float | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE upload SET result = ?, detail = ?, result_file = ?, result_at = ? WHERE id = ?",
                (result, detail, result_file, result_at, upload_id),
            )

    def uploads(self, kind: UploadKind | None = None) -> list[UploadRow]:
        query = (
            "SELECT id, facility, account, kind, folder, name, size, sha256, at, result, detail, "
            "result_file, result_at FROM upload"
        )
        args: tuple[object, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            args = (kind,)
        return [_upload_row(row) for row in self._db.execute(query + " ORDER BY at, id", args).fetchall()]

    # -- keys ------------------------------------------------------------------------------

    def key_state(self, account: str) -> dict[str, object] | None:
        cursor = self._db.execute("SELECT * FROM key_state WHERE account = ?", (account,))
        row = cursor.fetchone()
        if row is None:
            return None
        return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}

    def update_key_state(self, account: str, facility: str, **fields: object) -> None:
        """Set fields of an account's key record (created when missing)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO key_state (account, facility) VALUES (?, ?)", (account, facility)
            )
            for name, value in fields.items():
                if not re.fullmatch(r"[a-z_]+", name):
                    raise ValueError(name)
                db.execute(f"UPDATE key_state SET {name} = ? WHERE account = ?", (value, account))

    # -- account locks ---------------------------------------------------------------------

    def record_lock(self, facility: str, account: str, until: float, reason: str, now: float) -> None:
        """Another sign-on (another workstation, another client) has locked ``account``."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO account_lock (account, facility, until, reason, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET until = excluded.until, reason = excluded.reason, "
                "at = excluded.at, facility = excluded.facility",
                (account, facility, until, reason, now),
            )

    def locked_until(self, account: str, now: float) -> float | None:
        """When a lock recorded on ``account`` ends, if it has not ended by ``now``."""
        row = self._db.execute(
            "SELECT until FROM account_lock WHERE account = ? AND until > ?", (account, now)
        ).fetchone()
        return None if row is None else float(row[0])

    def has_signed_on(self, account: str) -> bool:
        """Whether ``account`` ever signed on successfully (so its key worked)."""
        row = self._db.execute(
            "SELECT 1 FROM sign_on WHERE account = ? AND outcome = 'ok' LIMIT 1", (account,)
        ).fetchone()
        return row is not None

    # -- what the server showed ------------------------------------------------------------

    def mark_seen(self, facility: str, entries: list[tuple[str, str, int, float]], now: float) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO seen (facility, folder, name, size, remote_mtime, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (facility, folder, name) DO UPDATE SET "
                "size = excluded.size, remote_mtime = excluded.remote_mtime, last_seen = excluded.last_seen",
                [(facility, folder, name, size, mtime, now, now) for folder, name, size, mtime in entries],
            )


def _migrate(db: sqlite3.Connection, statement: str) -> None:
    """Run one migration step; ``table ADD column ...`` adds a column unless _SCHEMA made it."""
    if " ADD " in statement and not statement.upper().startswith("CREATE"):
        table, _, column = statement.partition(" ADD ")
        existing = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column.split()[0] not in existing:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        return
    db.execute(statement)


def _upload_row(row: tuple[object, ...]) -> UploadRow:
    values = list(row)
    values[3] = UploadKind(str(values[3]))
    values[9] = UploadResult(str(values[9]))
    return UploadRow(*values)  # type: ignore[arg-type]


def _file_row(row: tuple[object, ...]) -> FileRow:
    values = list(row)
    values[10] = FileResult(str(values[10]))
    return FileRow(*values)  # type: ignore[arg-type]


def _insert_pending(db: sqlite3.Connection, upload: UploadRow) -> int:
    cursor = db.execute(
        "INSERT INTO upload (facility, account, kind, folder, name, size, sha256, at, result) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (
            upload.facility,
            upload.account,
            upload.kind,
            upload.folder,
            upload.name,
            upload.size,
            upload.sha256,
            upload.at,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid
