"""LOP report upload (derivatives guide §8): validate, claim the name, one sign-on, put each report
under its final name in /LOPREPORT, then wait for its result file in /LOPRESULT and record it.

Nothing that failed validation is sent, and a name already sent to /LOPREPORT (per the ledger) is
refused locally, before any network traffic: the facility allows no overwrite, so a corrected
report needs a new trade date or HKEX's help, not a second upload. The bytes validated are the
bytes sent (read once).
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cpdesk.connectors.config import CpdeskConfig, FacilityConfig
from cpdesk.connectors.errors import (
    ConnectionLost,
    FacilityError,
    OutsideOperationHours,
    PermissionDenied,
)
from cpdesk.connectors.ledger import Ledger, UploadRow
from cpdesk.connectors.profile import HKT
from cpdesk.connectors.remote import RemoteFs
from cpdesk.connectors.sessions import account_for, sign_on
from cpdesk.connectors.sftp_client import Credentials
from cpdesk.engine.lop.results import RESULT_NAME, LopResult, parse_lop_result
from cpdesk.engine.lop.schema import LopSchema
from cpdesk.engine.lop.validate import LopValidation, summarise, validate_report

REPORT_FOLDER = "LOPREPORT"
RESULT_FOLDER = "LOPRESULT"
POLL_SECONDS = 2.0

# What became of one report: never sent (invalid, unreadable, duplicate, not-sent), refused by the
# facility, sent without a result yet, or answered (success, failed).
NOT_SENT = ("invalid", "unreadable", "duplicate", "not-sent")


@dataclass(frozen=True, slots=True)
class LopUpload:
    path: Path
    status: str
    message: str
    validation: LopValidation | None = None
    result: LopResult | None = None
    upload_id: int | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass
class _Claimed:
    path: Path
    content: bytes
    validation: LopValidation
    upload_id: int


def upload_reports(
    config: CpdeskConfig,
    paths: Iterable[Path],
    ledger: Ledger,
    schema: LopSchema,
    account: str | None = None,
    wait_seconds: float = 120.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    connect: Callable[[FacilityConfig, Credentials], RemoteFs] | None = None,
) -> list[LopUpload]:
    """Validate and upload each report; one outcome per path, in order."""
    facility, credentials = account_for(config, REPORT_FOLDER, account)
    today = datetime.fromtimestamp(clock(), HKT).date()
    outcomes: dict[Path, LopUpload] = {}
    claimed: list[_Claimed] = []
    for path in paths:
        outcome_or_claim = _prepare(path, facility, credentials, ledger, schema, today, config, clock)
        if isinstance(outcome_or_claim, LopUpload):
            outcomes[path] = outcome_or_claim
        else:
            claimed.append(outcome_or_claim)
            outcomes[path] = LopUpload(path, "pending", "", outcome_or_claim.validation)
    if claimed:
        for path, outcome in _send(
            facility, credentials, config, ledger, claimed, wait_seconds, clock, sleep, connect
        ):
            outcomes[path] = outcome
    return list(outcomes.values())


def _prepare(
    path: Path,
    facility: FacilityConfig,
    credentials: Credentials,
    ledger: Ledger,
    schema: LopSchema,
    today: date,
    config: CpdeskConfig,
    clock: Callable[[], float],
) -> LopUpload | _Claimed:
    try:
        content = path.read_bytes()
    except OSError as exc:
        return LopUpload(path, "unreadable", f"{path}: cannot read: {exc.strerror or exc}")
    validation = validate_report(path.name, content, schema, today, config.trading_days)
    if not validation.ok:
        errors, _ = summarise([validation])
        return LopUpload(path, "invalid", f"{path.name}: {errors} error(s); not sent", validation)
    row = UploadRow(
        None,
        facility.name,
        credentials.account,
        "lop",
        REPORT_FOLDER,
        path.name,
        len(content),
        hashlib.sha256(content).hexdigest(),
        clock(),
    )
    claim = ledger.claim_upload_name(row)
    if isinstance(claim, UploadRow):
        when = datetime.fromtimestamp(claim.at, HKT).strftime("%Y-%m-%d %H:%M")
        result = f", result {claim.result}" if claim.result in ("success", "failed") else ""
        return LopUpload(
            path,
            "duplicate",
            f"{path.name} was already uploaded to /{REPORT_FOLDER} at {when} HKT{result}; "
            "the facility allows no overwrite, so it is not sent again",
            validation,
        )
    return _Claimed(path, content, validation, claim)


def _send(
    facility: FacilityConfig,
    credentials: Credentials,
    config: CpdeskConfig,
    ledger: Ledger,
    claimed: list[_Claimed],
    wait_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    connect: Callable[[FacilityConfig, Credentials], RemoteFs] | None,
) -> list[tuple[Path, LopUpload]]:
    def release(items: list[_Claimed], why: str) -> None:
        for item in items:
            ledger.finish_upload(item.upload_id, "released", why)

    now = datetime.fromtimestamp(clock(), HKT)
    if facility.check_hours and not facility.profile.is_open(now, config.trading_days):
        release(claimed, "not sent: outside operation hours")
        raise OutsideOperationHours(
            f"{facility.name}: outside operation hours ({facility.profile.opens:%H:%M} to "
            f"{facility.profile.closes:%H:%M} on trading days); nothing sent"
        )
    try:
        session = (connect or _connect(config, ledger, clock, sleep))(facility, credentials)
    except FacilityError as exc:
        release(claimed, f"not sent: {exc}")
        raise
    outcomes: dict[Path, LopUpload] = {}
    try:
        before = {e.name for e in session.list(RESULT_FOLDER)}
        sent: dict[str, _Claimed] = {}
        for index, item in enumerate(claimed):
            try:
                session.put(io.BytesIO(item.content), REPORT_FOLDER, item.path.name)
            except PermissionDenied as exc:
                ledger.finish_upload(item.upload_id, "refused", str(exc))
                outcomes[item.path] = LopUpload(
                    item.path, "refused", f"{item.path.name}: refused by the facility: {exc}", item.validation
                )
                continue
            except ConnectionLost as exc:
                # Part of it may be on the server, where it can be neither replaced nor removed.
                ledger.finish_upload(item.upload_id, "sent", f"connection lost during upload: {exc}")
                outcomes[item.path] = LopUpload(
                    item.path,
                    "sent",
                    f"{item.path.name}: connection lost during upload; check `cpdesk lop results --fetch`",
                    item.validation,
                    upload_id=item.upload_id,
                )
                rest = claimed[index + 1 :]
                release(rest, "not sent: connection lost")
                outcomes.update(
                    (r.path, LopUpload(r.path, "not-sent", f"{r.path.name}: not sent: connection lost"))
                    for r in rest
                )
                return list(outcomes.items())
            ledger.finish_upload(item.upload_id, "sent")
            sent[item.path.name] = item
        answered = _await_results(
            session, ledger, facility.name, before, set(sent), wait_seconds, clock, sleep
        )
    finally:
        session.close()
    for name, item in sent.items():
        result = answered.get(name)
        if result is None:
            outcomes[item.path] = LopUpload(
                item.path,
                "sent",
                f"{name}: sent; no result file in /{RESULT_FOLDER} within {wait_seconds:.0f} s "
                "(`cpdesk lop results --fetch` picks it up later)",
                item.validation,
                upload_id=item.upload_id,
            )
        else:
            verdict = "success" if result.success else "failed"
            outcomes[item.path] = LopUpload(
                item.path,
                verdict,
                f"{name}: {'accepted' if result.success else 'REJECTED'} by HKEX ({result.result_file})",
                item.validation,
                result,
                item.upload_id,
            )
    return [(item.path, outcomes[item.path]) for item in claimed]


def _connect(
    config: CpdeskConfig, ledger: Ledger, clock: Callable[[], float], sleep: Callable[[float], None]
) -> Callable[[FacilityConfig, Credentials], RemoteFs]:
    return lambda facility, credentials: sign_on(config, facility, credentials, ledger, clock, sleep)


def _await_results(
    session: RemoteFs,
    ledger: Ledger,
    facility: str,
    skip: set[str],
    names: set[str],
    wait_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[str, LopResult]:
    """Poll /LOPRESULT until every name has its result or the wait is over."""
    deadline = clock() + wait_seconds
    answered: dict[str, LopResult] = {}
    while True:
        for result in collect_results(session, ledger, facility, skip):
            if result.file_name in names:
                answered.setdefault(result.file_name, result)
        if names <= set(answered) or clock() >= deadline:
            return answered
        sleep(POLL_SECONDS)


def collect_results(session: RemoteFs, ledger: Ledger, facility: str, skip: set[str]) -> list[LopResult]:
    """Read result files not seen yet (adding them to ``skip``) and record each against the sent
    upload of the same name; return the results that matched one."""
    waiting = {
        row.name: row for row in ledger.uploads("lop") if row.facility == facility and row.result == "sent"
    }
    if not waiting:
        return []
    known = {row.result_file for row in ledger.uploads("lop") if row.result_file}
    matched = []
    for entry in sorted(session.list(RESULT_FOLDER), key=lambda e: e.name):
        if entry.is_dir or entry.name in skip or entry.name in known or not RESULT_NAME.match(entry.name):
            continue
        skip.add(entry.name)
        sink = io.BytesIO()
        session.get(RESULT_FOLDER, entry.name, sink)
        result = parse_lop_result(entry.name, sink.getvalue().decode("utf-8", errors="replace"))
        row = waiting.pop(result.file_name, None)
        if row is None or row.id is None:
            continue
        detail = "" if result.success else result.detail
        if result.file_size is not None and result.file_size != row.size:
            detail = f"HKEX received {result.file_size} bytes, cpdesk sent {row.size}. {detail}".strip()
        ledger.finish_upload(
            row.id, "success" if result.success else "failed", detail, result.result_file, entry.mtime
        )
        matched.append(result)
    return matched


def fetch_results(
    config: CpdeskConfig,
    ledger: Ledger,
    account: str | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    connect: Callable[[FacilityConfig, Credentials], RemoteFs] | None = None,
) -> list[LopResult]:
    """One sign-on to pick up results for uploads still waiting; no sign-on when none waits."""
    facility, credentials = account_for(config, REPORT_FOLDER, account)
    if not any(r.facility == facility.name and r.result == "sent" for r in ledger.uploads("lop")):
        return []
    session = (connect or _connect(config, ledger, clock, sleep))(facility, credentials)
    try:
        return collect_results(session, ledger, facility.name, set())
    finally:
        session.close()
