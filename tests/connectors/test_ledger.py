"""The ledger's schema version: older ledgers are migrated in place, newer ones refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cpdesk.connectors.store.ledger import SCHEMA_VERSION, Ledger, LedgerTooNew
from cpdesk.engine.status import FileResult

# The tables as cpdesk 0.1 (schema version 1) created them.
VERSION_1 = """
CREATE TABLE sign_on (id INTEGER PRIMARY KEY, facility TEXT NOT NULL, account TEXT NOT NULL,
    at REAL NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL);
CREATE TABLE file (id INTEGER PRIMARY KEY, facility TEXT NOT NULL, folder TEXT NOT NULL,
    name TEXT NOT NULL, size INTEGER NOT NULL, remote_mtime REAL NOT NULL, sha256 TEXT NOT NULL,
    business_date TEXT NOT NULL, archive_path TEXT NOT NULL, downloaded_at REAL NOT NULL,
    verified_at REAL NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
    UNIQUE (facility, folder, name, size, remote_mtime));
CREATE TABLE seen (facility TEXT NOT NULL, folder TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, remote_mtime REAL NOT NULL, first_seen REAL NOT NULL,
    last_seen REAL NOT NULL, PRIMARY KEY (facility, folder, name));
INSERT INTO file VALUES (1, 'derivatives', 'CXYZ', 'TP001_CXYZ_20210507.csv', 8, 1.0, 'ab', '2021-05-07',
    '/archive/TP001_CXYZ_20210507.csv', 2.0, 2.0, 'verified', '');
PRAGMA user_version = 1;
"""


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_version_1_ledger_is_migrated_and_keeps_its_files(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_1)
    assert "file_by_day" not in _indexes(path)
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 6
        (row,) = ledger.files(business_date="2021-05-07")
        assert (row.name, row.result) == ("TP001_CXYZ_20210507.csv", FileResult.VERIFIED)
        assert ledger.uploads() == []  # the upload table (version 2) exists now
        assert ledger.key_state("CXYZ001") is None
    assert "file_by_day" in _indexes(path)


def test_opening_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    before = _indexes(path)
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
    assert _indexes(path) == before


def test_a_ledger_from_a_newer_cpdesk_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_1.replace("PRAGMA user_version = 1", "PRAGMA user_version = 99"))
    with pytest.raises(LedgerTooNew, match="schema version 99 is newer"):
        Ledger(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "upload" not in tables
