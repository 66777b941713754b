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

from cpdesk.connectors.errors import FacilityError, OutsideOperationHours, PermissionDenied
from cpdesk.connectors.sftp.client import Credentials
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.connectors.store.ledger import Ledger, UploadRow
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.desk.results import ResultFile, Steps, new_result_files, poll_result_files, quiet
from cpdesk.desk.sessions import Transport, account_for, sftp_transport, sign_on
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import LOP_REPORT_FOLDER, LOP_RESULT_FOLDER
from cpdesk.engine.lop.results import RESULT_NAME, LopResult, parse_lop_result
from cpdesk.engine.lop.schema import LopSchema
from cpdesk.engine.lop.validate import LopValidation, summarise, validate_report
from cpdesk.engine.lop.xlsx import MAX_WORKBOOK_BYTES as LOP_WORKBOOK_LIMIT
from cpdesk.engine.sources import read_file
from cpdesk.engine.status import LopOutcome, UploadKind, UploadResult

POLL_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class LopUpload:
    """What became of one report given to :func:`upload_reports`."""

    path: Path
    status: LopOutcome
    message: str
    validation: LopValidation | None = None
    result: LopResult | None = None
    upload_id: int | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ok(self) -> bool:
        return self.status is LopOutcome.SUCCESS


@dataclass(frozen=True, slots=True)
class _Claimed:
    path: Path
    content: bytes
    validation: LopValidation
    upload_id: int


@dataclass(frozen=True, slots=True)
class _Uplink:
    """How this run reaches the facility: configuration, ledger, clock and transport."""

    config: CpdeskConfig
    ledger: Ledger
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    transport: Transport
    steps: Steps

    def sign_on(self, facility: FacilityConfig, credentials: Credentials) -> RemoteFs:
        return sign_on(
            self.config,
            facility,
            self.ledger,
            account=credentials,
            transport=self.transport,
            clock=self.clock,
            sleep=self.sleep,
        ).fs


def upload_reports(
    config: CpdeskConfig,
    paths: Iterable[Path],
    ledger: Ledger,
    schema: LopSchema,
    account: str | None = None,
    wait_seconds: float = 120.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    transport: Transport = sftp_transport,
    steps: Steps = quiet,
) -> list[LopUpload]:
    """Validate and upload each report; one outcome per path, in order."""
    facility, credentials = account_for(config, LOP_REPORT_FOLDER, account)
    today = datetime.fromtimestamp(clock(), HKT).date()
    outcomes: list[LopUpload] = []
    claimed: list[tuple[int, _Claimed]] = []
    for index, path in enumerate(paths):
        if any(c.path.name == path.name for _, c in claimed):
            outcomes.append(
                LopUpload(path, LopOutcome.DUPLICATE, f"{path.name} is named twice; it is sent once")
            )
            continue
        prepared = _prepare(path, facility, credentials, ledger, schema, today, config, clock)
        if isinstance(prepared, LopUpload):
            outcomes.append(prepared)
        else:
            claimed.append((index, prepared))
            outcomes.append(LopUpload(path, LopOutcome.PENDING, "", prepared.validation))
    if claimed:
        uplink = _Uplink(config, ledger, clock, sleep, transport, steps)
        sent = _send(uplink, facility, credentials, [c for _, c in claimed], wait_seconds)
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
        content = read_file(path, LOP_WORKBOOK_LIMIT)
    except OSError as exc:
        return LopUpload(path, LopOutcome.UNREADABLE, f"{path}: cannot read: {exc.strerror or exc}")
    validation = validate_report(path.name, content, schema, today, config.trading_days)
    if not validation.ok:
        errors, _ = summarise([validation])
        return LopUpload(path, LopOutcome.INVALID, f"{path.name}: {errors} error(s); not sent", validation)
    row = UploadRow(
        None,
        facility.name,
        credentials.account,
        UploadKind.LOP,
        LOP_REPORT_FOLDER,
        path.name,
        len(content),
        hashlib.sha256(content).hexdigest(),
        clock(),
    )
    claim = ledger.claim_upload_name(row)
    if isinstance(claim, int):
        return _Claimed(path, content, validation, claim)
    when = datetime.fromtimestamp(claim.at, HKT).strftime("%Y-%m-%d %H:%M")
    if claim.result is UploadResult.PENDING:
        how = f"is being uploaded since {when} HKT (another cpdesk now, or a run that was killed)"
    else:
        answered = claim.result in (UploadResult.SUCCESS, UploadResult.FAILED)
        verdict = f", result {claim.result}" if answered else ""
        how = f"was already uploaded to /{LOP_REPORT_FOLDER} at {when} HKT{verdict}"
    return LopUpload(
        path,
        LopOutcome.DUPLICATE,
        f"{path.name} {how}; the facility allows no overwrite, so it is not sent again",
        validation,
    )


def _send(
    uplink: _Uplink,
    facility: FacilityConfig,
    credentials: Credentials,
    claimed: list[_Claimed],
    wait_seconds: float,
) -> dict[int, LopUpload]:
    """One sign-on: put each claimed report, then wait for the results. Outcomes by upload id.
    Every claim ends released (not sent), refused, sent or answered: none stays pending."""
    ledger = uplink.ledger

    def release(items: list[_Claimed], why: str) -> None:
        for item in items:
            ledger.finish_upload(item.upload_id, UploadResult.RELEASED, why)

    try:
        session = uplink.sign_on(facility, credentials)
        try:
            before = {e.name for e in session.list(LOP_RESULT_FOLDER)}
        except FacilityError:
            session.close()
            raise
    except OutsideOperationHours as exc:
        release(claimed, "not sent: outside operation hours")
        raise OutsideOperationHours(f"{exc}; nothing sent") from None
    except FacilityError as exc:
        release(claimed, f"not sent: {exc}")
        raise
    uplink.steps(f"signed on to {facility.name} as {credentials.account}")
    outcomes: dict[int, LopUpload] = {}
    sent: list[_Claimed] = []
    waiting_note = f"no result file in /{LOP_RESULT_FOLDER} within {wait_seconds:.0f} s"
    try:
        for position, item in enumerate(claimed):
            try:
                session.put(io.BytesIO(item.content), LOP_REPORT_FOLDER, item.path.name)
            except PermissionDenied as exc:
                ledger.finish_upload(item.upload_id, UploadResult.REFUSED, str(exc))
                outcomes[item.upload_id] = LopUpload(
                    item.path,
                    LopOutcome.REFUSED,
                    f"{item.path.name}: refused by the facility: {exc}",
                    item.validation,
                )
                continue
            except FacilityError as exc:
                # Part of it may be on the server, where it can be neither replaced nor removed:
                # the name stays taken until a result says otherwise.
                ledger.finish_upload(item.upload_id, UploadResult.SENT, f"upload interrupted: {exc}")
                outcomes[item.upload_id] = LopUpload(
                    item.path,
                    LopOutcome.SENT,
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
                        LopUpload(
                            r.path, LopOutcome.NOT_SENT, f"{r.path.name}: not sent: the connection failed"
                        ),
                    )
                    for r in rest
                )
                break
            ledger.finish_upload(item.upload_id, UploadResult.SENT)
            uplink.steps(f"uploaded /{LOP_REPORT_FOLDER}/{item.path.name} ({len(item.content):,} bytes)")
            sent.append(item)
        try:
            if sent:
                uplink.steps(f"waiting up to {wait_seconds:.0f} s for /{LOP_RESULT_FOLDER}")
            answered = _await_results(uplink, session, facility.name, before, sent, wait_seconds)
        except FacilityError as exc:
            answered, waiting_note = {}, f"the connection failed while waiting for the result ({exc})"
    finally:
        session.close()
    for item in sent:
        result = answered.get(item.path.name)
        if result is None:
            outcomes[item.upload_id] = LopUpload(
                item.path,
                LopOutcome.SENT,
                f"{item.path.name}: sent; {waiting_note} (`cpdesk lop results --fetch` picks it up later)",
                item.validation,
                upload_id=item.upload_id,
            )
        else:
            outcomes[item.upload_id] = LopUpload(
                item.path,
                LopOutcome.SUCCESS if result.success else LopOutcome.FAILED,
                f"{item.path.name}: {'accepted' if result.success else 'REJECTED'} by HKEX "
                f"({result.result_file})",
                item.validation,
                result,
                item.upload_id,
            )
    return outcomes


def _await_results(
    uplink: _Uplink,
    session: RemoteFs,
    facility: str,
    skip: set[str],
    sent: list[_Claimed],
    wait_seconds: float,
) -> dict[str, LopResult]:
    """Poll /LOPRESULT until every sent report has its result or the wait is over."""
    names = {item.path.name for item in sent}
    answered: dict[str, LopResult] = {}

    def take(files: list[ResultFile]) -> bool:
        for result in record_results(uplink.ledger, facility, files):
            if result.file_name in names:
                answered.setdefault(result.file_name, result)
        return names <= set(answered)

    poll_result_files(
        session,
        LOP_RESULT_FOLDER,
        RESULT_NAME,
        skip | _known_result_files(uplink.ledger),
        take,
        wait_seconds=wait_seconds,
        poll_seconds=POLL_SECONDS,
        clock=uplink.clock,
        sleep=uplink.sleep,
    )
    return answered


def _known_result_files(ledger: Ledger) -> set[str]:
    return {row.result_file for row in ledger.uploads(UploadKind.LOP) if row.result_file}


def record_results(ledger: Ledger, facility: str, files: list[ResultFile]) -> list[LopResult]:
    """Record each result file against the sent upload of the same name; return the results that
    matched one."""
    if not files:
        return []
    rows = ledger.uploads(UploadKind.LOP)
    waiting = {row.name: row for row in rows if row.facility == facility and row.result is UploadResult.SENT}
    matched = []
    for file in files:
        result = parse_lop_result(file.name, file.text)
        row = waiting.pop(result.file_name, None)
        if row is None or row.id is None:
            continue
        detail = "" if result.success else result.detail
        if result.file_size is not None and result.file_size != row.size:
            detail = f"HKEX received {result.file_size} bytes, cpdesk sent {row.size}. {detail}".strip()
        outcome = UploadResult.SUCCESS if result.success else UploadResult.FAILED
        ledger.finish_upload(row.id, outcome, detail, result.result_file, file.mtime)
        matched.append(result)
    return matched


def fetch_results(
    config: CpdeskConfig,
    ledger: Ledger,
    account: str | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    transport: Transport = sftp_transport,
) -> list[LopResult]:
    """One sign-on to pick up results for uploads still waiting; no sign-on when none waits."""
    facility, credentials = account_for(config, LOP_REPORT_FOLDER, account)
    uploads = ledger.uploads(UploadKind.LOP)
    if not any(r.facility == facility.name and r.result is UploadResult.SENT for r in uploads):
        return []
    session = _Uplink(config, ledger, clock, sleep, transport, quiet).sign_on(facility, credentials)
    try:
        files = new_result_files(session, LOP_RESULT_FOLDER, RESULT_NAME, _known_result_files(ledger))
        return record_results(ledger, facility.name, files)
    finally:
        session.close()
