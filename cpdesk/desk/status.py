"""What operations watch: the day's retrieval against the catalogue, the sign-on budget, hours.

Pure views over the configuration, the catalogue and the ledger: nothing here signs on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from cpdesk.connectors.store.ledger import FileRow, SeenRow, SignOnRow
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS
from cpdesk.engine.reports.catalogue import Catalogue, ReportInfo
from cpdesk.engine.reports.names import parse_report_file_name
from cpdesk.engine.status import FileResult, SignOnOutcome

DAYS_AHEAD_SEARCHED = 31  # how far ahead "closed until" looks for the next opening


class ReportState(StrEnum):
    """Where an expected report stands on its business date."""

    VERIFIED = "verified"  # every run due so far is archived and checked
    FAILED = "failed"  # a file of it was archived but failed a check
    LATE = "late"  # a run is past its expected time plus the grace, and not here
    MISSING = "missing"  # no expected time is documented and the day is over without it
    PENDING = "pending"  # not due yet
    NOT_EXPECTED = "not-expected"  # not a trading day (a holiday or weekend)


@dataclass(frozen=True, slots=True)
class ExpectedReport:
    facility: str
    report_id: str
    name: str
    expected_at: tuple[str, ...]  # HH:MM HKT, as the catalogue documents them ("" = not documented)
    state: ReportState
    runs_received: int
    runs_due: int
    files: tuple[str, ...]
    detail: str = ""  # the failure's reason, or why it counts as late


@dataclass(frozen=True, slots=True)
class UnarchivedFile:
    """Seen on the server, not archived: HKEX deletes it after ``days_left`` more days."""

    facility: str
    folder: str
    name: str
    size: int
    days_left: int


@dataclass(frozen=True, slots=True)
class RetrievalStatus:
    business_date: date
    reports: tuple[ExpectedReport, ...]
    unarchived: tuple[UnarchivedFile, ...]


@dataclass(frozen=True, slots=True)
class AccountBudget:
    facility: str
    account: str
    attempts_in_window: int  # sign-ons that count against the control now
    limit: int
    window_seconds: int
    next_allowed_at: datetime | None  # None: a sign-on is allowed now

    @property
    def left(self) -> int:
        return max(0, self.limit - self.attempts_in_window)


@dataclass(frozen=True, slots=True)
class FacilityHours:
    facility: str
    open_now: bool
    opens: time
    closes: time
    next_open_at: datetime | None  # when closed: the next opening (None when open or not found)
    checked: bool  # False when the configuration says not to keep the hours (check_hours = false)


@dataclass(frozen=True, slots=True)
class SignOnBudget:
    at: datetime
    accounts: tuple[AccountBudget, ...]
    hours: tuple[FacilityHours, ...]


def retrieval_status(
    config: CpdeskConfig,
    catalogue: Catalogue,
    business_date: date,
    files: Sequence[FileRow],
    unarchived: Sequence[SeenRow],
    now: datetime,
) -> RetrievalStatus:
    """Every report the catalogue expects of each facility on ``business_date`` against the
    ledger's ``files`` of that date (others are ignored), and the files the server listed that
    are not archived (``unarchived``: the ledger's ``seen_not_archived``) with the days left."""
    trading = config.trading_days(business_date)
    grace = timedelta(minutes=config.late_after_minutes)
    reports = []
    by_report: dict[tuple[str, str], list[FileRow]] = {}
    for f in files:  # each name identified once (the catalogue tries every report id)
        if f.business_date == business_date.isoformat() and (info := catalogue.identify(f.name)):
            by_report.setdefault((f.facility, info.report_id), []).append(f)
    for facility in config.facilities:
        for info in catalogue:
            if info.facility != facility.profile.facility:
                continue
            mine = by_report.get((facility.name, info.report_id), [])
            reports.append(_expected(facility, info, business_date, trading, mine, now, grace))
    return RetrievalStatus(business_date, tuple(reports), _unarchived(config, unarchived, now))


def _expected(
    facility: FacilityConfig,
    info: ReportInfo,
    day: date,
    trading: bool,
    files: list[FileRow],
    now: datetime,
    grace: timedelta,
) -> ExpectedReport:
    names = tuple(sorted(f.name for f in files))
    runs = {_run_of(f.name) for f in files if f.result is FileResult.VERIFIED}
    failed = [f for f in files if f.result is FileResult.FAILED]
    times = [datetime.combine(day, time.fromisoformat(t), HKT) for t in info.available]
    # Runs due by now: each documented time plus the grace; without times, one once the day is over.
    due = sum(1 for t in times if now >= t + grace) if times else int(now.date() > day)

    def report(state: ReportState, detail: str = "") -> ExpectedReport:
        return ExpectedReport(
            facility.name, info.report_id, info.name, info.available, state, len(runs), due, names, detail
        )

    if failed:
        return report(ReportState.FAILED, f"{failed[0].name}: {failed[0].detail}")
    if not trading and not files:
        return report(ReportState.NOT_EXPECTED)
    if len(runs) >= max(due, 1):
        return report(ReportState.VERIFIED)
    if len(runs) >= due:
        return report(ReportState.PENDING)
    if times:
        missed = times[len(runs)] if len(runs) < len(times) else times[-1]
        return report(ReportState.LATE, f"expected by {missed:%H:%M} HKT")
    return report(ReportState.MISSING, "no expected time is documented; the day is over")


def sync_times(config: CpdeskConfig, catalogue: Catalogue, business_date: date) -> tuple[datetime, ...]:
    """When the configured facilities' reports of ``business_date`` become due: each documented
    time plus the grace (``late_after_minutes``), earliest first, once each. None on a day that is
    not a trading day. An automatic sync runs at these moments, and only then."""
    if not config.trading_days(business_date):
        return ()
    grace = timedelta(minutes=config.late_after_minutes)
    kinds = {facility.profile.facility for facility in config.facilities}
    moments = {
        datetime.combine(business_date, time.fromisoformat(at), HKT) + grace
        for info in catalogue
        if info.facility in kinds
        for at in info.available
        if at
    }
    return tuple(sorted(moments))


def _run_of(name: str) -> str:
    """A report pair's two files are one run; any other file is a run of its own."""
    parsed = parse_report_file_name(name)
    return parsed.stem if parsed is not None else name


def _unarchived(config: CpdeskConfig, seen: Sequence[SeenRow], now: datetime) -> tuple[UnarchivedFile, ...]:
    retention = {f.name: f.profile.retention_days for f in config.facilities}
    found = []
    for row in seen:
        if row.facility not in retention:
            continue
        age = (now.date() - datetime.fromtimestamp(row.remote_mtime, HKT).date()).days
        found.append(
            UnarchivedFile(row.facility, row.folder, row.name, row.size, retention[row.facility] - age)
        )
    return tuple(sorted(found, key=lambda u: (u.days_left, u.facility, u.folder, u.name)))


def sign_on_budget(config: CpdeskConfig, attempts: Sequence[SignOnRow], now: datetime) -> SignOnBudget:
    """Each account's sign-ons in the facility's window (as the governor counts them, with its
    clock margin) and when the next is allowed; each facility's operation hours."""
    accounts = []
    hours = []
    moment = now.timestamp()
    for facility in config.facilities:
        profile = facility.profile
        window = profile.sign_on_window_seconds + CLOCK_MARGIN_SECONDS
        for credentials in facility.accounts:
            times = sorted(
                a.at
                for a in attempts
                if a.account == credentials.account
                and a.outcome is not SignOnOutcome.RELEASED
                and a.at > moment - window
            )
            next_at = None
            if len(times) >= profile.sign_on_max:
                next_at = datetime.fromtimestamp(times[len(times) - profile.sign_on_max] + window, HKT)
            accounts.append(
                AccountBudget(
                    facility.name,
                    credentials.account,
                    len(times),
                    profile.sign_on_max,
                    profile.sign_on_window_seconds,
                    next_at,
                )
            )
        open_now = profile.is_open(now, config.trading_days)
        next_open = None if open_now else _next_opening(facility, config, now)
        hours.append(
            FacilityHours(
                facility.name, open_now, profile.opens, profile.closes, next_open, facility.check_hours
            )
        )
    return SignOnBudget(now, tuple(accounts), tuple(hours))


def _next_opening(facility: FacilityConfig, config: CpdeskConfig, now: datetime) -> datetime | None:
    local = now.astimezone(HKT)
    for offset in range(DAYS_AHEAD_SEARCHED + 1):
        day = local.date() + timedelta(days=offset)
        opening = datetime.combine(day, facility.profile.opens, HKT)
        if opening > local and config.trading_days(day):
            return opening
    return None
