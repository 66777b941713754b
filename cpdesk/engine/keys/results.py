"""HKEX's files in /KEY_MANAGEMENT: renewal results and key expiry warnings (seed 000 §6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from cpdesk.engine.hkex import DERIVATIVES_ACCOUNT
from cpdesk.engine.keys.formats import KeyFormatError
from cpdesk.engine.textfields import labelled_field, timestamp

RESULT_NAME = re.compile(r"^Result\.(\d{8})\.(\d{6})\.(success|failed)\.txt$", re.IGNORECASE)
WARNING_NAME = re.compile(r"^SSHKeyExpireWarning_(\d{8})\.txt$")


@dataclass(frozen=True, slots=True)
class RenewalResult:
    file_name: str  # the uploaded key's name
    import_date: datetime | None
    file_size: int | None
    success: bool
    error_reason: str
    result_file: str


def parse_renewal_result(name: str, text: str) -> RenewalResult:
    """``Result.yyyymmdd.hhmmss.success.txt`` / ``.failed.txt``: file name, import date, file size,
    result and error reason (guide §6)."""
    match = RESULT_NAME.match(name)
    if match is None:
        raise KeyFormatError(f"{name!r} is not a renewal result file name")
    result = labelled_field(text, "Result") or match.group(3)
    success = result.lower().startswith("success") and match.group(3).lower() == "success"
    when = timestamp(labelled_field(text, "Import date"))
    size = labelled_field(text, "File size")
    return RenewalResult(
        file_name=labelled_field(text, "File name"),
        import_date=when,
        file_size=int(size) if size.isdigit() else None,
        success=success,
        error_reason=labelled_field(text, "Error reason") if not success else "",
        result_file=name,
    )


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    notice_date: date
    account: str | None
    expires_on: date | None
    fingerprint: str | None
    file_name: str


def parse_expiry_warning(name: str, text: str) -> ExpiryWarning:
    """``SSHKeyExpireWarning_yyyymmdd.txt``. Its content is not specified in the guide; cpdesk reads
    the account (CXXX001/002), the first date after the notice date, and an MD5 fingerprint."""
    match = WARNING_NAME.match(name)
    if match is None:
        raise KeyFormatError(f"{name!r} is not an SSHKeyExpireWarning file name")
    notice = datetime.strptime(match.group(1), "%Y%m%d").date()
    account = re.search(rf"\b{DERIVATIVES_ACCOUNT.pattern}\b", text)
    fingerprint = re.search(r"\b(?:[0-9a-f]{2}:){15}[0-9a-f]{2}\b", text)
    expires = None
    for found in re.finditer(r"\b(\d{4})[-./](\d{2})[-./](\d{2})\b|\b(\d{2})/(\d{2})/(\d{4})\b", text):
        y, m, d = (
            (found.group(1), found.group(2), found.group(3))
            if found.group(1)
            else (found.group(6), found.group(5), found.group(4))
        )
        try:
            candidate = date(int(y), int(m), int(d))
        except ValueError:
            continue
        if candidate >= notice:
            expires = candidate
            break
    return ExpiryWarning(
        notice,
        account.group(0) if account else None,
        expires,
        fingerprint.group(0) if fingerprint else None,
        name,
    )
