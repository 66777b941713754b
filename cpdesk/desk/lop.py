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

from cpdesk.connectors.errors import (
    FacilityError,
    OutsideOperationHours,
    PermissionDenied,
)
from cpdesk.connectors.sftp.client import Credentials
from cpdesk.connectors.sftp.profile import HKT
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.connectors.store.ledger import Ledger, UploadRow
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.desk.sessions import account_for, sign_on
from cpdesk.engine.hkex import LOP_REPORT_FOLDER, LOP_RESULT_FOLDER
from cpdesk.engine.lop.results import RESULT_NAME, LopResult, parse_lop_result
from cpdesk.engine.lop.schema import LopSchema
from cpdesk.engine.lop.validate import LopValidation, summarise, validate_report

REPORT_FOLDER = LOP_REPORT_FOLDER
RESULT_FOLDER = LOP_RESULT_FOLDER
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
    outcomes: list[LopUpload] = []
    claimed: list[tuple[int, _Claimed]] = []
    for index, path in enumerate(paths):
        if any(c.path.name == path.name for _, c in claimed):
            outcomes.append(LopUpload(path, "duplicate", f"{path.name} is named twice; it is sent once"))
            continue
        prepared = _prepare(path, facility, credentials, ledger, schema, today, config, clock)
        if isinstance(prepared, LopUpload):
            outcomes.append(prepared)
        else:
            claimed.append((index, prepared))
            outcomes.append(LopUpload(path, "pending", "", prepared.validation))
    if claimed:
        sent = _send(
            facility,
            credentials,
            config,
            ledger,
            [c for _, c in claimed],
            wait_seconds,
            clock,
            sleep,
            connect,
        )
        for index, item in claimed:
            outcomes[index] = sent[item.upload_id]
    return outcomes


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
    if isinstance(claim, int):
        return _Claimed(path, content, validation, claim)
    when = datetime.fromtimestamp(claim.at, HKT).strftime("%Y-%m-%d %H:%M")
    if claim.result == "pending":
        how = f"is being uploaded since {when} HKT (another cpdesk now, or a run that was killed)"
    else:
        verdict = f", result {claim.result}" if claim.result in ("success", "failed") else ""
        how = f"was already uploaded to /{REPORT_FOLDER} at {when} HKT{verdict}"
    return LopUpload(
        path,
        "duplicate",
        f"{path.name} {how}; the facility allows no overwrite, so it is not sent again",
        validation,
    )


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
) -> dict[int, LopUpload]:
    """One sign-on: put each claimed report, then wait for the results. Outcomes by upload id.
    Every claim ends released (not sent), refused, sent or answered: none stays pending."""

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
        try:
            before = {e.name for e in session.list(RESULT_FOLDER)}
        except FacilityError:
            session.close()
            raise
    except FacilityError as exc:
        release(claimed, f"not sent: {exc}")
        raise
    outcomes: dict[int, LopUpload] = {}
    sent: list[_Claimed] = []
    waiting_note = f"no result file in /{RESULT_FOLDER} within {wait_seconds:.0f} s"
    try:
        for position, item in enumerate(claimed):
            try:
                session.put(io.BytesIO(item.content), REPORT_FOLDER, item.path.name)
            except PermissionDenied as exc:
                ledger.finish_upload(item.upload_id, "refused", str(exc))
                outcomes[item.upload_id] = LopUpload(
                    item.path, "refused", f"{item.path.name}: refused by the facility: {exc}", item.validation
                )
                continue
            except FacilityError as exc:
                # Part of it may be on the server, where it can be neither replaced nor removed:
                # the name stays taken until a result says otherwise.
                ledger.finish_upload(item.upload_id, "sent", f"upload interrupted: {exc}")
                outcomes[item.upload_id] = LopUpload(
                    item.path,
                    "sent",
                    f"{item.path.name}: upload interrupted ({exc}); "
                    "`cpdesk lop results --fetch` shows whether HKEX received it",
                    item.validation,
                    upload_id=item.upload_id,
                )
                rest = claimed[position + 1 :]
                release(rest, "not sent: the connection failed")
                outcomes.update(
                    (
                        r.upload_id,
                        LopUpload(r.path, "not-sent", f"{r.path.name}: not sent: the connection failed"),
                    )
                    for r in rest
                )
                break
            ledger.finish_upload(item.upload_id, "sent")
            sent.append(item)
        try:
            names = {item.path.name for item in sent}
            answered = _await_results(
                session, ledger, facility.name, before, names, wait_seconds, clock, sleep
            )
        except FacilityError as exc:
            answered, waiting_note = {}, f"the connection failed while waiting for the result ({exc})"
    finally:
        session.close()
    for item in sent:
        result = answered.get(item.path.name)
        if result is None:
            outcomes[item.upload_id] = LopUpload(
                item.path,
                "sent",
                f"{item.path.name}: sent; {waiting_note} (`cpdesk lop results --fetch` picks it up later)",
                item.validation,
                upload_id=item.upload_id,
            )
        else:
            outcomes[item.upload_id] = LopUpload(
                item.path,
                "success" if result.success else "failed",
                f"{item.path.name}: {'accepted' if result.success else 'REJECTED'} by HKEX "
                f"({result.result_file})",
                item.validation,
                result,
                item.upload_id,
            )
    return outcomes


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
    rows = ledger.uploads("lop")
    waiting = {row.name: row for row in rows if row.facility == facility and row.result == "sent"}
    if not waiting:
        return []
    known = {row.result_file for row in rows if row.result_file}
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
