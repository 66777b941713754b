"""Dashboard benchmark: a ledger of a year, first paint and refresh.

    python bench/dashboard_bench.py [--json] [--days N]

Builds a ledger of ``--days`` business days (default 250) × 60 files over two facilities, every
file also seen on the server, and 1,250 sign-ons; then measures, each the median of several runs:
``first_paint_s`` (the app started headless until the Today view shows the first read),
``refresh_s`` (one read of everything the views show, the worker's whole work), and, as the bare
baseline, ``bare_query_s``: plain SQLite queries of the same rows (the day's files, the seen files
never archived, the last hour's sign-ons, the uploads, the latest download) with nothing built
from them, on a fresh connection.
Targets (issue 11): first paint under 1 s, refresh under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import FileRow, Ledger
from cpdesk.desk import Desk
from cpdesk.desk.config import load_config
from cpdesk.engine.calendar import HKT
from cpdesk.engine.status import FileResult
from cpdesk.tui import DashboardApp
from cpdesk.tui.state import read_state

FILES_PER_DAY = 60
SIGN_ONS = 1_250
REPEATS = 7
LAST_DAY = date(2026, 11, 30)
CONFIG = """\
archive = "archive"
ledger = "ledger.sqlite"
known_hosts = "known_hosts"

[[facility]]
name = "derivatives"
profile = "derivatives"
participant = "CBEN"
hosts = ["127.0.0.1:1"]

[[facility.accounts]]
name = "CBEN001"
key = "CBEN001"
registered = 2025-06-01

[[facility]]
name = "securities"
profile = "securities-rap"
participant = "B01234"
hosts = ["127.0.0.1:2"]

[[facility.accounts]]
name = "B01234"
key = "B01234"
registered = 2025-06-01
"""


def business_days(count: int) -> list[date]:
    days: list[date] = []
    day = LAST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


def build(folder: Path, days: int) -> Path:
    (folder / "cpdesk.toml").write_text(CONFIG)
    for account in ("CBEN001", "B01234"):
        write_new_rsa_key(folder / account)
    rows, seen = [], []
    for day in business_days(days):
        ymd = f"{day:%Y%m%d}"
        at = datetime.combine(day, datetime.min.time(), HKT).timestamp() + 21 * 3600
        for n in range(FILES_PER_DAY):
            facility, folder_name = ("securities", f"INBOX/{ymd}") if n % 2 else ("derivatives", "CBEN")
            name = f"RMAMP01_B01234_{ymd}{n:06d}.CSV.ZIP" if n % 2 else f"TP{n:03d}_HKCC_CBEN_{ymd}.csv"
            rows.append(
                FileRow(
                    facility,
                    folder_name,
                    name,
                    1000 + n,
                    at,
                    "0" * 64,
                    day.isoformat(),
                    f"/archive/{facility}/{day}/{name}",
                    at + 60,
                    at + 61,
                    FileResult.VERIFIED,
                    "pair verified" if n % 2 else "",
                )
            )
            seen.append((facility, (folder_name, name, 1000 + n, at)))
    with Ledger(folder / "ledger.sqlite") as ledger:
        ledger.record_files(rows)
        for facility in ("derivatives", "securities"):
            ledger.mark_seen(facility, [entry for f, entry in seen if f == facility], rows[-1].downloaded_at)
        end = rows[-1].downloaded_at
        for n in range(SIGN_ONS):
            account = "CBEN001" if n % 2 else "B01234"
            attempt = ledger.reserve_sign_on("derivatives", account, end - n * 5000, 300, 10**6)
            assert isinstance(attempt, int)
            ledger.finish_sign_on(attempt, "ok")
    return folder / "cpdesk.toml"


def bare_queries(path: Path, day: date, now: float) -> float:
    """The rows a refresh reads, fetched with plain SQL and nothing built from them."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("SELECT * FROM file WHERE business_date = ? ORDER BY id", (day.isoformat(),)).fetchall()
    db.execute(
        "SELECT s.* FROM seen s WHERE NOT EXISTS (SELECT 1 FROM file f WHERE f.facility = s.facility "
        "AND f.folder = s.folder AND f.name = s.name)"
    ).fetchall()
    db.execute("SELECT * FROM sign_on WHERE at > ?", (now - 3600,)).fetchall()
    db.execute("SELECT * FROM upload").fetchall()
    db.execute("SELECT MAX(downloaded_at) FROM file").fetchall()
    db.close()
    return time.perf_counter() - start


def first_paint(config: Path, now: float) -> float:
    async def run() -> float:
        desk = Desk(load_config(config), clock=lambda: now)
        start = time.perf_counter()
        app = DashboardApp(desk)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.state is None:
                await pilot.pause(0.005)
            await pilot.pause()
            painted = time.perf_counter() - start
        desk.close()
        return painted

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--days", type=int, default=250)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cpdesk_dashboard_bench_") as work:
        config = build(Path(work), args.days)
        now = datetime.combine(LAST_DAY, datetime.min.time(), HKT).timestamp() + 22 * 3600
        desk = Desk(load_config(config), clock=lambda: now)
        refresh, bare = [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            state = read_state(desk, LAST_DAY)
            refresh.append(time.perf_counter() - start)
            bare.append(bare_queries(Path(work) / "ledger.sqlite", LAST_DAY, now))
        desk.close()
        paints = [first_paint(config, now) for _ in range(3)]
        result = {
            "days": args.days,
            "files": args.days * FILES_PER_DAY,
            "sign_ons": SIGN_ONS,
            "first_paint_s": round(statistics.median(paints), 3),
            "refresh_s": round(statistics.median(refresh), 4),
            "bare_query_s": round(statistics.median(bare), 4),
            "refresh_over_bare": round(statistics.median(refresh) / statistics.median(bare), 1),
            "reports_shown": len(state.retrieval.reports),
            "history_rows": len(state.history),
        }
    print(json.dumps(result) if args.json else "\n".join(f"{k:18} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
