"""Self-service key renewal (seed 000 §6): new pair, one sign-on with the current key, upload
``<account>.pub`` to /KEY_MANAGEMENT under its final name, read the result file, switch the config.

The key-upload control and the sign-on are checked before anything is generated or sent. On success the config
points at the new key and the old one keeps working until the overlap ends (14 days); on failure
the old key stays in place and the facility's reason is shown. Everything is recorded in the ledger.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cpdesk.connectors.errors import ConfigurationError, FacilityError, PermissionDenied
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.connectors.store.keyfiles import KeyPairFiles, new_key_pair, public_key_of_private
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import CpdeskConfig, FacilityConfig, replace_account_key
from cpdesk.desk.results import ResultFile, Steps, poll_result_files, quiet
from cpdesk.desk.sessions import Transport, account_for, sftp_transport, sign_on
from cpdesk.desk.uploads import UploadGovernor
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import KEY_FOLDER
from cpdesk.engine.keys import RESULT_NAME, Renewal, RenewalResult, parse_renewal_result
from cpdesk.engine.status import RenewalStatus, UploadKind, UploadResult

POLL_SECONDS = 1.0  # some facilities need a refreshed listing before the result shows (guide §6)


@dataclass(frozen=True, slots=True)
class RenewalOutcome:
    account: str
    success: bool
    message: str
    result: RenewalResult | None = None
    new_key: Path | None = None
    expires_on: date | None = None
    overlap_until: date | None = None


def renew_key(
    config: CpdeskConfig,
    account: str,
    ledger: Ledger,
    key_dir: Path | None = None,
    passphrase: bytes | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    wait_seconds: float = 60.0,
    transport: Transport = sftp_transport,
    steps: Steps = quiet,
) -> RenewalOutcome:
    """Renew ``account``'s key. The upload control is checked first, then the sign-on (hours,
    governor); only then is the new pair generated, so a refused attempt leaves no key behind."""
    facility, credentials = account_for(config, KEY_FOLDER, account)
    profile = facility.profile
    old_key = public_key_of_private(
        credentials.key_path, credentials.passphrase.encode() if credentials.passphrase else None
    )
    uploads = UploadGovernor(ledger, profile.key_uploads_per_hour, profile.key_uploads_per_day, clock)
    upload_id = uploads.reserve(facility.name, account, UploadKind.KEY, KEY_FOLDER, f"{account}.pub")
    try:
        session = sign_on(
            config, facility, ledger, account=credentials, transport=transport, clock=clock, sleep=sleep
        ).fs
    except FacilityError as exc:
        uploads.finish(upload_id, UploadResult.RELEASED, f"not sent: {exc}")
        raise
    steps(f"signed on to {facility.name} as {account}")
    stamp = datetime.fromtimestamp(clock(), HKT)
    folder = (key_dir or config.path.parent / "keys") / f"{account}-{stamp:%Y%m%d-%H%M%S}"
    with session:
        try:
            pair = new_key_pair(account, folder, passphrase)
        except (ConfigurationError, OSError):
            uploads.finish(upload_id, UploadResult.RELEASED, "key pair not created")
            raise
        steps(f"new key pair in {folder}: {pair.key.md5_fingerprint}")
        before = {e.name for e in session.list(KEY_FOLDER)}
        content = pair.public.read_bytes()
        try:
            session.put(io.BytesIO(content), KEY_FOLDER, f"{account}.pub")
        except PermissionDenied as exc:
            uploads.finish(upload_id, UploadResult.REFUSED, str(exc))
            _discard(pair)
            return _failed(ledger, facility, account, clock, f"upload refused by the facility: {exc}")
        uploads.finish(upload_id, UploadResult.SENT)
        steps(f"uploaded /{KEY_FOLDER}/{account}.pub; waiting up to {wait_seconds:.0f} s for the result")
        result = _await_result(session, before, clock, sleep, wait_seconds)
    if result is None:
        uploads.finish(upload_id, UploadResult.SENT, f"no result file within {wait_seconds:.0f} s")
        return _failed(
            ledger,
            facility,
            account,
            clock,
            f"no result file appeared within {wait_seconds:.0f} s; check /{KEY_FOLDER} with "
            "`cpdesk sync` before renewing again",
        )
    uploads.finish(
        upload_id,
        UploadResult.SUCCESS if result.success else UploadResult.FAILED,
        result.error_reason,
        result.result_file,
    )
    if not result.success:
        _discard(pair)  # HKEX will never accept this key: nothing to keep
        return _failed(
            ledger,
            facility,
            account,
            clock,
            f"HKEX refused the key: {result.error_reason or 'no reason given'}",
            result,
        )

    renewal = Renewal(stamp.date())
    replace_account_key(
        config.path,
        account,
        pair.private,
        f"renewed {renewal.renewed_on}; previous key {credentials.key_path.name} "
        f"works until {renewal.old_key_last_day}",
    )
    ledger.update_key_state(
        account,
        facility.name,
        fingerprint=pair.key.md5_fingerprint,
        key_path=str(pair.private),
        valid_from=renewal.renewed_on.isoformat(),
        expires_on=renewal.new_key_last_day.isoformat(),
        overlap_until=renewal.old_key_last_day.isoformat(),
        previous_fingerprint=old_key.md5_fingerprint,
        previous_key_path=str(credentials.key_path),
        last_renewal_at=clock(),
        last_renewal_result=RenewalStatus.SUCCESS,
        last_renewal_detail=result.result_file,
        warning_notice="",
        warning_expires_on="",
        warning_file="",
        warning_fingerprint="",
    )
    return RenewalOutcome(
        account,
        True,
        f"renewed: new key {pair.key.md5_fingerprint} valid until "
        f"{renewal.new_key_last_day}; the old key works until {renewal.old_key_last_day}",
        result,
        pair.private,
        renewal.new_key_last_day,
        renewal.old_key_last_day,
    )


def _await_result(
    session: RemoteFs,
    before: set[str],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    wait_seconds: float,
) -> RenewalResult | None:
    """The newest new result file in /KEY_MANAGEMENT (polled once a second), or None after the wait."""
    found: list[ResultFile] = []

    def take(files: list[ResultFile]) -> bool:
        found.extend(files)
        return bool(found)

    poll_result_files(
        session,
        KEY_FOLDER,
        RESULT_NAME,
        set(before),
        take,
        wait_seconds=wait_seconds,
        poll_seconds=POLL_SECONDS,
        clock=clock,
        sleep=sleep,
    )
    if not found:
        return None
    newest = max(found, key=lambda f: f.name)
    return parse_renewal_result(newest.name, newest.text)


def _discard(pair: KeyPairFiles) -> None:
    """Remove a new key pair HKEX did not take, and its folder when that is left empty."""
    for path in (pair.private, pair.public, pair.fingerprint):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        pair.private.parent.rmdir()


def _failed(
    ledger: Ledger,
    facility: FacilityConfig,
    account: str,
    clock: Callable[[], float],
    message: str,
    result: RenewalResult | None = None,
) -> RenewalOutcome:
    ledger.update_key_state(
        account,
        facility.name,
        last_renewal_at=clock(),
        last_renewal_result=RenewalStatus.FAILED,
        last_renewal_detail=message,
    )
    return RenewalOutcome(account, False, message + "; the current key stays in use", result)
