"""What the files in /KEY_MANAGEMENT say about an account's key, kept in the ledger.

``cpdesk sync`` fetches them like any report; each ``SSHKeyExpireWarning_yyyymmdd.txt`` and each
renewal ``Result.*.txt`` is also read into the account's key record for ``cpdesk keys status``.
"""

from __future__ import annotations

from pathlib import Path

from cpdesk.connectors.store.ledger import Ledger
from cpdesk.engine.keys import (
    RESULT_NAME,
    WARNING_NAME,
    KeyFormatError,
    parse_expiry_warning,
    parse_renewal_result,
)


def note_key_management_file(ledger: Ledger, facility: str, account: str, name: str, path: Path) -> None:
    if not (WARNING_NAME.match(name) or RESULT_NAME.match(name)):
        return
    try:
        text = path.read_text("utf-8", errors="replace")
        if WARNING_NAME.match(name):
            warning = parse_expiry_warning(name, text)
            ledger.update_key_state(
                warning.account or account,
                facility,
                warning_notice=warning.notice_date.isoformat(),
                warning_expires_on=warning.expires_on.isoformat() if warning.expires_on else "",
                warning_file=name,
                warning_fingerprint=warning.fingerprint or "",
            )
            return
        result = parse_renewal_result(name, text)
    except (OSError, KeyFormatError):
        return
    state = ledger.key_state(account) or {}
    if str(state.get("last_renewal_detail", "")) >= name:
        return  # an older result than the one already recorded
    ledger.update_key_state(
        account,
        facility,
        last_renewal_result="success" if result.success else "failed",
        last_renewal_detail=name if result.success else f"{name}: {result.error_reason}",
    )
